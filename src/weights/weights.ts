/**
 * Per-token loss weights (METHOD.md §5): w_j = w_base + 1/ln(count(g_j) + 2) + E[θ_{s_j}] for
 * tokens on the pseudo path, 1 elsewhere. `pathTokenWeight` is the one place this formula is
 * computed; variants switch its terms off rather than re-implementing it.
 */
import type { PreparedCode } from './prepared.ts';
import type { PriorTables } from './prior-tables.ts';
import type { PseudoPath } from './pseudo-path.ts';

/** Weight of every token off the path (and of every token in the baseline). */
export const OFF_PATH_WEIGHT = 1;

export interface WeightTerms {
  /** w_base: 1.0 in the paper; the artifact's code used 3.0. */
  wBase: number;
  /** Include the rarity term 1/ln(count(g_j) + 2) (off in no-rarity). */
  rarity: boolean;
  /** Include the semantic term E[θ_{s_j}] (off in no-semantic). */
  semantic: boolean;
}

export const DEFAULT_TERMS: WeightTerms = { wBase: 1, rarity: true, semantic: true };

/** w_j of a token on the path, from its group's prior count and its label's salience. */
export function pathTokenWeight(count: number, salience: number, terms: WeightTerms): number {
  return terms.wBase + (terms.rarity ? 1 / Math.log(count + 2) : 0) + (terms.semantic ? salience : 0);
}

/** Weights of all code tokens for one drawn path. */
export function codeTokenWeights(code: PreparedCode, path: PseudoPath, tables: PriorTables, terms: WeightTerms, out: Float32Array = new Float32Array(code.n)): Float32Array {
  const { labelIds } = code;
  const { onPath, groupOf, groupCount } = path;
  for (let j = 0; j < code.n; j++) {
    out[j] = onPath[j] ? pathTokenWeight(groupCount[groupOf[j]], tables.salience[labelIds[j]], terms) : OFF_PATH_WEIGHT;
  }
  return out;
}
