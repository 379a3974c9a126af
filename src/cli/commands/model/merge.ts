/**
 * `eyemulator model merge --model DIR --adapter DIR --out DIR [--dtype D] [--threads N] [--device D]`:
 * folds a PEFT LoRA adapter into its base model and writes a plain HF folder (config.json +
 * model.safetensors, or shards above --max-shard-size), with the base's tokenizer and generation
 * files copied beside it. The result loads in transformers (and here) without PEFT.
 *
 * The adapter is read as PEFT 0.21 reads it (Model.loadAdapter: refusals name the file and field);
 * each adapted weight becomes W + scaling·B·A, the product taken in float64 and rounded once into
 * --dtype. --dtype defaults to the base's stored dtype (config.json "dtype"/"torch_dtype"; float32
 * when absent), so a bfloat16 base stays bfloat16. The out folder is written as a whole
 * (util/atomic-write.ts writeDirAtomic: filled beside, then swapped in), so a kill leaves the previous
 * folder or the new one, never a mix; an --out holding other files than a model folder's is refused.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { Model } from '../../../model/model.ts';
import type { Dtype } from '../../../native/index.ts';
import { copyFileAtomic, writeDirAtomic } from '../../../util/atomic-write.ts';
import { InputError, OptionError } from '../../../util/errors.ts';
import { stripBom } from '../../../util/json.ts';

/** Files of a HF model folder that are not weights and travel with a merged model unchanged. */
export const COMPANION_FILES = [
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'vocab.json',
  'merges.txt', 'tokenizer.model', 'chat_template.jinja', 'chat_template.json', 'generation_config.json',
];

const DTYPES: Dtype[] = ['float32', 'float64', 'bfloat16', 'float16'];

/** The dtype a HF folder stores its weights in, from config.json (v5 "dtype", v4 "torch_dtype"). */
export function storedDtype(modelDir: string): Dtype {
  const path = join(modelDir, 'config.json');
  if (!existsSync(path)) throw new InputError('no config.json: not a Hugging Face model folder', { file: modelDir });
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(stripBom(readFileSync(path, 'utf8')));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file: path });
  }
  const d = (cfg.dtype ?? cfg.torch_dtype) as string | undefined;
  return d && (DTYPES as string[]).includes(d) ? (d as Dtype) : 'float32';
}

/** Files a model folder write makes (and so replaces): config, weights, index, companions. */
function isModelFile(name: string): boolean {
  return name === 'config.json' || name === 'model.safetensors' || name === 'model.safetensors.index.json' ||
    /^model-\d{5}-of-\d{5}\.safetensors$/.test(name) || COMPANION_FILES.includes(name) || /\.(tmp|old)-\d+$/.test(name);
}

/**
 * Refuses an --out folder that holds anything but model-folder files: writing a model folder
 * replaces the whole folder (filled beside, swapped in), which must not take a user's other files
 * (a README, a licence, notes) with it.
 */
export function assertReplaceableModelDir(out: string): void {
  let names: string[];
  try {
    names = readdirSync(out);
  } catch {
    return; // missing (created) or not a folder (the write refuses it, naming the problem)
  }
  const foreign = names.filter((n) => !isModelFile(n));
  if (foreign.length)
    throw new OptionError(`--out ${out} holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''}, which a model folder does not; the model folder replaces it as a whole: choose a new or empty folder`);
}

/**
 * Loads `model` + `adapter`, merges, saves to `out`, copies the companion files. Returns what was
 * merged (the adapted module paths) and the dtype written.
 */
export async function mergeAdapter(opts: {
  model: string; adapter: string; out: string; dtype?: Dtype; threads?: number; device?: string; maxShardSize?: string;
}): Promise<{ modules: string[]; dtype: Dtype; copied: string[] }> {
  const dtype = opts.dtype ?? storedDtype(opts.model);
  const model = await Model.load(opts.model, { dtype, threads: opts.threads, device: opts.device });
  try {
    const info = await model.loadAdapter(opts.adapter);
    await model.mergeLora();
    assertReplaceableModelDir(opts.out);
    const copied: string[] = [];
    await writeDirAtomic(opts.out, async (tmp) => {
      await model.save(tmp, { dtype, ...(opts.maxShardSize ? { maxShardSize: opts.maxShardSize } : {}) });
      for (const f of COMPANION_FILES) {
        if (existsSync(join(opts.model, f))) {
          copyFileAtomic(join(opts.model, f), join(tmp, f));
          copied.push(f);
        }
      }
    });
    return { modules: info.modules.map((m) => m.path), dtype, copied };
  } finally {
    model.dispose();
  }
}

const merge: CommandModule = {
  command: 'merge',
  describe: 'fold a PEFT LoRA adapter into its base model and write a plain Hugging Face model folder',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'base HF model folder' })
      .option('adapter', { type: 'string', demandOption: true, describe: 'PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder for the merged model' })
      .option('dtype', { choices: DTYPES, describe: 'dtype of the merged weights (default: the base\'s stored dtype)' })
      .option('max-shard-size', { type: 'string', describe: 'largest safetensors file, e.g. "5GB" (default "50GB", as transformers)' })
      .option('threads', { type: 'number', describe: 'libtorch threads (default: all cores)' })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N' })
      .example('$0 model merge --model models/demo-base --adapter runs/r1/final --out models/r1-merged', 'a plain HF folder that loads without PEFT'),
  handler: async (a) => {
    const r = await mergeAdapter({
      model: a.model as string, adapter: a.adapter as string, out: a.out as string, dtype: a.dtype as Dtype | undefined,
      threads: a.threads as number | undefined, device: a.device as string, maxShardSize: a['max-shard-size'] as string | undefined,
    });
    console.log(`merged ${r.modules.length} adapted modules into ${a.out as string} (${r.dtype})` +
      (r.copied.length ? `; copied ${r.copied.join(', ')}` : ''));
  },
};
export default merge;
