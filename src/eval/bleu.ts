/**
 * BLEU, in the variants the project reports.
 *
 * 1. `codexglueBleu` — corpus BLEU-4 exactly as CodeXGLUE's code-to-code `evaluator/bleu.py`
 *    (`_bleu` → `compute_bleu`, itself TensorFlow NMT's `compute_bleu`): tokens are
 *    `line.strip().split()`; clipped n-gram matches and possible n-grams are summed over the
 *    corpus; `smooth=True` adds one to the numerator AND denominator of EVERY order
 *    (unigrams included); geometric mean of the four precisions; BP = exp(1 − r/c) if c/r ≤ 1,
 *    r = sum of (shortest) reference lengths, c = sum of hypothesis lengths. Reproduces 61.08 on
 *    CodeXGLUE's evaluator sample. Python raises ZeroDivisionError when c = 0; here BLEU is 0.
 *
 * 2. `smoothedSentenceBleu` — sentence BLEU-4 with one of two named smoothings:
 *    - 'codexglue' (default): CodeXGLUE code-to-text `evaluator/bleu.py` (`bleu()` →
 *      `score_cooked(smooth=1)`), Lin & Och (2004) add-one smoothing on orders 2..4 only,
 *      BP = exp(min(0, 1 − (r+1)/(c+1))), r = shortest reference length. Tokens are
 *      `splitPuncts(s.strip().lower())` (see tokenize.ts); the NIST normalisation that follows in
 *      the Python code only re-spaces punctuation that splitPuncts already split off.
 *    - 'nltk-method2': NLTK `sentence_bleu(..., smoothing_function=SmoothingFunction().method2)`
 *      (current NLTK code: +1 on numerator and denominator for orders 2..4, unigram precision
 *      unsmoothed), BP = exp(1 − r/c) with the closest reference length, 0 if no unigram matches.
 *    - 'nltk-method2-all': the 2020 NLTK method2 (vendored in CodeBLEU's bleu.py), which also
 *      smoothed unigrams: 0.4489 on NLTK's "guide to action" docstring example, where the current
 *      method2 gives 0.4453.
 *      Tokens are whatever the caller passes (default whitespace split, case kept).
 *
 * 3. `nltkCorpusBleu` — NLTK `corpus_bleu` with method0 (none) / method1 (ε = 0.1 for zero
 *    counts, CodeBLEU's default), used by CodeBLEU and CrystalBLEU.
 *
 * Corpus BLEU is not a mean of per-example values, so each variant exposes per-example
 * sufficient statistics (`*Stats`) and a scorer over their sums: the paired bootstrap resamples
 * examples, sums their statistics and rescores.
 */
import { codeTokens, ngramCounts, whitespaceTokens } from './tokenize.ts';
import { checkLengths } from './exact.ts';

const MAX_ORDER = 4;

// ---------------------------------------------------------------------------------------------
// 1. CodeXGLUE code-to-code corpus BLEU

/** Per example: [matches_1..4, possible_1..4, refLen, hypLen]. */
export function codexglueBleuStats(hypTokens: readonly string[], refTokensList: readonly (readonly string[])[]): number[] {
  const stats = new Array<number>(2 * MAX_ORDER + 2).fill(0);
  // reference_length += min(len(r) for r in references)
  stats[2 * MAX_ORDER] = Math.min(...refTokensList.map((r) => r.length));
  stats[2 * MAX_ORDER + 1] = hypTokens.length;
  for (let n = 1; n <= MAX_ORDER; n++) {
    // merged_ref_ngram_counts |= ... : element-wise max over references
    const merged = new Map<string, number>();
    for (const ref of refTokensList) {
      for (const [g, c] of ngramCounts(ref, n)) merged.set(g, Math.max(merged.get(g) ?? 0, c));
    }
    let overlap = 0;
    for (const [g, c] of ngramCounts(hypTokens, n)) overlap += Math.min(c, merged.get(g) ?? 0);
    stats[n - 1] = overlap;
    const possible = hypTokens.length - n + 1;
    if (possible > 0) stats[MAX_ORDER + n - 1] = possible;
  }
  return stats;
}

export interface BleuDetail {
  /** 0–100 */
  bleu: number;
  precisions: number[];
  bp: number;
  ratio: number;
  hypLen: number;
  refLen: number;
}

/** Score from summed `codexglueBleuStats` (TF-NMT `compute_bleu`). */
export function codexglueBleuFromStats(sum: readonly number[], smooth = true): BleuDetail {
  const precisions: number[] = [];
  for (let i = 0; i < MAX_ORDER; i++) {
    const m = sum[i];
    const p = sum[MAX_ORDER + i];
    if (smooth) precisions.push((m + 1) / (p + 1));
    else precisions.push(p > 0 ? m / p : 0);
  }
  const refLen = sum[2 * MAX_ORDER];
  const hypLen = sum[2 * MAX_ORDER + 1];
  let geoMean = 0;
  if (Math.min(...precisions) > 0) {
    geoMean = Math.exp(precisions.reduce((s, p) => s + Math.log(p) / MAX_ORDER, 0));
  }
  const ratio = refLen === 0 ? (hypLen === 0 ? 0 : Infinity) : hypLen / refLen;
  // Python divides by `ratio` here; an all-empty hypothesis side is defined as BLEU 0.
  const bp = ratio > 1 ? 1 : ratio === 0 ? 0 : Math.exp(1 - 1 / ratio);
  return { bleu: 100 * geoMean * bp, precisions, bp, ratio, hypLen, refLen };
}

/**
 * CodeXGLUE code-to-code BLEU-4 over a corpus (0–100, unrounded; the Python rounds to 2 places).
 * `references[i]` is one string or several alternatives.
 */
export function codexglueBleu(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  smooth = true,
): BleuDetail {
  checkLengths(predictions, references);
  const sum = new Array<number>(2 * MAX_ORDER + 2).fill(0);
  predictions.forEach((p, i) => {
    const refs = typeof references[i] === 'string' ? [references[i] as string] : (references[i] as readonly string[]);
    const st = codexglueBleuStats(whitespaceTokens(p), refs.map(whitespaceTokens));
    for (let k = 0; k < sum.length; k++) sum[k] += st[k];
  });
  return codexglueBleuFromStats(sum, smooth);
}

// ---------------------------------------------------------------------------------------------
// 2. NLTK corpus_bleu (modified precision, closest reference length)

/** method2: current NLTK (orders 2..4 only); method2-all: NLTK as of 2020 (+1 on every order, incl. unigrams). */
export type NltkSmoothing = 'method0' | 'method1' | 'method2' | 'method2-all';

/**
 * Per example: [num_1..4, den_1..4, hypLen, closestRefLen] as NLTK `corpus_bleu` accumulates
 * them (`modified_precision`: clipped counts over max reference counts; denominator
 * max(1, hyp n-grams)). `ignore` removes n-grams from the hypothesis counts first (CrystalBLEU).
 */
export function nltkBleuStats(
  hypTokens: readonly string[],
  refTokensList: readonly (readonly string[])[],
  ignore?: ReadonlySet<string>,
): number[] {
  const stats = new Array<number>(2 * MAX_ORDER + 2).fill(0);
  for (let n = 1; n <= MAX_ORDER; n++) {
    const counts = ngramCounts(hypTokens, n);
    if (ignore) for (const g of [...counts.keys()]) if (ignore.has(g)) counts.delete(g);
    const refCounts = refTokensList.map((r) => ngramCounts(r, n));
    let num = 0;
    let total = 0;
    for (const [g, c] of counts) {
      let max = 0;
      for (const rc of refCounts) max = Math.max(max, rc.get(g) ?? 0);
      num += Math.min(c, max);
      total += c;
    }
    stats[n - 1] = num;
    stats[MAX_ORDER + n - 1] = Math.max(1, total);
  }
  const hypLen = hypTokens.length;
  stats[2 * MAX_ORDER] = hypLen;
  // closest_ref_length: min by (|r − c|, r)
  let best = Infinity;
  let bestLen = 0;
  for (const r of refTokensList) {
    const d = Math.abs(r.length - hypLen);
    if (d < best || (d === best && r.length < bestLen)) {
      best = d;
      bestLen = r.length;
    }
  }
  stats[2 * MAX_ORDER + 1] = bestLen;
  return stats;
}

/** NLTK `brevity_penalty(closest_ref_len, hyp_len)`. */
export function nltkBrevityPenalty(refLen: number, hypLen: number): number {
  if (hypLen > refLen) return 1;
  if (hypLen === 0) return 0;
  return Math.exp(1 - refLen / hypLen);
}

/** NLTK `corpus_bleu` score (0–1) from summed `nltkBleuStats`, uniform weights 1/4. */
export function nltkBleuFromStats(sum: readonly number[], smoothing: NltkSmoothing = 'method1'): number {
  // "Returns 0 if there's no matching n-grams" (checked on unigrams only).
  if (sum[0] === 0) return 0;
  const bp = nltkBrevityPenalty(sum[2 * MAX_ORDER + 1], sum[2 * MAX_ORDER]);
  let s = 0;
  for (let i = 0; i < MAX_ORDER; i++) {
    const num = sum[i];
    const den = sum[MAX_ORDER + i];
    let p: number;
    if (smoothing === 'method2') p = i === 0 ? num / den : (num + 1) / (den + 1);
    else if (smoothing === 'method2-all') p = (num + 1) / (den + 1);
    else if (num !== 0) p = num / den;
    else if (smoothing === 'method1') p = 0.1 / den; // (0 + epsilon) / denominator
    else p = 2.2250738585072014e-308; // method0: sys.float_info.min → log ≈ −708
    s += 0.25 * Math.log(p);
  }
  return bp * Math.exp(s);
}

/** NLTK `corpus_bleu` on token lists, 0–1. */
export function nltkCorpusBleu(
  hypotheses: readonly (readonly string[])[],
  references: readonly (readonly (readonly string[])[])[],
  smoothing: NltkSmoothing = 'method0',
): number {
  checkLengths(hypotheses, references);
  const sum = new Array<number>(2 * MAX_ORDER + 2).fill(0);
  hypotheses.forEach((h, i) => {
    const st = nltkBleuStats(h, references[i]);
    for (let k = 0; k < sum.length; k++) sum[k] += st[k];
  });
  return nltkBleuFromStats(sum, smoothing);
}

// ---------------------------------------------------------------------------------------------
// 3. Smoothed sentence BLEU

export type SentenceBleuVariant = 'codexglue' | 'nltk-method2' | 'nltk-method2-all';

const FLOAT_MIN = 2.2250738585072014e-308; // Python sys.float_info.min

/** CodeXGLUE code-to-text tokens: `splitPuncts(line.strip().lower())`. */
export function codexglueTextTokens(s: string): string[] {
  return codeTokens(s.trim().toLowerCase());
}

/**
 * CodeXGLUE code-to-text smoothed BLEU-4 of one pair, 0–100, on pre-tokenised input
 * (`score_cooked([cook_test(...)], smooth=1)[0]`).
 */
export function codexglueSmoothBleuTokens(hyp: readonly string[], refs: readonly (readonly string[])[]): number {
  const refMax = new Map<string, number>();
  for (const r of refs) {
    for (let n = 1; n <= MAX_ORDER; n++) for (const [g, c] of ngramCounts(r, n)) refMax.set(`${n}:${g}`, Math.max(refMax.get(`${n}:${g}`) ?? 0, c));
  }
  const refLen = Math.min(...refs.map((r) => r.length)); // eff_ref_len = "shortest"
  const testLen = hyp.length;
  let logBleu = 0;
  for (let n = 1; n <= MAX_ORDER; n++) {
    let correct = 0;
    for (const [g, c] of ngramCounts(hyp, n)) correct += Math.min(refMax.get(`${n}:${g}`) ?? 0, c);
    const guess = Math.max(testLen - n + 1, 0);
    const add = n > 1 ? 1 : 0;
    logBleu += Math.log(correct + add + FLOAT_MIN) - Math.log(guess + add + FLOAT_MIN);
  }
  logBleu /= MAX_ORDER;
  const brevity = Math.min(0, 1 - (refLen + 1) / (testLen + 1));
  return 100 * Math.exp(logBleu + brevity);
}

export interface SentenceBleuOptions {
  variant?: SentenceBleuVariant;
  /** Tokeniser for 'nltk-method2' (default whitespace split). 'codexglue' always uses its own. */
  tokenize?: (s: string) => string[];
}

/** Smoothed sentence BLEU-4, 0–100, in the named variant (see the file comment). */
export function smoothedSentenceBleu(prediction: string, reference: string | readonly string[], opts: SentenceBleuOptions = {}): number {
  const refs = typeof reference === 'string' ? [reference] : [...reference];
  if ((opts.variant ?? 'codexglue') === 'codexglue') {
    return codexglueSmoothBleuTokens(codexglueTextTokens(prediction), refs.map(codexglueTextTokens));
  }
  const tok = opts.tokenize ?? whitespaceTokens;
  const smoothing = opts.variant === 'nltk-method2-all' ? 'method2-all' : 'method2';
  return 100 * nltkBleuFromStats(nltkBleuStats(tok(prediction), refs.map(tok)), smoothing);
}
