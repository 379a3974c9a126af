/**
 * The results format the report is built from (docs/report.md): a JSON-serialisable record of every
 * run of an experiment — per-example metric values (from `evaluate(...).samples`), training curves,
 * optional attention diagnostics — plus trivial baselines (e.g. copy-the-input).
 *
 * Per-example data is aligned with `examples` (same order, same length). Mean-kind metrics store one
 * value per example (0–100); corpus metrics (BLEU on code, chrF++, CodeBLEU, CrystalBLEU) store each
 * example's sufficient statistics, from which the corpus score of any subset is recomputed.
 */
import { z } from 'zod';
import { METRICS, type EvalResult, type MetricName, type CodeBleuOptions } from '../eval/index.ts';
import { TASK_NAMES, type TaskName } from '../data/task-names.ts';

export const RESULTS_FORMAT = 'eyemulator-results/1';

/** Each metric's name as reports print it (tables, charts, the honest-reading sentences). */
export const METRIC_LABELS: Record<MetricName, string> = {
  exact: 'Exact',
  contain: 'Contain',
  hExact: 'H-Exact',
  bleu: 'BLEU',
  codebleu: 'CodeBLEU',
  chrf: 'chrF++',
  crystalbleu: 'CrystalBLEU',
  meteor: 'METEOR',
  rougeL: 'ROUGE-L',
};

export type StoredMetricSample = { kind: 'mean'; values: number[] } | { kind: 'corpus'; stats: number[][] };

export interface ExampleRef {
  /** Stable example id (e.g. "codexglue-java-cs/valid:12"): runs are paired by it. */
  id: string;
  /** Input length (tokens or characters — say which in `lengthUnit`), for the short/long split. */
  inputLength: number;
}

export interface CurvePoint {
  step: number;
  /** The training objective the gradients were of (weighted SFT + γ·preference for gaze variants). */
  loss: number;
  /**
   * Plain mean cross-entropy (nats per token) on the loss positions, weights 1 and no preference
   * term: the same quantity for every variant, so their curves compare (absent in older results).
   */
  ce?: number;
}

export interface RunResult {
  /** Weighting variant (METHOD.md §6), e.g. "baseline", "full". */
  variant: string;
  seed: number;
  task: TaskName;
  /** Data regime, e.g. "full" or "n=100" (low-data subsets). */
  regime: string;
  examples: ExampleRef[];
  metrics: Partial<Record<MetricName, StoredMetricSample>>;
  /** Training loss curve. */
  curve?: CurvePoint[];
  /**
   * Optional per-example attention diagnostics (e.g. confidence, entropy, focus, recency,
   * humanAlignment); null = undefined for that example (e.g. a rank correlation with no variance).
   */
  diagnostics?: Record<string, Array<number | null>>;
  /** Example ids the diagnostics are aligned with, when they cover only some examples (default: `examples`). */
  diagnosticIds?: string[];
}

export interface TrivialResult {
  /** e.g. "copy-input". */
  name: string;
  task: TaskName;
  /** Regime it applies to; absent = every regime of the task. */
  regime?: string;
  examples: ExampleRef[];
  metrics: Partial<Record<MetricName, StoredMetricSample>>;
}

export interface ResultsFile {
  format: typeof RESULTS_FORMAT;
  title?: string;
  /** What `inputLength` counts (default "tokens"). */
  lengthUnit?: string;
  /** Options the corpus metrics were computed with (CodeBLEU weights etc.), needed to rescore. */
  evalOptions?: { codebleu?: CodeBleuOptions };
  runs: RunResult[];
  trivial?: TrivialResult[];
  /** Free-form provenance (data file hashes, commit, model, hyper-parameters). */
  provenance?: Record<string, unknown>;
}

// --- validation ------------------------------------------------------------------------------------

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const sample = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mean'), values: z.array(finite) }),
  z.object({ kind: z.literal('corpus'), stats: z.array(z.array(finite)) }),
]);
const task = z.enum(TASK_NAMES);
const metricsRecord = z.partialRecord(z.enum(METRICS), sample);
const example = z.object({ id: z.string().min(1), inputLength: finite });

export const runSchema = z.object({
  variant: z.string().min(1),
  seed: z.number().int(),
  task,
  regime: z.string().min(1),
  examples: z.array(example),
  metrics: metricsRecord,
  curve: z.array(z.object({ step: finite, loss: finite, ce: finite.optional() })).optional(),
  diagnostics: z.record(z.string(), z.array(finite.nullable())).optional(),
  diagnosticIds: z.array(z.string().min(1)).optional(),
});

export const trivialSchema = z.object({
  name: z.string().min(1),
  task,
  regime: z.string().min(1).optional(),
  examples: z.array(example),
  metrics: metricsRecord,
});

export const resultsSchema = z.object({
  format: z.literal(RESULTS_FORMAT),
  title: z.string().optional(),
  lengthUnit: z.string().optional(),
  evalOptions: z
    .object({
      codebleu: z
        .object({
          emptyDataflow: z.enum(['renormalize', 'zero']).optional(),
          weights: z.tuple([finite, finite, finite, finite]).optional(),
        })
        .optional(),
    })
    .optional(),
  runs: z.array(runSchema),
  trivial: z.array(trivialSchema).optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
});

// --- from evaluate() -------------------------------------------------------------------------------

/** The storable part of `evaluate(...).samples` (null metrics are left out). */
export function storeSamples(samples: EvalResult['samples']): Partial<Record<MetricName, StoredMetricSample>> {
  const out: Partial<Record<MetricName, StoredMetricSample>> = {};
  for (const m of METRICS) {
    const s = samples[m];
    if (!s) continue;
    out[m] = s.kind === 'mean' ? { kind: 'mean', values: [...s.values] } : { kind: 'corpus', stats: s.stats.map((r) => [...r]) };
  }
  return out;
}

/** A RunResult from one run's evaluation (examples in the order they were evaluated). */
export function runFromEvaluation(
  meta: { variant: string; seed: number; task: TaskName; regime: string; curve?: CurvePoint[]; diagnostics?: Record<string, number[]> },
  examples: readonly ExampleRef[],
  result: EvalResult,
): RunResult {
  return { ...meta, examples: examples.map((e) => ({ id: e.id, inputLength: e.inputLength })), metrics: storeSamples(result.samples) };
}
