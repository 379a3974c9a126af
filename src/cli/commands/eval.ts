/**
 * `eyemulator eval --preds F.jsonl --task translation|summarization|completion [--json]
 *  [--train-targets F] [--lang java|c_sharp] [--crystal-k K]`
 *
 * Scores one system's predictions with every METHOD.md §7 metric (src/eval/). Each JSONL line is
 * `{"id", "input", "prediction", "reference"}` (prediction and reference required strings; id and
 * input optional); blank lines are skipped; a malformed line fails with `file:line`.
 * `--train-targets`: training-set targets for CrystalBLEU's trivially shared n-grams — a .jsonl
 * file (field `reference`, `target` or `content`, first present) or plain text, one per line.
 */
import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { z } from 'zod';
import { evaluate, headline, TASKS, type EvalExample, type EvalResult, type Task } from '../../eval/index.ts';
import { InputError } from '../../util/errors.ts';
import { stripBom } from '../../util/json.ts';
import { MAX_JSONL_LINE_BYTES, readBoundedLines } from '../../data/artifact-jsonl.ts';

const Line = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  input: z.string().optional(),
  prediction: z.string(),
  reference: z.string(),
});

/**
 * Longest prediction or reference scored (characters). Metrics such as ROUGE-L and METEOR align
 * token sequences in O(n·m): a few-megabyte prediction would run for hours. Model outputs and
 * task targets are at most a few thousand tokens.
 */
export const MAX_SCORED_CHARS = 32 * 1024;

/** Reads predictions JSONL; InputError naming file:line on a bad line, an oversized one, or no predictions at all. */
export async function readPredictions(file: string): Promise<EvalExample[]> {
  if (!existsSync(file)) throw new InputError('file not found', { file });
  const out: EvalExample[] = [];
  for await (const l of readBoundedLines(file)) {
    const lineNo = l.line;
    if (l.text === undefined) throw new InputError(`line of ${l.bytes} bytes, longer than the ${MAX_JSONL_LINE_BYTES / 2 ** 20} MiB a predictions line may hold`, { file, line: lineNo });
    const raw = l.text;
    if (raw.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(stripBom(raw));
    } catch (err) {
      throw new InputError(`not valid JSON (${(err as Error).message})`, { file, line: lineNo });
    }
    const parsed = Line.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length > 0 ? `field "${issue.path.join('.')}"` : 'line';
      throw new InputError(`${where}: ${issue.message} (expected {"id","input","prediction","reference"} with string prediction and reference)`, { file, line: lineNo });
    }
    for (const f of ['prediction', 'reference'] as const)
      if (parsed.data[f].length > MAX_SCORED_CHARS)
        throw new InputError(`field "${f}" holds ${parsed.data[f].length} characters, more than the ${MAX_SCORED_CHARS} scored (the metrics align tokens in quadratic time)`, { file, line: lineNo });
    out.push({ prediction: parsed.data.prediction, reference: parsed.data.reference, input: parsed.data.input });
  }
  if (out.length === 0)
    throw new InputError('holds no predictions (empty or blank lines only): every score would read 0; check the generation step', { file });
  return out;
}

/**
 * Training targets for CrystalBLEU: a .jsonl file (field reference, target or content) or plain
 * text, one per line. Read line by line with the JSONL cap (a longer line is an InputError naming
 * file:line, never buffered whole).
 */
export async function readTrainTargets(file: string): Promise<string[]> {
  if (!existsSync(file)) throw new InputError('file not found', { file });
  const jsonl = file.endsWith('.jsonl');
  const out: string[] = [];
  for await (const l of readBoundedLines(file)) {
    if (l.text === undefined) throw new InputError(`line of ${l.bytes} bytes, longer than the ${MAX_JSONL_LINE_BYTES / 2 ** 20} MiB a training target may hold`, { file, line: l.line });
    const text = l.line === 1 ? stripBom(l.text) : l.text;
    if (text.trim() === '') continue;
    if (!jsonl) {
      out.push(text);
      continue;
    }
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new InputError(`not valid JSON (${(err as Error).message})`, { file, line: l.line });
    }
    const field = ['reference', 'target', 'content'].find((f) => typeof obj?.[f] === 'string');
    if (!field) throw new InputError('no string field "reference", "target" or "content"', { file, line: l.line });
    out.push(obj[field] as string);
  }
  return out;
}

function fmt(v: number | null): string {
  return v === null ? '—' : v.toFixed(2);
}

export function formatTable(r: EvalResult): string {
  const rows: Array<[string, string]> = [
    ['n', String(r.n)],
    ['Exact', fmt(r.exact)],
    ['Contain', fmt(r.contain)],
    ['H-Exact', fmt(r.hExact)],
    ['BLEU-4 (corpus, CodeXGLUE)', fmt(r.bleu)],
    ['CodeBLEU', fmt(r.codebleu)],
    ['chrF++', fmt(r.chrf)],
    ['CrystalBLEU', fmt(r.crystalbleu)],
    ['METEOR (exact+stem, no synonyms)', fmt(r.meteor)],
    [r.task === 'summarization' ? 'ROUGE-L F1 (rouge-score, stemmed)' : 'ROUGE-L F1 (code tokens)', fmt(r.rougeL)],
    ['CodeXGLUE accuracy', fmt(r.codexglueAccuracy)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [`task: ${r.task}`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v.padStart(7)}`)].join('\n');
}

interface Args {
  preds: string;
  task: Task;
  json?: boolean;
  'train-targets'?: string;
  lang?: 'java' | 'c_sharp';
  'crystal-k'?: number;
}

const command: CommandModule<object, Args> = {
  command: 'eval',
  describe: 'score predictions (JSONL) with Exact/Contain, BLEU, CodeBLEU, chrF++, CrystalBLEU, METEOR, ROUGE-L',
  builder: (y) =>
    y
      .option('preds', { type: 'string', demandOption: true, describe: 'JSONL: {"id","input","prediction","reference"} per line' })
      .option('task', { choices: TASKS as Task[], demandOption: true, describe: 'which task the predictions are for' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of a table' })
      .option('train-targets', { type: 'string', describe: 'training targets for CrystalBLEU (.jsonl or one per line)' })
      .option('lang', { choices: ['java', 'c_sharp'] as const, describe: 'CodeBLEU language (default: c_sharp for translation, java for completion)' })
      .option('crystal-k', { type: 'number', default: 500, describe: 'CrystalBLEU: how many most frequent n-grams to ignore' })
      .example('$0 eval --preds runs/r1/predictions.jsonl --task translation --train-targets train.jsonl', 'every metric, CrystalBLEU ignoring the n-grams frequent in the training targets'),
  handler: async (argv) => {
    const examples = await readPredictions(argv.preds);
    const trainTargets = argv['train-targets'] ? await readTrainTargets(argv['train-targets']) : undefined;
    const result = await evaluate(examples, argv.task, { trainTargets, lang: argv.lang, crystalK: argv['crystal-k'] });
    if (argv.json) console.log(JSON.stringify(headline(result)));
    else console.log(formatTable(result));
  },
};

export default command;
