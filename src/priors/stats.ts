/**
 * The quantities METHOD.md §3 derives from a priors file: salience E[θ_s], the aggregate density
 * Beta(α_agg, β_agg), and n-gram count look-ups. These are the readable versions; the hot path of
 * pseudo paths uses the same numbers compiled into typed arrays (`src/weights/prior-tables.ts`).
 */
import { OptionError } from '../util/errors.ts';
import { canonicalNgramKey, MODES, type LabelPrior, type Mode, type ModePriors, type NgramOrder, type Priors } from './format.ts';

/** Posterior mean of a label's fixation probability: E[θ_s] = α_s / (α_s + β_s). */
export function salience(p: Pick<LabelPrior, 'alpha' | 'beta'>): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Aggregate density prior Beta(α_agg = Σ α_s, β_agg = Σ β_s): how much of a snippet a reader covers. */
export function aggregate(mp: ModePriors): { alpha: number; beta: number; mean: number } {
  let alpha = 0;
  let beta = 0;
  for (const p of Object.values(mp.labels)) {
    if (!p) continue;
    alpha += p.alpha;
    beta += p.beta;
  }
  return { alpha, beta, mean: alpha + beta > 0 ? alpha / (alpha + beta) : 0 };
}

/** Prior count of an n-gram of labels (1 to 3 of them), 0 when absent or pruned. */
export function ngramCount(mp: ModePriors, labels: readonly string[], order: NgramOrder): number {
  const n = labels.length;
  if (n < 1 || n > 3) throw new RangeError(`n-grams have 1 to 3 labels, got ${n}`);
  const table = mp.ngrams[String(n) as '1' | '2' | '3'];
  return table[canonicalNgramKey(labels, order)] ?? 0;
}

/** One mode of a priors file; a clear error when the file has no data for it. */
export function modePriors(priors: Priors, mode: Mode, file = 'priors'): ModePriors {
  const mp = priors.modes[mode];
  if (!mp) {
    const have = MODES.filter((m) => priors.modes[m]);
    throw new OptionError(`${file} has no "${mode}" mode (it has: ${have.join(', ')})`);
  }
  return mp;
}
