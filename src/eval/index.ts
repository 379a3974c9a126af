/**
 * `evaluate`: every METHOD.md §7 metric for one system's outputs on one task, on a 0–100 scale,
 * with what the paired bootstrap needs (per-example values or per-example corpus statistics).
 *
 * Per task (null = not meaningful for the task):
 * | metric      | translation (Java→C#)          | completion (Java)             | summarization (→English)           |
 * |-------------|--------------------------------|-------------------------------|------------------------------------|
 * | exact etc.  | comments + whitespace removed  | same                          | whitespace removed only            |
 * | bleu        | CodeXGLUE corpus BLEU-4        | same                          | same, on lower-cased splitPuncts   |
 * | codebleu    | CodeBLEU, C#                   | CodeBLEU, Java                | null                               |
 * | chrf        | corpus chrF++ (sacreBLEU)      | same                          | same                               |
 * | crystalbleu | corpus, needs trainTargets     | same                          | null                               |
 * | meteor      | mean sentence METEOR           | same                          | same                               |
 * | rougeL      | mean ROUGE-L F1, code tokens   | same                          | mean ROUGE-L F1 (rouge-score, stem)|
 * CrystalBLEU is null when no training targets are given (its ignore set comes from them).
 */
import { codexglueAccuracy, exactScores } from './exact.ts';
import { codexglueBleuFromStats, codexglueBleuStats, codexglueTextTokens, smoothedSentenceBleu } from './bleu.ts';
import { codebleuFromStats, codebleuStats, type CodeBleuOptions, type CodeLang } from './codebleu.ts';
import { chrfFromStats, chrfStats, sentenceChrf } from './chrf.ts';
import { crystalBleuFromStats, crystalBleuStats, triviallySharedNgrams } from './crystalbleu.ts';
import { meteor } from './meteor.ts';
import { rougeL } from './rouge.ts';
import { whitespaceTokens } from './tokenize.ts';
import type { MetricSample } from './stats.ts';
import { InputError, OptionError } from '../util/errors.ts';
import { TASK_NAMES, type TaskName } from '../data/task-names.ts';

export * from './tokenize.ts';
export * from './exact.ts';
export * from './bleu.ts';
export * from './codebleu.ts';
export * from './chrf.ts';
export * from './crystalbleu.ts';
export * from './meteor.ts';
export * from './rouge.ts';
export * from './stats.ts';

/** The task list under the names eval has always exported; the one definition is src/data/task-names.ts. */
export type Task = TaskName;
export const TASKS: readonly Task[] = TASK_NAMES;

export const METRICS = ['exact', 'contain', 'hExact', 'bleu', 'codebleu', 'chrf', 'crystalbleu', 'meteor', 'rougeL'] as const;
export type MetricName = (typeof METRICS)[number];

export interface EvalExample {
  prediction: string;
  reference: string;
  input?: string;
}

export interface EvaluateOptions {
  /** Target language for CodeBLEU (default: c_sharp for translation, java for completion). */
  lang?: CodeLang;
  /** Training-set targets from which CrystalBLEU's trivially shared n-grams are taken. */
  trainTargets?: readonly string[];
  /** CrystalBLEU's k (default 500). */
  crystalK?: number;
  /** ROUGE-L β (default 1: F1, METHOD.md §7; 1.2 = pycocoevalcap, for comparison only). */
  rougeBeta?: number;
  codebleu?: CodeBleuOptions;
}

export interface EvalScores {
  n: number;
  exact: number;
  contain: number;
  hExact: number;
  bleu: number | null;
  codebleu: number | null;
  chrf: number | null;
  crystalbleu: number | null;
  meteor: number | null;
  rougeL: number | null;
}

export interface EvalResult extends EvalScores {
  task: Task;
  /** CodeXGLUE code-to-code evaluator "Acc" (stripped-line equality), 0–100. */
  codexglueAccuracy: number;
  /** Per-example values (0–100) of the per-example metrics, and sentence-level views of corpus ones. */
  perExample: {
    exact: number[];
    contain: number[];
    hExact: number[];
    meteor: number[];
    rougeL: number[];
    /** sentence chrF++ per example (the corpus value is NOT their mean). */
    chrf: number[];
    /** smoothed sentence BLEU (CodeXGLUE variant) per example. */
    sentenceBleu: number[];
  };
  /** CodeBLEU components (0–100) when computed. */
  codebleuParts: { ngram: number; weightedNgram: number; syntax: number; dataflow: number | null } | null;
  /** Bootstrap inputs per metric (null where the metric is null). */
  samples: Record<MetricName, MetricSample | null>;
}

const meanSample = (values: number[]): MetricSample => ({ kind: 'mean', values });
const avg = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

function corpusSample(stats: number[][], score: (sum: number[]) => number): MetricSample {
  return { kind: 'corpus', stats, score };
}

function sumStats(stats: number[][]): number[] {
  const width = stats.length > 0 ? stats[0].length : 0;
  const s = new Array<number>(width).fill(0);
  for (const st of stats) for (let k = 0; k < width; k++) s[k] += st[k];
  return s;
}

/**
 * The corpus score (0–100) of a corpus-kind metric from its summed per-example sufficient statistics:
 * the one metric → scorer map, used by `evaluate` and by the report when it rescores pooled or
 * resampled examples. `codebleu` carries CodeBLEU's weights and empty-dataflow rule (default: the
 * standard ones). A mean-kind metric (exact, meteor, …) has no corpus score: OptionError.
 */
export function corpusScorer(metric: MetricName, codebleu: CodeBleuOptions = {}): (sum: number[]) => number {
  switch (metric) {
    case 'bleu': return (s) => codexglueBleuFromStats(s).bleu;
    case 'chrf': return (s) => chrfFromStats(s);
    case 'codebleu': return (s) => codebleuFromStats(s, codebleu).codebleu;
    case 'crystalbleu': return (s) => crystalBleuFromStats(s);
    default: throw new OptionError(`metric "${metric}" is not a corpus metric (corpus metrics: bleu, chrf, codebleu, crystalbleu)`);
  }
}

export async function evaluate(examples: readonly EvalExample[], task: Task, opts: EvaluateOptions = {}): Promise<EvalResult> {
  if (!TASKS.includes(task)) throw new OptionError(`unknown task "${task}" (use ${TASKS.join(', ')})`);
  const isCode = task !== 'summarization';
  const preds = examples.map((e) => e.prediction);
  const refs = examples.map((e) => e.reference);
  const n = examples.length;
  // Every metric of an empty set would read 0 (or NaN): a score of nothing is an error, not a result.
  if (n === 0) throw new InputError('no examples to score (the predictions are empty): check the predictions file or the generation step');

  const ex = examples.map((e) => exactScores(e.prediction, e.reference, { stripComments: isCode }));
  const exact = ex.map((e) => 100 * e.exact);
  const contain = ex.map((e) => 100 * e.contain);
  const hExact = ex.map((e) => 100 * e.hExact);
  const meteorPer = examples.map((e) => meteor(e.prediction, e.reference));
  const rougeTok = isCode ? 'code' : 'rouge-score';
  const rougePer = examples.map((e) => rougeL(e.prediction, e.reference, { beta: opts.rougeBeta, tokenize: rougeTok }));
  const chrfPer = examples.map((e) => sentenceChrf(e.prediction, e.reference));
  const sentBleu = examples.map((e) => smoothedSentenceBleu(e.prediction, e.reference));

  const chrfSt = examples.map((e) => chrfStats(e.prediction, e.reference));

  // Corpus BLEU-4 for every task (METHOD.md §7 "BLEU-4 (corpus, with the usual smoothing)"):
  // CodeXGLUE compute_bleu, add-one on every order. Code: whitespace tokens (CodeXGLUE
  // code-to-code); English: lower-cased splitPuncts (CodeXGLUE code-to-text's tokenisation).
  const bleuTok = isCode ? whitespaceTokens : codexglueTextTokens;
  const bleuSt = examples.map((e) => codexglueBleuStats(bleuTok(e.prediction), [bleuTok(e.reference)]));
  const bleuSample: MetricSample = corpusSample(bleuSt, corpusScorer('bleu'));

  let codebleuSample: MetricSample | null = null;
  let codebleuParts: EvalResult['codebleuParts'] = null;
  let codebleuValue: number | null = null;
  if (isCode && n > 0) {
    const lang: CodeLang = opts.lang ?? (task === 'translation' ? 'c_sharp' : 'java');
    const st: number[][] = [];
    for (const e of examples) st.push(await codebleuStats(e.prediction, e.reference, lang));
    const cbOpts = opts.codebleu ?? {};
    codebleuSample = corpusSample(st, corpusScorer('codebleu', cbOpts));
    const full = codebleuFromStats(sumStats(st), cbOpts);
    codebleuValue = full.codebleu;
    codebleuParts = { ngram: full.ngram, weightedNgram: full.weightedNgram, syntax: full.syntax, dataflow: full.dataflow };
  }

  let crystalSample: MetricSample | null = null;
  if (isCode && opts.trainTargets && opts.trainTargets.length > 0) {
    const ignore = triviallySharedNgrams(opts.trainTargets, { k: opts.crystalK });
    const st = examples.map((e) => crystalBleuStats(e.prediction, e.reference, ignore));
    crystalSample = corpusSample(st, corpusScorer('crystalbleu'));
  }

  const all = Array.from({ length: n }, (_, i) => i);
  const value = (s: MetricSample | null): number | null => {
    if (s === null) return null;
    if (n === 0) return 0;
    if (s.kind === 'mean') return avg([...s.values]);
    return s.score(sumStats(all.map((i) => [...s.stats[i]])));
  };

  const samples: Record<MetricName, MetricSample | null> = {
    exact: meanSample(exact),
    contain: meanSample(contain),
    hExact: meanSample(hExact),
    bleu: bleuSample,
    codebleu: codebleuSample,
    chrf: corpusSample(chrfSt, corpusScorer('chrf')),
    crystalbleu: crystalSample,
    meteor: meanSample(meteorPer),
    rougeL: meanSample(rougePer),
  };

  return {
    n,
    task,
    exact: avg(exact),
    contain: avg(contain),
    hExact: avg(hExact),
    bleu: value(bleuSample),
    codebleu: n === 0 ? (isCode ? 0 : null) : codebleuValue, // an empty corpus scores 0, like the others
    chrf: value(samples.chrf),
    crystalbleu: value(crystalSample),
    meteor: avg(meteorPer),
    rougeL: avg(rougePer),
    codexglueAccuracy: codexglueAccuracy(preds, refs),
    perExample: { exact, contain, hExact, meteor: meteorPer, rougeL: rougePer, chrf: chrfPer, sentenceBleu: sentBleu },
    codebleuParts,
    samples,
  };
}

/** The headline scores only (the CLI's --json object). */
export function headline(r: EvalScores): EvalScores {
  return {
    n: r.n,
    exact: r.exact,
    contain: r.contain,
    hExact: r.hExact,
    bleu: r.bleu,
    codebleu: r.codebleu,
    chrf: r.chrf,
    crystalbleu: r.crystalbleu,
    meteor: r.meteor,
    rougeL: r.rougeL,
  };
}
