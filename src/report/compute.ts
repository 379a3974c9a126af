/**
 * The numbers of a report, computed from a ResultsFile (see docs/report.md for the definitions).
 *
 * Grouping: a *group* is (task, regime); inside it a *cell* is one variant (all its seeds) or one
 * trivial baseline. Every run of a group must have been evaluated on the same example ids (in any
 * order); examples are aligned by id.
 *
 * Pooling across seeds (one number per example per cell):
 * - mean-kind metrics: the example's value averaged over the cell's seeds;
 * - corpus metrics: the example's sufficient statistics summed over the seeds (the k·n predictions
 *   form one corpus, and a resample of examples carries all k predictions of each example).
 * Cell score = the metric on the pooled sample (for mean-kind metrics: the mean over examples of the
 * seed-averaged values = the mean of the per-seed means).
 * Cell 95% CI: mean-kind → Student-t interval over the n pooled per-example values (ci95Mean);
 * corpus → percentile bootstrap over examples (B resamples, seeded). Both describe the uncertainty
 * from the sample of evaluation examples; training-seed variation is reported beside them as the
 * per-seed scores and their standard deviation.
 * Delta vs baseline: pairedBootstrap (src/eval/stats.ts) of the pooled variant sample against the
 * pooled baseline sample, paired by example id: delta, percentile 95% CI, two-sided p.
 * Length split: the group's examples are cut at the median input length: short = length ≤ median,
 * long = length > median; cell scores and deltas are recomputed on each half.
 */
import { bootstrapCi, ci95Mean, median, pairedBootstrap, sampleStd, scoreOn, type MetricSample } from '../eval/stats.ts';
import type { CodeBleuOptions } from '../eval/codebleu.ts';
import { corpusScorer, METRICS, type MetricName } from '../eval/index.ts';
import { InputError, OptionError } from '../util/errors.ts';
import type { TaskName } from '../data/prompt.ts';
import type { CurvePoint, ExampleRef, ResultsFile, StoredMetricSample } from './types.ts';

export interface ReportOptions {
  /** The variant every other variant is compared with (default "baseline"). */
  baseline?: string;
  /** Bootstrap resamples for CIs and deltas (default 2000). */
  bootstrapB?: number;
  /** Seed of the bootstrap's Rng (default 0); every comparison uses the same resamples. */
  bootstrapSeed?: number;
  /** Metrics to report (default: every metric present, in METRICS order). */
  metrics?: readonly MetricName[];
  /** Headline metric per task (default: first present of codebleu, bleu, chrf, rougeL, meteor, hExact, exact). */
  primaryMetric?: Partial<Record<TaskName, MetricName>>;
  /** Metrics split by input length (default: the primary metric). */
  splitMetrics?: readonly MetricName[];
}

export const PRIMARY_PREFERENCE: readonly MetricName[] = ['codebleu', 'bleu', 'chrf', 'rougeL', 'meteor', 'hExact', 'exact', 'contain', 'crystalbleu'];

export interface MetricSummary {
  metric: MetricName;
  n: number;
  mean: number;
  ci95: [number, number];
  ciMethod: 't' | 'bootstrap';
  /** The metric of each seed's run alone (seed order as in `seeds`); empty for trivial cells. */
  perSeed: number[];
  /** Sample standard deviation of perSeed (0 with one seed). */
  seedSd: number;
}

export interface CellSummary {
  variant: string;
  kind: 'variant' | 'trivial';
  seeds: number[];
  n: number;
  metrics: Partial<Record<MetricName, MetricSummary>>;
}

export type Subset = 'all' | 'short' | 'long';

export interface DeltaSummary {
  variant: string;
  baseline: string;
  metric: MetricName;
  subset: Subset;
  n: number;
  seeds: number[];
  baselineSeeds: number[];
  meanVariant: number;
  meanBaseline: number;
  delta: number;
  ci95: [number, number];
  p: number;
  B: number;
  /** "higher" / "lower" when the CI excludes 0, else "no significant difference". */
  verdict: 'higher' | 'lower' | 'no significant difference';
}

export interface LengthSplitRow {
  variant: string;
  kind: 'variant' | 'trivial';
  metric: MetricName;
  short: number;
  long: number;
}

export interface DiagnosticSummary {
  variant: string;
  name: string;
  n: number;
  mean: number;
  ci95: [number, number];
}

export interface CurveSeries {
  variant: string;
  seed: number;
  points: CurvePoint[];
}

export interface GroupReport {
  task: TaskName;
  regime: string;
  /** Example ids in the group's canonical order. */
  ids: string[];
  inputLengths: number[];
  medianLength: number;
  nShort: number;
  nLong: number;
  metrics: MetricName[];
  primaryMetric: MetricName;
  splitMetrics: MetricName[];
  cells: CellSummary[];
  deltas: DeltaSummary[];
  lengthSplit: LengthSplitRow[];
  diagnostics: DiagnosticSummary[];
  curves: CurveSeries[];
}

export interface Report {
  title: string;
  baseline: string;
  lengthUnit: string;
  bootstrapB: number;
  bootstrapSeed: number;
  groups: GroupReport[];
  provenance?: Record<string, unknown>;
}

// --- metric scoring ---------------------------------------------------------------------------

export function toMetricSample(s: StoredMetricSample, metric: MetricName, codebleu?: CodeBleuOptions): MetricSample {
  return s.kind === 'mean' ? { kind: 'mean', values: s.values } : { kind: 'corpus', stats: s.stats, score: corpusScorer(metric, codebleu) };
}

/** A stored sample restricted to / reordered by example indices. */
function pick(s: StoredMetricSample, idx: readonly number[]): StoredMetricSample {
  return s.kind === 'mean' ? { kind: 'mean', values: idx.map((i) => s.values[i]) } : { kind: 'corpus', stats: idx.map((i) => s.stats[i]) };
}

/** Pools seeds: per example, values averaged (mean-kind) or statistics summed (corpus). */
export function poolSeeds(samples: readonly StoredMetricSample[]): StoredMetricSample {
  if (samples.length === 0) throw new OptionError('cannot pool zero runs');
  const kind = samples[0].kind;
  if (samples.some((s) => s.kind !== kind)) throw new OptionError('cannot pool a mean-kind and a corpus-kind sample of one metric');
  if (kind === 'mean') {
    const vs = samples as { kind: 'mean'; values: number[] }[];
    const n = vs[0].values.length;
    return { kind: 'mean', values: Array.from({ length: n }, (_, i) => vs.reduce((t, s) => t + s.values[i], 0) / vs.length) };
  }
  const cs = samples as { kind: 'corpus'; stats: number[][] }[];
  const n = cs[0].stats.length;
  return {
    kind: 'corpus',
    stats: Array.from({ length: n }, (_, i) => {
      const w = cs[0].stats[i].length;
      const out = new Array<number>(w).fill(0);
      for (const s of cs) for (let k = 0; k < w; k++) out[k] += s.stats[i][k];
      return out;
    }),
  };
}

function score(s: StoredMetricSample, metric: MetricName, codebleu?: CodeBleuOptions): number {
  const ms = toMetricSample(s, metric, codebleu);
  const n = s.kind === 'mean' ? s.values.length : s.stats.length;
  return scoreOn(ms, Array.from({ length: n }, (_, i) => i));
}

export function summarizeMetric(
  pooled: StoredMetricSample,
  perSeedSamples: readonly StoredMetricSample[],
  metric: MetricName,
  opts: { B: number; seed: number; codebleu?: CodeBleuOptions },
): MetricSummary {
  const ms = toMetricSample(pooled, metric, opts.codebleu);
  const n = pooled.kind === 'mean' ? pooled.values.length : pooled.stats.length;
  const perSeed = perSeedSamples.map((s) => score(s, metric, opts.codebleu));
  if (pooled.kind === 'mean') {
    const c = ci95Mean(pooled.values);
    return { metric, n, mean: c.mean, ci95: c.ci95, ciMethod: 't', perSeed, seedSd: sampleStd(perSeed) };
  }
  return { metric, n, mean: score(pooled, metric, opts.codebleu), ci95: bootstrapCi(ms, opts.B, opts.seed), ciMethod: 'bootstrap', perSeed, seedSd: sampleStd(perSeed) };
}

export function verdictOf(ci95: readonly [number, number]): DeltaSummary['verdict'] {
  if (ci95[0] > 0) return 'higher';
  if (ci95[1] < 0) return 'lower';
  return 'no significant difference';
}

// --- building ----------------------------------------------------------------------------------

interface AlignedCell {
  variant: string;
  kind: 'variant' | 'trivial';
  seeds: number[];
  /** Per seed (or the one trivial result): metric → sample in canonical order. */
  runs: Partial<Record<MetricName, StoredMetricSample>>[];
  /** Per seed: diagnostic name → value per example id (diagnostics may cover a subset of ids). */
  diagnostics: Record<string, Map<string, number>>[];
  curves: CurveSeries[];
}

function sampleLength(s: StoredMetricSample): number {
  return s.kind === 'mean' ? s.values.length : s.stats.length;
}

/** Reorders a run's per-example data into the group's id order; errors name the run. */
function align(
  what: string,
  examples: readonly ExampleRef[],
  metrics: Partial<Record<MetricName, StoredMetricSample>>,
  diagnostics: Record<string, Array<number | null>> | undefined,
  ids: readonly string[],
  lengths: ReadonlyMap<string, number>,
  diagnosticIds?: readonly string[],
): { metrics: Partial<Record<MetricName, StoredMetricSample>>; diagnostics: Record<string, Map<string, number>> } {
  const pos = new Map<string, number>();
  examples.forEach((e, i) => {
    if (pos.has(e.id)) throw new InputError(`${what}: example id "${e.id}" appears twice`);
    pos.set(e.id, i);
    const L = lengths.get(e.id);
    if (L !== undefined && L !== e.inputLength) throw new InputError(`${what}: example "${e.id}" has inputLength ${e.inputLength}, other runs say ${L}`);
  });
  if (examples.length !== ids.length || ids.some((id) => !pos.has(id))) {
    const missing = ids.filter((id) => !pos.has(id));
    throw new InputError(`${what}: evaluated on different examples than the other runs of its task and regime (${examples.length} vs ${ids.length} examples${missing.length ? `; missing e.g. "${missing[0]}"` : ''}): runs are compared on the same examples only`);
  }
  const idx = ids.map((id) => pos.get(id)!);
  const out: Partial<Record<MetricName, StoredMetricSample>> = {};
  for (const m of METRICS) {
    const s = metrics[m];
    if (!s) continue;
    if (sampleLength(s) !== examples.length) throw new InputError(`${what}: metric ${m} has ${sampleLength(s)} values for ${examples.length} examples`);
    out[m] = pick(s, idx);
  }
  const diag: Record<string, Map<string, number>> = {};
  const dIds = diagnosticIds ?? examples.map((e) => e.id);
  for (const id of dIds) if (!pos.has(id)) throw new InputError(`${what}: diagnostic example id "${id}" is not among the run's examples`);
  for (const [k, v] of Object.entries(diagnostics ?? {})) {
    if (v.length !== dIds.length) throw new InputError(`${what}: diagnostic ${k} has ${v.length} values for ${dIds.length} ${diagnosticIds ? 'diagnosticIds' : 'examples'}`);
    diag[k] = new Map();
    dIds.forEach((id, i) => { if (v[i] !== null) diag[k].set(id, v[i] as number); });
  }
  return { metrics: out, diagnostics: diag };
}

export function buildReport(results: ResultsFile, opts: ReportOptions = {}): Report {
  const baseline = opts.baseline ?? 'baseline';
  const B = opts.bootstrapB ?? 2000;
  const bseed = opts.bootstrapSeed ?? 0;
  if (!Number.isInteger(B) || B < 1) throw new OptionError(`bootstrap B must be a positive integer, got ${B}`);
  const codebleu = results.evalOptions?.codebleu;

  // groups in first-appearance order
  const groupKeys: string[] = [];
  const byGroup = new Map<string, typeof results.runs>();
  for (const r of results.runs) {
    const k = JSON.stringify([r.task, r.regime]);
    if (!byGroup.has(k)) { byGroup.set(k, []); groupKeys.push(k); }
    byGroup.get(k)!.push(r);
  }

  const groups: GroupReport[] = [];
  for (const key of groupKeys) {
    const runs = byGroup.get(key)!;
    const [task, regime] = JSON.parse(key) as [TaskName, string];
    const where = `task ${task}, regime ${regime}`;
    const ref = runs.find((r) => r.variant === baseline) ?? runs[0];
    const ids = ref.examples.map((e) => e.id);
    const lengths = new Map(ref.examples.map((e) => [e.id, e.inputLength]));

    // cells: variants (baseline first, then first appearance), then trivial baselines
    const variants: string[] = [];
    for (const r of runs) if (!variants.includes(r.variant)) variants.push(r.variant);
    variants.sort((a, b) => (a === baseline ? -1 : b === baseline ? 1 : 0));
    const cells: AlignedCell[] = variants.map((v) => {
      const vr = runs.filter((r) => r.variant === v).sort((a, b) => a.seed - b.seed);
      vr.forEach((r, i) => {
        if (i > 0 && vr[i - 1].seed === r.seed) throw new InputError(`${where}: variant ${v} has two runs with seed ${r.seed}`);
      });
      const aligned = vr.map((r) => align(`${where}, variant ${v}, seed ${r.seed}`, r.examples, r.metrics, r.diagnostics, ids, lengths, r.diagnosticIds));
      return {
        variant: v,
        kind: 'variant',
        seeds: vr.map((r) => r.seed),
        runs: aligned.map((a) => a.metrics),
        diagnostics: aligned.map((a) => a.diagnostics),
        curves: vr.filter((r) => r.curve && r.curve.length > 0).map((r) => ({ variant: v, seed: r.seed, points: r.curve! })),
      };
    });
    for (const t of results.trivial ?? []) {
      if (t.task !== task || (t.regime !== undefined && t.regime !== regime)) continue;
      if (cells.some((c) => c.variant === t.name)) throw new InputError(`${where}: trivial baseline "${t.name}" has the name of a variant or another trivial baseline`);
      const a = align(`${where}, trivial baseline ${t.name}`, t.examples, t.metrics, undefined, ids, lengths);
      cells.push({ variant: t.name, kind: 'trivial', seeds: [], runs: [a.metrics], diagnostics: [], curves: [] });
    }

    // metrics: present in every run of every variant cell (a metric missing from some seed is an error)
    const wanted = opts.metrics ?? METRICS;
    const metrics: MetricName[] = [];
    for (const m of METRICS) {
      if (!wanted.includes(m)) continue;
      const has = cells.filter((c) => c.kind === 'variant').flatMap((c) => c.runs.map((r) => r[m] !== undefined));
      if (has.every((x) => !x)) continue;
      if (!has.every((x) => x)) throw new InputError(`${where}: metric ${m} is missing from some runs (every run of a comparison must report the same metrics)`);
      metrics.push(m);
    }
    if (metrics.length === 0) throw new InputError(`${where}: no metric to report`);
    const primaryMetric = opts.primaryMetric?.[task] ?? PRIMARY_PREFERENCE.find((m) => metrics.includes(m)) ?? metrics[0];
    if (!metrics.includes(primaryMetric)) throw new OptionError(`${where}: primary metric ${primaryMetric} is not among the reported metrics (${metrics.join(', ')})`);
    const splitMetrics = (opts.splitMetrics ?? [primaryMetric]).filter((m) => metrics.includes(m));

    const pooled = (c: AlignedCell, m: MetricName): StoredMetricSample | undefined => {
      const ss = c.runs.map((r) => r[m]).filter((s): s is StoredMetricSample => s !== undefined);
      if (ss.length === 0) return undefined;
      if (ss.length !== c.runs.length) throw new InputError(`${where}: ${c.variant} reports ${m} for only some of its seeds`);
      return poolSeeds(ss);
    };

    const cellSummaries: CellSummary[] = cells.map((c) => {
      const ms: Partial<Record<MetricName, MetricSummary>> = {};
      for (const m of metrics) {
        const p = pooled(c, m);
        if (!p) continue;
        ms[m] = summarizeMetric(p, c.kind === 'variant' ? c.runs.map((r) => r[m]!) : [], m, { B, seed: bseed, codebleu });
      }
      return { variant: c.variant, kind: c.kind, seeds: c.seeds, n: ids.length, metrics: ms };
    });

    // length split
    const inputLengths = ids.map((id) => lengths.get(id)!);
    const med = median(inputLengths);
    const shortIdx = ids.map((_, i) => i).filter((i) => inputLengths[i] <= med);
    const longIdx = ids.map((_, i) => i).filter((i) => inputLengths[i] > med);

    const deltas: DeltaSummary[] = [];
    const base = cells.find((c) => c.variant === baseline && c.kind === 'variant');
    const compare = (c: AlignedCell, m: MetricName, subset: Subset, idx: readonly number[]) => {
      if (!base || idx.length === 0) return;
      const a = pooled(c, m);
      const b = pooled(base, m);
      if (!a || !b) return;
      const r = pairedBootstrap(toMetricSample(pick(a, idx), m, codebleu), toMetricSample(pick(b, idx), m, codebleu), { B, seed: bseed });
      deltas.push({
        variant: c.variant, baseline, metric: m, subset, n: r.n, seeds: c.seeds, baselineSeeds: base.seeds,
        meanVariant: r.meanA, meanBaseline: r.meanB, delta: r.delta, ci95: r.ci95, p: r.p, B: r.B, verdict: verdictOf(r.ci95),
      });
    };
    const all = ids.map((_, i) => i);
    for (const c of cells) {
      if (c.kind !== 'variant' || c.variant === baseline) continue;
      for (const m of metrics) compare(c, m, 'all', all);
      for (const m of splitMetrics) {
        compare(c, m, 'short', shortIdx);
        compare(c, m, 'long', longIdx);
      }
    }
    const lengthSplit: LengthSplitRow[] = [];
    for (const c of cells) {
      for (const m of splitMetrics) {
        const p = pooled(c, m);
        if (!p) continue;
        const sc = (idx: number[]) => (idx.length === 0 ? NaN : score(pick(p, idx), m, codebleu));
        lengthSplit.push({ variant: c.variant, kind: c.kind, metric: m, short: sc(shortIdx), long: sc(longIdx) });
      }
    }

    // diagnostics (seed-averaged per example, t-interval)
    const diagnostics: DiagnosticSummary[] = [];
    for (const c of cells) {
      if (c.kind !== 'variant') continue;
      const names = [...new Set(c.diagnostics.flatMap((d) => Object.keys(d)))].sort();
      for (const name of names) {
        const per = c.diagnostics.map((d) => d[name]).filter((v): v is Map<string, number> => v !== undefined);
        if (per.length !== c.diagnostics.length) throw new InputError(`${where}: ${c.variant} reports diagnostic ${name} for only some of its seeds`);
        // Examples every seed has a value for (a diagnostic may be undefined for some examples).
        const common = ids.filter((id) => per.every((m) => m.has(id)));
        const avg = common.map((id) => per.reduce((t, m) => t + m.get(id)!, 0) / per.length);
        const s = ci95Mean(avg);
        diagnostics.push({ variant: c.variant, name, n: s.n, mean: s.mean, ci95: s.ci95 });
      }
    }

    groups.push({
      task, regime, ids, inputLengths, medianLength: med, nShort: shortIdx.length, nLong: longIdx.length,
      metrics, primaryMetric, splitMetrics, cells: cellSummaries, deltas, lengthSplit, diagnostics,
      curves: cells.flatMap((c) => c.curves),
    });
  }
  return {
    title: results.title ?? 'EyeMulator experiment report',
    baseline,
    lengthUnit: results.lengthUnit ?? 'tokens',
    bootstrapB: B,
    bootstrapSeed: bseed,
    groups,
    provenance: results.provenance,
  };
}
