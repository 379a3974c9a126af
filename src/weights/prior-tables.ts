/**
 * One mode of a priors file compiled into typed arrays indexed by label id, for the per-epoch loop
 * (pseudo paths are redrawn for every example every epoch, so look-ups must not hash strings).
 * Built once per run. For files whose n-gram keys are sorted label sets (`ngramOrder: "sorted"`,
 * the artifact's convention), every permutation of a key is filled in, so a look-up in visit order
 * needs no sorting and finds the same count.
 */
import { isLabelName, labelId, type LabelName } from '../code/labels.ts';
import { NGRAM_SEP, type Mode, type Priors } from '../priors/format.ts';
import { aggregate, modePriors, salience } from '../priors/stats.ts';
import type { Rng } from '../util/rng.ts';
import { LABEL_BITS, LABEL_SLOTS } from './types.ts';

export interface PriorTables {
  mode: Mode;
  /** 1 where the label has a prior in this mode (only those tokens can be on a path). */
  hasPrior: Uint8Array;
  /** E[θ_s] by label id (0 where there is no prior). */
  salience: Float64Array;
  aggAlpha: number;
  aggBeta: number;
  /** count(g) of 1-, 2-, 3-grams by packed label ids (0 = not in the vocabulary). */
  mono: Float64Array;
  bi: Float64Array;
  tri: Float64Array;
  /** Label permutation applied to salience (shuffled-salience variant), identity otherwise. */
  saliencePermutation: Int32Array | null;
}

export const packBigram = (a: number, b: number): number => (a << LABEL_BITS) | b;
export const packTrigram = (a: number, b: number, c: number): number => (((a << LABEL_BITS) | b) << LABEL_BITS) | c;

function permutations(ids: number[]): number[][] {
  if (ids.length <= 1) return [ids];
  const out: number[][] = [];
  ids.forEach((id, i) => {
    for (const rest of permutations([...ids.slice(0, i), ...ids.slice(i + 1)])) out.push([id, ...rest]);
  });
  return out;
}

export function compilePriorTables(priors: Priors, mode: Mode, file = 'priors'): PriorTables {
  const mp = modePriors(priors, mode, file);
  const hasPrior = new Uint8Array(LABEL_SLOTS);
  const sal = new Float64Array(LABEL_SLOTS);
  for (const [name, p] of Object.entries(mp.labels)) {
    if (!p || !isLabelName(name)) continue;
    const id = labelId(name);
    hasPrior[id] = 1;
    sal[id] = salience(p);
  }
  const agg = aggregate(mp);
  const mono = new Float64Array(LABEL_SLOTS);
  const bi = new Float64Array(LABEL_SLOTS * LABEL_SLOTS);
  const tri = new Float64Array(LABEL_SLOTS * LABEL_SLOTS * LABEL_SLOTS);
  for (const n of ['1', '2', '3'] as const) {
    for (const [key, c] of Object.entries(mp.ngrams[n])) {
      if (c === undefined) continue;
      const ids = key.split(NGRAM_SEP).map((l) => labelId(l as LabelName));
      const orders = priors.ngramOrder === 'sorted' ? permutations(ids) : [ids];
      for (const o of orders) {
        if (n === '1') mono[o[0]] = c;
        else if (n === '2') bi[packBigram(o[0], o[1])] = c;
        else tri[packTrigram(o[0], o[1], o[2])] = c;
      }
    }
  }
  return { mode, hasPrior, salience: sal, aggAlpha: agg.alpha, aggBeta: agg.beta, mono, bi, tri, saliencePermutation: null };
}

/**
 * The shuffled-salience control: E[θ] permuted across the labels that have a prior, by a seeded
 * RNG, once per run (a fixed wrong ranking, not fresh noise per example). A permutation equal to
 * the identity is redrawn, so the control always differs from the human ranking.
 */
export function shuffleSalience(t: PriorTables, rng: Rng): PriorTables {
  const ids: number[] = [];
  for (let id = 0; id < LABEL_SLOTS; id++) if (t.hasPrior[id]) ids.push(id);
  let perm = ids.slice();
  const distinct = new Set(ids.map((id) => t.salience[id])).size > 1;
  for (let tries = 0; tries < 100; tries++) {
    perm = rng.shuffle(ids.slice());
    if (!distinct || perm.some((id, i) => t.salience[id] !== t.salience[ids[i]])) break;
  }
  const sal = new Float64Array(LABEL_SLOTS);
  const permutation = new Int32Array(LABEL_SLOTS).map((_, i) => i);
  ids.forEach((id, i) => {
    sal[id] = t.salience[perm[i]];
    permutation[id] = perm[i];
  });
  return { ...t, salience: sal, saliencePermutation: permutation };
}
