/**
 * Summary statistics and the paired bootstrap for comparing two systems on the same examples
 * (METHOD.md §7: "every comparison reports n, seeds, mean, a paired-bootstrap 95% CI of the
 * difference and its p").
 *
 * - `mean`, `sampleStd` (n − 1 denominator; 0 for n < 2), `median`.
 * - `ci95Mean`: Student-t interval mean ± t_{0.975, n−1}·s/√n (t quantile from the regularised
 *   incomplete beta function, Numerical Recipes §6.4 continued fraction, inverted by bisection).
 *   n = 1 gives [mean, mean] (no spread to estimate); n = 0 gives NaNs. `summarize`: the same as
 *   JSON-safe nulls, over the finite values of a list.
 * - `bootstrapCi`: percentile-bootstrap 95% CI of one sample's score (the report's CI for corpus
 *   metrics), resampled as `pairedBootstrap` resamples.
 * - `spearman` (tie-corrected: Pearson correlation of `averageRanks`), for the attention diagnostics.
 * - `pairedBootstrap` (Koehn 2004, paired resampling): draw B index vectors of size n with
 *   replacement from a seeded `Rng` (the SAME indices for both systems); for a per-example metric
 *   the resampled score is the mean of the resampled values, for a corpus metric (BLEU, chrF,
 *   CodeBLEU, CrystalBLEU) the per-example sufficient statistics of the resampled examples are
 *   summed and the corpus score recomputed. δ_b = score_A − score_B on resample b; for a
 *   per-example metric it is computed as the mean of the per-example differences a_i − b_i, so an
 *   example both systems score alike contributes exactly 0.
 *     Ties: a δ (observed or resampled) with |δ| ≤ tol is set to exactly 0 before anything else,
 *     tol = 1e-9 · max(1, scale), scale = the largest |value| of either sample (per-example
 *     metrics) or max(|score_A|, |score_B|) on the full sample (corpus metrics). Floating-point
 *     sums do not cancel exactly (0.1 + 0.2 − 0.3 = +5.6e-17), and a mathematically exact tie
 *     must count as a tie, not as a win; no real difference between two metric values is as small
 *     as 1e-9 of their scale. `tieTolerance` overrides tol.
 *     delta = score_A − score_B on the original sample (snapped as above);
 *     ci95  = [q_0.025, q_0.975] of {δ_b}, percentile bootstrap, quantiles by linear
 *             interpolation between order statistics (R type 7 / numpy default);
 *     p     = min(1, 2 · #{b : δ_b ≤ 0} / B) if delta > 0,
 *             min(1, 2 · #{b : δ_b ≥ 0} / B) if delta < 0,
 *             1 if delta = 0.
 *   i.e. twice the share of resamples whose difference does not have the observed sign (ties
 *   count against the observed sign, which is conservative). p can be 0: report it as p < 1/B.
 *   The CI is taken over the snapped δ_b too (identical systems give exactly [0, 0]).
 */
import { Rng } from '../util/rng.ts';
import { OptionError } from '../util/errors.ts';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

// --- Student t ---------------------------------------------------------------------------------

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const EPS = 1e-15;
  const FPMIN = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lbt) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lbt) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t (bisection on the CDF, to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new OptionError(`t quantile needs 0 < p < 1, got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface MeanSummary {
  n: number;
  mean: number;
  std: number;
  ci95: [number, number];
}

/** Mean, sample std and the t-based 95% CI of the mean. */
export function ci95Mean(xs: readonly number[]): MeanSummary {
  const n = xs.length;
  const m = mean(xs);
  const s = sampleStd(xs);
  if (n < 2) return { n, mean: m, std: s, ci95: [m, m] };
  const half = (studentTQuantile(0.975, n - 1) * s) / Math.sqrt(n);
  return { n, mean: m, std: s, ci95: [m - half, m + half] };
}

// --- paired bootstrap --------------------------------------------------------------------------

/** What the bootstrap resamples: per-example values (averaged) or corpus sufficient statistics. */
export type MetricSample =
  | { kind: 'mean'; values: readonly number[] }
  | { kind: 'corpus'; stats: readonly (readonly number[])[]; score: (sum: number[]) => number };

function sampleSize(s: MetricSample): number {
  return s.kind === 'mean' ? s.values.length : s.stats.length;
}

/** Score of the sample restricted to (a multiset of) example indices. */
export function scoreOn(s: MetricSample, idx: readonly number[]): number {
  if (s.kind === 'mean') {
    let t = 0;
    for (const i of idx) t += s.values[i];
    return idx.length === 0 ? NaN : t / idx.length;
  }
  const width = s.stats.length > 0 ? s.stats[0].length : 0;
  const sum = new Array<number>(width).fill(0);
  for (const i of idx) {
    const st = s.stats[i];
    for (let k = 0; k < width; k++) sum[k] += st[k];
  }
  return s.score(sum);
}

/** Linear-interpolation quantile (R type 7) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

export interface PairedBootstrapOptions {
  /** Number of resamples (default 10,000). */
  B?: number;
  /** Seed for the `Rng` that draws indices (default 0). */
  seed?: number | string;
  /** Explicit resamples (index vectors) instead of random ones, e.g. a full enumeration in tests. */
  resamples?: readonly (readonly number[])[];
  /** |δ| at or below this counts as an exact tie (default 1e-9 · max(1, scale), see the file comment). */
  tieTolerance?: number;
}

export interface PairedBootstrapResult {
  n: number;
  B: number;
  seed: number | string;
  meanA: number;
  meanB: number;
  delta: number;
  ci95: [number, number];
  p: number;
}

/** The scale of the tie tolerance: largest |per-example value|, or the larger |corpus score|. */
function scaleOf(a: MetricSample, b: MetricSample, scoreA: number, scoreB: number): number {
  if (a.kind === 'mean' && b.kind === 'mean') {
    let m = 0;
    for (const x of a.values) if (Math.abs(x) > m) m = Math.abs(x);
    for (const x of b.values) if (Math.abs(x) > m) m = Math.abs(x);
    return m;
  }
  const m = Math.max(Math.abs(scoreA), Math.abs(scoreB));
  return Number.isFinite(m) ? m : 0;
}

/**
 * Paired bootstrap of score(A) − score(B) on the same n examples (see the file comment for the
 * exact CI and p definitions). `meanA`/`meanB` are the metric values on the full sample
 * (the mean for per-example metrics, the corpus score for corpus metrics).
 */
export function pairedBootstrap(a: MetricSample, b: MetricSample, opts: PairedBootstrapOptions = {}): PairedBootstrapResult {
  const n = sampleSize(a);
  if (sampleSize(b) !== n) throw new OptionError(`paired bootstrap needs the same examples: ${n} vs ${sampleSize(b)}`);
  if (n === 0) throw new OptionError('paired bootstrap needs at least one example');
  const seed = opts.seed ?? 0;
  const all = Array.from({ length: n }, (_, i) => i);
  const meanA = scoreOn(a, all);
  const meanB = scoreOn(b, all);
  const tol = opts.tieTolerance ?? 1e-9 * Math.max(1, scaleOf(a, b, meanA, meanB));
  if (!(tol >= 0)) throw new OptionError(`bootstrap tie tolerance must be ≥ 0, got ${tol}`);
  const snap = (d: number) => (Math.abs(d) <= tol ? 0 : d);
  // Per-example metrics: δ from per-example differences (equal examples give exactly 0).
  const diffs = a.kind === 'mean' && b.kind === 'mean' ? a.values.map((x, i) => x - b.values[i]) : null;
  const deltaOn = (idx: readonly number[]): number => {
    if (diffs === null) return snap(scoreOn(a, idx) - scoreOn(b, idx));
    let t = 0;
    for (const i of idx) t += diffs[i];
    return snap(idx.length === 0 ? NaN : t / idx.length);
  };
  const delta = deltaOn(all);
  const deltas: number[] = [];
  if (opts.resamples) {
    for (const idx of opts.resamples) deltas.push(deltaOn(idx));
  } else {
    const B = opts.B ?? 10000;
    if (!Number.isInteger(B) || B < 1) throw new OptionError(`bootstrap B must be a positive integer, got ${B}`);
    const rng = new Rng(seed);
    const idx = new Array<number>(n);
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < n; i++) idx[i] = rng.int(n);
      deltas.push(deltaOn(idx));
    }
  }
  const B = deltas.length;
  const sorted = [...deltas].sort((x, y) => x - y);
  const ci95: [number, number] = [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
  let p = 1;
  if (delta > 0) p = Math.min(1, (2 * deltas.filter((d) => d <= 0).length) / B);
  else if (delta < 0) p = Math.min(1, (2 * deltas.filter((d) => d >= 0).length) / B);
  return { n, B, seed, meanA, meanB, delta, ci95, p };
}

/**
 * Percentile-bootstrap 95% CI of one sample's score: B resamples of the n examples with replacement
 * from `new Rng(seed)`, each scored with `scoreOn` (mean of the values, or the corpus score of the
 * summed statistics); the CI is [q_0.025, q_0.975] of the B scores (R type 7 quantiles). The same
 * seed gives the same resamples, so every cell of a report is resampled alike. n = 0 gives
 * [NaN, NaN] (no interval without examples).
 */
export function bootstrapCi(s: MetricSample, B: number, seed: number): [number, number] {
  const n = sampleSize(s);
  if (n === 0) return [NaN, NaN];
  const rng = new Rng(seed);
  const idx = new Array<number>(n);
  const vals: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    vals.push(scoreOn(s, idx));
  }
  vals.sort((a, b) => a - b);
  return [quantileSorted(vals, 0.025), quantileSorted(vals, 0.975)];
}

/** The median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// --- rank correlation and summaries (attention diagnostics; src/experiment/attention.ts) ----------

/** 1-based ranks, tied values sharing the average of the ranks they span. */
export function averageRanks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]] === xs[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's ρ: the Pearson correlation of the average ranks (the tie-corrected form). Null when
 * the inputs have different lengths, fewer than 3 values, or either side has no variation — the
 * coefficient is undefined there and no number is made up.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  if (n !== y.length || n < 3) return null;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) return null;
  const rx = averageRanks(x), ry = averageRanks(y);
  const m = (n + 1) / 2; // mean of ranks 1..n, ties included
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = rx[i] - m, b = ry[i] - m;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

export interface SummaryStat {
  n: number;
  /** Null when n = 0. */
  mean: number | null;
  std: number | null;
  /** Student-t 95% interval of the mean; [mean, mean] for n = 1; null for n = 0. */
  ci95: [number, number] | null;
}

/** n, mean, sd and 95% CI of finite values; nulls instead of NaN so the result is JSON-safe. */
export function summarize(xs: ReadonlyArray<number | null>): SummaryStat {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return { n: 0, mean: null, std: null, ci95: null };
  const s = ci95Mean(v);
  return { n: s.n, mean: s.mean, std: s.std, ci95: [s.ci95[0], s.ci95[1]] };
}
