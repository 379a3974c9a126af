/**
 * `eyemulator generate --model DIR [--adapter DIR] --prompt TEXT | --data FILE.jsonl [--task T]
 * [--max-new-tokens N] [--beams K] [--stop S]… [--device cpu|cuda[:N]] --out FILE.jsonl`: one JSON line per example
 * {"id","input","prediction","reference","finish","tokens","meanLogprob"}.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { CommandModule } from 'yargs';
import { Model } from '../../model/model.ts';
import { assertTokenizerFitsModel, loadModelTokenizer } from '../../model/tokenizer.ts';
import { generateText } from '../../model/generation.ts';
import { buildPrompt, type TaskName } from '../../data/prompt.ts';
import { TASK_NAMES } from '../../data/tasks.ts';
import { InputError, OptionError } from '../../util/errors.ts';
import { readJsonFileIfExists, stripBom } from '../../util/json.ts';
import { MAX_JSONL_LINE_BYTES, readBoundedLines } from '../../data/artifact-jsonl.ts';
import { writeTextAtomic } from '../../util/atomic-write.ts';

interface Item { id: string; input: string; reference: string | null }

async function readItems(file: string): Promise<Item[]> {
  const items: Item[] = [];
  // Lines are read with a cap (MAX_JSONL_LINE_BYTES): an oversized prompt is refused by line,
  // never buffered whole.
  for await (const l of readBoundedLines(file)) {
    const line = l.line;
    if (l.text === undefined)
      throw new InputError(`line of ${l.bytes} bytes, longer than the ${MAX_JSONL_LINE_BYTES / 2 ** 20} MiB a prompt line may hold: shorten the input`, { file, line });
    if (!l.text.trim()) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(stripBom(l.text));
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message})`, { file, line });
    }
    if (!j || typeof j !== 'object' || Array.isArray(j)) throw new InputError('expected a JSON object {"id"?, "input", "reference"?} per line', { file, line });
    if (typeof j.input !== 'string') throw new InputError('field "input" (the source code or prompt) must be a string', { file, line });
    items.push({ id: j.id === undefined ? String(items.length) : String(j.id), input: j.input, reference: typeof j.reference === 'string' ? j.reference : null });
  }
  return items;
}

/** The model's max_position_embeddings (n_positions) from its config.json, or null when unreadable (Model.load reports that). */
function maxPositions(modelDir: string): number | null {
  try {
    const cfg = readJsonFileIfExists<Record<string, unknown>>(join(modelDir, 'config.json'));
    const v = cfg && typeof cfg === 'object' ? (cfg.max_position_embeddings ?? cfg.n_positions ?? 2048) : null;
    return Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : null;
  } catch {
    return null;
  }
}

const generate: CommandModule = {
  command: 'generate',
  describe: 'decode with a model (greedy or beam search, KV cache) and write predictions as JSONL',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'HF model folder (with tokenizer.json)' })
      .option('adapter', { type: 'string', describe: 'PEFT LoRA adapter folder to apply' })
      .option('prompt', { type: 'string', describe: 'one prompt (or code with --task)' })
      .option('data', { type: 'string', describe: 'JSONL with {"id", "input", "reference"?} per line' })
      .option('task', { choices: TASK_NAMES, describe: 'wrap each input in the task prompt template' })
      .option('max-new-tokens', { type: 'number', describe: 'decoding length limit in new tokens (default 256; HF generate\'s max_new_tokens)' })
      // The old spelling, kept working but out of --help (one spelling per flag across commands).
      .option('max-new', { type: 'number', hidden: true })
      .option('beams', { type: 'number', default: 1, describe: 'beam width (1 = greedy)' })
      .option('batch-size', { type: 'number', default: 8, describe: 'prompts decoded together' })
      .option('stop', { type: 'string', array: true, describe: 'cut the output at this string (repeatable)' })
      .option('dtype', { choices: ['auto', 'float32', 'bfloat16'], default: 'auto', describe: "weights in memory: auto = the checkpoint's dtype" })
      .option('threads', { type: 'number', describe: 'libtorch threads (default: the machine\'s cores)' })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N (CUDA needs the addon built against a CUDA libtorch)' })
      .option('out', { type: 'string', describe: 'output JSONL (default: stdout)' })
      .option('json', { type: 'boolean', default: false, describe: 'with --out: print a JSON summary (n, tokens, finish reasons, seconds) on stdout' })
      .example('$0 generate --model base --adapter run/final --data valid.jsonl --task translation --out preds.jsonl', 'greedy decoding of a dataset with a trained adapter'),
  handler: async (a) => {
    if (!a.prompt === !a.data) throw new OptionError('give exactly one of --prompt or --data');
    if (a.json && !a.out) throw new OptionError('--json prints a summary beside the predictions: give --out for the predictions');
    const t0 = performance.now();
    const items: Item[] = a.data ? await readItems(a.data as string) : [{ id: '0', input: a.prompt as string, reference: null }];
    const task = a.task as TaskName | undefined;
    const tok = await loadModelTokenizer(a.model as string);
    for (const n of tok.notes) process.stderr.write(`note: ${n}\n`);
    // Every prompt must fit the model's positions, checked before the model is loaded: a 2 MB
    // prompt (~500k tokens) would otherwise size attention buffers of terabytes.
    const P = maxPositions(a.model as string);
    if (P !== null) {
      for (const it of items) {
        const text = task ? buildPrompt(task, it.input) : it.input;
        // Lines are capped at MAX_JSONL_LINE_BYTES and an argv string at 128 KiB, so encoding is bounded.
        const n = (await tok.encode(text)).length;
        const what = `the prompt holds ${n} tokens, more than the model's ${P} positions (max_position_embeddings): shorten it`;
        if (n > P) throw a.data ? new InputError(`example ${it.id}: ${what}`, { file: a.data as string }) : new OptionError(`--prompt: ${what}`);
      }
    }
    const model = await Model.load(a.model as string, {
      dtype: a.dtype as 'auto', threads: a.threads as number | undefined, device: a.device as string,
    });
    try {
      assertTokenizerFitsModel(tok, model.info().vocabSize);
      if (a.adapter) await model.loadAdapter(a.adapter as string);
      const bar = new cliProgress.SingleBar({ format: 'generate [{bar}] {value}/{total} | ETA {eta}s', noTTYOutput: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
      bar.start(items.length, 0);
      const gens = await generateText(model, tok, items.map((it) => (task ? buildPrompt(task, it.input) : it.input)), {
        maxNewTokens: (a['max-new-tokens'] ?? a['max-new'] ?? 256) as number, beams: a.beams as number, batchSize: a['batch-size'] as number,
        stop: (a.stop as string[] | undefined) ?? [], threads: a.threads as number | undefined,
        onProgress: (done) => bar.update(done),
      });
      bar.stop();
      const lines = gens.map((g, i) => JSON.stringify({
        id: items[i].id, input: items[i].input, prediction: g.text, reference: items[i].reference, finish: g.finish, tokens: g.tokens, meanLogprob: g.meanLogprob,
      }));
      if (a.out) writeTextAtomic(a.out as string, lines.join('\n') + '\n');
      else process.stdout.write(lines.join('\n') + '\n');
      if (a.json) {
        const finish: Record<string, number> = {};
        for (const g of gens) finish[g.finish] = (finish[g.finish] ?? 0) + 1;
        process.stdout.write(JSON.stringify({
          out: a.out, n: gens.length, tokens: gens.reduce((x, g) => x + g.tokens, 0), finish, seconds: (performance.now() - t0) / 1000,
        }) + '\n');
      }
    } finally {
      model.dispose();
    }
  },
};
export default generate;
