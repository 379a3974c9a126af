/**
 * `eyemulator model info (--model DIR | DIR) [--json] [--device cpu|cuda[:N]]`: architecture, parameters, dtype,
 * tensors — from the headers only; no weight is read. With --device the weights are also loaded by
 * the engine on that device (a check that the model loads and fits there), and `device` is reported.
 *
 * `parameters` counts the model's parameters: a stored lm_head.weight of a model with tied
 * embeddings is the embedding matrix again and is counted once (as HF's num_parameters), and
 * tensors the model does not use (any dtype: F8_E4M3 scales, U32 buffers, ...) are not counted but
 * listed in `unusedTensors`; tensors the config implies that no file stores are listed in
 * `missingTensors` (such a folder does not load). Both come from the engine's tensor names for the
 * config (`expectedTensorNames`: its module structure on the meta device, no weight read); with
 * --device the engine's own load report gives `unusedTensors`. A config the engine refuses is
 * reported in `engineRefusal`; then, as without the addon, every stored tensor is counted and
 * both lists are unknown.
 *
 * The folder is `--model DIR`, the spelling every other command uses; the positional `DIR` is
 * accepted too (the older form). Giving both with different folders is an OptionError.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { Model } from '../../../model/model.ts';
import { expectedTensorNames, type HfConfig } from '../../../model/config.ts';
import { readSafetensorsHeader, type HeaderTensor } from '../../../model/safetensors-header.ts';
import { InputError, OptionError } from '../../../util/errors.ts';
import { NativeLoadError } from '../../../native/index.ts';
import { stripBom } from '../../../util/json.ts';

export function describeModelDir(dir: string) {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new InputError('no config.json: not a Hugging Face model folder', { file: dir });
  let cfg: Record<string, any>;
  try {
    cfg = JSON.parse(stripBom(readFileSync(cfgPath, 'utf8')));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file: cfgPath });
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new InputError('expected a JSON object (HF config.json)', { file: cfgPath });
  const files: string[] = [];
  if (existsSync(join(dir, 'model.safetensors'))) files.push('model.safetensors');
  else if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    const idxPath = join(dir, 'model.safetensors.index.json');
    let idx: Record<string, any>;
    try {
      idx = JSON.parse(stripBom(readFileSync(idxPath, 'utf8')));
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message})`, { file: idxPath });
    }
    const map = idx?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.values(map).every((f) => typeof f === 'string' && f !== '' && !f.includes('/')))
      throw new InputError('field "weight_map" must map tensor names to safetensors file names in this folder', { file: idxPath });
    files.push(...[...new Set(Object.values(map) as string[])].sort());
  } else throw new InputError('no model.safetensors or model.safetensors.index.json', { file: dir });
  const tensors: HeaderTensor[] = files.flatMap((f) => readSafetensorsHeader(join(dir, f)).tensors);
  const numel = (t: HeaderTensor) => t.shape.reduce((a, b) => a * b, 1);
  const tied = cfg.tie_word_embeddings ?? cfg.model_type === 'gpt_bigcode';
  // Which stored tensors are the model's: the engine's names for this config (cpp/checkpoint.h
  // tensor_names, no weights read). A config the engine refuses is said, not skipped over; without
  // the addon the headers alone are described.
  let expected: Set<string> | undefined;
  let missingTensors: string[] | undefined;
  let engineRefusal: string | undefined;
  try {
    const names = expectedTensorNames(cfg as HfConfig, cfgPath);
    const stored = new Set(tensors.map((t) => t.name));
    expected = new Set(names);
    missingTensors = names.filter((n) => !stored.has(n));
  } catch (e) {
    if (!(e instanceof NativeLoadError)) engineRefusal = (e as Error).message;
  }
  const isUnused = (t: HeaderTensor) =>
    expected !== undefined && !expected.has(t.name) && !(tied && t.name === 'lm_head.weight') && !t.name.includes('rotary_emb.inv_freq');
  const unusedTensors = expected === undefined ? undefined : tensors.filter(isUnused).map((t) => t.name);
  // A tied lm_head stored anyway is the embedding matrix again: counted once.
  const counted = tensors.filter((t) => !isUnused(t) && !(tied && t.name === 'lm_head.weight') && !t.name.includes('rotary_emb.inv_freq'));
  const dtypes = [...new Set(counted.map((t) => t.dtype))];
  return {
    dir,
    architecture: (cfg.architectures?.[0] as string) ?? cfg.model_type ?? 'unknown',
    parameters: counted.reduce((a, t) => a + numel(t), 0),
    dtype: dtypes.join(','),
    /** Stored tensors the model has no parameter for; undefined when unknown (no addon, or a config the engine refuses). */
    unusedTensors,
    /** Tensors the config implies that no file stores (the engine would refuse to load the folder); undefined when unknown. */
    missingTensors,
    /** Why the engine refuses this config.json (it could not load or train the model); undefined when it accepts it or no addon is built. */
    engineRefusal,
    tensorCount: tensors.length,
    files,
    config: {
      vocab_size: cfg.vocab_size, hidden_size: cfg.hidden_size, num_hidden_layers: cfg.num_hidden_layers,
      num_attention_heads: cfg.num_attention_heads, num_key_value_heads: cfg.num_key_value_heads,
      intermediate_size: cfg.intermediate_size, tie_word_embeddings: cfg.tie_word_embeddings ?? false,
    },
    tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
  };
}

/** The model folder of `model info`: --model or the positional, one of them (the same folder if both). */
export function modelInfoDir(a: { model?: unknown; dir?: unknown }): string {
  const model = a.model === undefined ? undefined : String(a.model);
  const dir = a.dir === undefined ? undefined : String(a.dir);
  if (model !== undefined && dir !== undefined && model !== dir)
    throw new OptionError(`model info: --model ${model} and the folder ${dir} differ: give the model folder once (--model DIR)`);
  const d = model ?? dir;
  if (d === undefined) throw new OptionError('model info: give the model folder with --model DIR');
  return d;
}

const info: CommandModule = {
  command: 'info [dir]',
  describe: 'architecture, parameter count, dtype and tensors of a HF model folder',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', describe: 'HF model folder (the same as --model)' })
      .option('model', { type: 'string', describe: 'HF model folder (config.json + model.safetensors or its index)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object (the tensors listed)' })
      .option('device', { type: 'string', describe: 'also load the weights with the engine on cpu, cuda or cuda:N (default: headers only)' })
      .example('$0 model info --model models/demo-base', 'architecture, parameters, dtype and files, from the headers only')
      .example('$0 model info --model models/demo-base --device cuda --json', 'also check that the weights load on the GPU'),
  handler: async (a) => {
    const dir = modelInfoDir(a as { model?: unknown; dir?: unknown });
    const d: ReturnType<typeof describeModelDir> & { device?: string } = describeModelDir(dir);
    if (a.device !== undefined) {
      const m = await Model.load(dir, { device: a.device as string });
      d.device = m.device;
      d.unusedTensors = m.unusedTensors; // the engine's own list
      m.dispose();
    }
    if (a.json) { console.log(JSON.stringify(d)); return; }
    console.log(`${d.dir}\n  architecture  ${d.architecture}\n  parameters    ${d.parameters.toLocaleString('en')}\n  dtype         ${d.dtype}\n  tensors       ${d.tensorCount} in ${d.files.join(', ')}`);
    if (d.device) console.log(`  device        ${d.device} (loaded)`);
    const some = (names: string[]) => names.slice(0, 6).join(', ') + (names.length > 6 ? `, … (${names.length - 6} more; --json lists all)` : '');
    if (d.engineRefusal) console.log(`  engine        refuses this config (the model cannot be loaded or trained): ${d.engineRefusal}`);
    if (d.missingTensors?.length) console.log(`  missing       ${d.missingTensors.length} tensor(s) the config implies are not stored (the model cannot be loaded): ${some(d.missingTensors)}`);
    if (d.unusedTensors?.length) console.log(`  unused        ${d.unusedTensors.length} tensor(s) the model does not use: ${some(d.unusedTensors)}`);
    for (const [k, v] of Object.entries(d.config)) if (v !== undefined) console.log(`  ${k.padEnd(22)}${v}`);
  },
};
export default info;
