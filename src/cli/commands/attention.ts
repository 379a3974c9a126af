/**
 * `eyemulator attention --model DIR [--adapter DIR] --data PATH --task T [--split S] [--n 24]
 *  [--max-new-tokens N] [--layer L] [--recency-k K] [--priors FILE] [--mode M] [--batch-size B]
 *  [--max-prompt-tokens N] [--json] [--out FILE] [--threads N]`
 *
 * Attention diagnostics on generated tokens (METHOD.md §7; docs/attention.md): generation
 * confidence, attention entropy over the input, focus on the input code, recency, and human
 * alignment (Spearman ρ with the priors' E[θ] per label). Prints a table (name, n, mean, 95% CI);
 * `--json` prints the whole result object instead, `--out` writes it (with every example's values)
 * as JSON.
 *
 * `--data`: a CodeXGLUE java-cs folder (with `--split`, default valid) or one of its
 * `<split>.java-cs.txt.{java,cs}` files, or an artifact JSONL file (read as `--task`).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import cliProgress from 'cli-progress';
import type { CommandModule } from 'yargs';
import { Model } from '../../model/model.ts';
import { loadModelTokenizer } from '../../model/tokenizer.ts';
import { formatTaskData, loadTask, parseTaskName, TASK_NAMES, type TaskSource } from '../../data/tasks.ts';
import type { TaskName } from '../../data/prompt.ts';
import { defaultPriorsPath, loadPriors } from '../../priors/io.ts';
import { MODES, type Mode } from '../../priors/format.ts';
import { attentionDiagnostics, DIAGNOSTIC_NAMES, type AttentionDiagnosticsResult } from '../../experiment/attention.ts';
import { InputError, OptionError } from '../../util/errors.ts';
import { writeTextAtomic } from '../../util/atomic-write.ts';
import { resolveTaskSource, type Split } from '../../data/source.ts';

const SPLITS = ['train', 'valid', 'test'] as const;

function fmt(x: number | null, digits = 4): string {
  return x === null ? '–' : x.toFixed(digits);
}

/** The printed table: one row per diagnostic (n, mean, 95% CI), then what was skipped. */
export function formatAttentionTable(r: AttentionDiagnosticsResult): string {
  const labels: Record<(typeof DIAGNOSTIC_NAMES)[number], string> = {
    confidence: 'confidence (mean log-prob)',
    entropy: 'entropy (nats)',
    focus: 'focus (code share)',
    recency: `recency (last ${r.settings.recencyK})`,
    humanAlignment: `human alignment (ρ, ${r.settings.mode})`,
  };
  const rows = DIAGNOSTIC_NAMES.map((k) => {
    const s = r.summary[k];
    return [labels[k], String(s.n), fmt(s.mean), s.ci95 ? `[${fmt(s.ci95[0])}, ${fmt(s.ci95[1])}]` : '–'];
  });
  const head = ['diagnostic', 'n', 'mean', '95% CI'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  const out = [
    `layer ${r.settings.layer} of ${r.settings.layers} (0-based), ${r.settings.heads} heads averaged; greedy, ≤ ${r.settings.maxNewTokens} new tokens; BOS/special positions excluded`,
    line(head),
    ...rows.map(line),
  ];
  const reasons = (rep: AttentionDiagnosticsResult['skipped']) => Object.entries(rep.byReason).map(([k, v]) => `${v} × ${k}`).join('; ');
  out.push(`examples: ${r.ids.length} of ${r.settings.requested} requested${r.skipped.total ? `; skipped ${r.skipped.total} (${reasons(r.skipped)})` : ''}`);
  if (r.alignmentExcluded.total) out.push(`human alignment undefined for ${r.alignmentExcluded.total} example(s), left out of its mean: ${reasons(r.alignmentExcluded)}`);
  const cites = r.settings.priorsCitations.length ? r.settings.priorsCitations.join(' ') : r.settings.priorsSource;
  out.push(`E[θ] from priors: ${cites}`);
  return out.join('\n');
}

interface Args {
  model: string;
  adapter?: string;
  data: string;
  task: string;
  split: Split;
  n: number;
  'max-new-tokens': number;
  layer?: number;
  'recency-k': number;
  priors?: string;
  mode: Mode;
  'batch-size': number;
  'max-prompt-tokens'?: number;
  dtype: 'auto' | 'float32' | 'bfloat16';
  json: boolean;
  out?: string;
  threads?: number;
}

function intFlag(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min) throw new OptionError(`--${name} must be an integer ≥ ${min}, got ${v}`);
}

const command: CommandModule<object, Args> = {
  command: 'attention',
  describe: 'attention diagnostics of generated tokens: confidence, entropy, focus, recency, human alignment (METHOD.md §7)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'HF model folder (with tokenizer.json)' })
      .option('adapter', { type: 'string', describe: 'PEFT LoRA adapter folder to apply' })
      .option('data', { type: 'string', demandOption: true, describe: 'CodeXGLUE java-cs folder or split file, or artifact .jsonl' })
      .option('task', { choices: TASK_NAMES, demandOption: true, describe: 'task whose prompt template wraps each input' })
      .option('split', { choices: SPLITS, default: 'valid' as Split, describe: 'CodeXGLUE split when --data is a folder' })
      .option('n', { type: 'number', default: 24, describe: 'first n examples of the data, in file order' })
      .option('max-new-tokens', { type: 'number', default: 128, describe: 'greedy decoding length limit' })
      .option('layer', { type: 'number', describe: 'attention layer, 0-based (default: the last)' })
      .option('recency-k', { type: 'number', default: 8, describe: 'recency = share of attention on the last k prompt positions' })
      .option('priors', { type: 'string', describe: 'priors file for E[θ] (default: shipped EyeTrans priors)' })
      .option('mode', { choices: MODES, default: 'combined' as Mode, describe: 'priors mode' })
      .option('batch-size', { type: 'number', default: 1, describe: 'prompts per engine call (left padding never reaches the diagnostics)' })
      .option('max-prompt-tokens', { type: 'number', describe: 'skip (and report) examples whose prompt is longer' })
      .option('dtype', { choices: ['auto', 'float32', 'bfloat16'] as const, default: 'auto' as const, describe: "weights in memory: auto = the checkpoint's dtype" })
      .option('json', { type: 'boolean', default: false, describe: 'print the whole result as JSON instead of the table' })
      .option('out', { type: 'string', describe: 'write the whole result (with per-example values) as JSON' })
      .option('threads', { type: 'number', describe: 'libtorch threads (default: all cores)' })
      .example('$0 attention --model models/demo-base --adapter runs/demo/cells/translation-full-full-s1/final --data data/codexglue/java-cs --task translation --n 24', 'the five diagnostics on the first 24 validation pairs, with a trained adapter'),
  handler: async (a) => {
    const task = parseTaskName(a.task);
    intFlag('n', a.n, 1);
    intFlag('max-new-tokens', a['max-new-tokens'], 1);
    intFlag('layer', a.layer, 0);
    intFlag('recency-k', a['recency-k'], 1);
    intFlag('batch-size', a['batch-size'], 1);
    intFlag('max-prompt-tokens', a['max-prompt-tokens'], 1);
    intFlag('threads', a.threads, 1);
    const priorsPath = a.priors ?? defaultPriorsPath();
    const priors = loadPriors(priorsPath);
    const data = await loadTask(resolveTaskSource(task, a.data, a.split as Split));
    process.stderr.write(formatTaskData(data) + '\n');
    if (data.examples.length === 0) throw new InputError(`no ${task} examples to run on`, { file: a.data });
    const tok = await loadModelTokenizer(a.model);
    const model = await Model.load(a.model, { dtype: a.dtype, threads: a.threads });
    let result: AttentionDiagnosticsResult;
    try {
      if (a.adapter) await model.loadAdapter(a.adapter);
      const bar = new cliProgress.SingleBar({ format: 'attention [{bar}] {value}/{total} | ETA {eta}s', noTTYOutput: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
      bar.start(Math.min(a.n, data.examples.length), 0);
      result = await attentionDiagnostics(model, tok, data.examples, {
        n: a.n, maxNewTokens: a['max-new-tokens'], layer: a.layer, recencyK: a['recency-k'], priors, mode: a.mode,
        batchSize: a['batch-size'], maxPromptTokens: a['max-prompt-tokens'], threads: a.threads,
        onProgress: (done, total) => { bar.setTotal(total); bar.update(done); },
      });
      bar.stop();
    } finally {
      model.dispose();
    }
    const doc = {
      model: a.model, adapter: a.adapter ?? null, task, data: data.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      priors: priorsPath, ...result,
    };
    const json = JSON.stringify(doc, null, 2) + '\n';
    if (a.out) writeTextAtomic(a.out, json);
    if (a.json) process.stdout.write(json);
    else process.stdout.write(formatAttentionTable(result) + '\n');
  },
};

export default command;
