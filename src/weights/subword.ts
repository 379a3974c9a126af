/**
 * Sub-word projection (METHOD.md §5): a model token gets the weight (and path membership) of the
 * code token whose character span it overlaps most; on a tie the earlier code token wins; a model
 * token overlapping no code token gets weight 1 and is off the path.
 *
 * Spans are compared in Unicode code points: HF `tokenizers` offsets are code points, and code
 * tokens carry startCp/endCp, so no UTF-16 conversion is needed (astral characters such as emoji
 * are one code point but two UTF-16 units — mixing the two would shift every later span).
 *
 * The alignment (model token → owning code token) depends only on the text, so it is computed once
 * per example; projecting a fresh draw is then a gather over typed arrays.
 */
import { InputError } from '../util/errors.ts';

/** Flattens `[[start, end], …]` (Encoding.getOffsets()) into pairs in an Int32Array. */
export function flattenOffsets(offsets: ArrayLike<ArrayLike<number>>): Int32Array {
  const out = new Int32Array(offsets.length * 2);
  for (let i = 0; i < offsets.length; i++) {
    out[2 * i] = offsets[i][0];
    out[2 * i + 1] = offsets[i][1];
  }
  return out;
}

/**
 * Owner code token of each model token (−1 for none). Code spans must be sorted and disjoint
 * (checked once, cheaply); model spans may be in any order, but in the usual increasing order the
 * sweep is linear: a cursor advances over code tokens that end before the model token starts.
 */
export function alignSubwords(codeStart: Int32Array, codeEnd: Int32Array, modelOffsets: Int32Array): Int32Array {
  const nc = codeStart.length;
  for (let j = 1; j < nc; j++) {
    if (codeStart[j] < codeEnd[j - 1]) {
      throw new InputError(`code tokens ${j - 1} and ${j} overlap or are out of order (spans [${codeStart[j - 1]},${codeEnd[j - 1]}) and [${codeStart[j]},${codeEnd[j]}))`);
    }
  }
  const nm = modelOffsets.length >> 1;
  const owner = new Int32Array(nm);
  let k = 0;
  let prevStart = -1;
  for (let i = 0; i < nm; i++) {
    const a = modelOffsets[2 * i];
    const b = modelOffsets[2 * i + 1];
    if (a < prevStart) {
      // Out-of-order model token (rare; e.g. offsets of a pair encoding): re-find the cursor.
      let lo = 0;
      let hi = nc;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (codeEnd[mid] <= a) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
    }
    prevStart = a;
    while (k < nc && codeEnd[k] <= a) k++;
    let best = -1;
    let bestOverlap = 0;
    for (let j = k; j < nc && codeStart[j] < b; j++) {
      const ov = Math.min(b, codeEnd[j]) - Math.max(a, codeStart[j]);
      if (ov > bestOverlap) {
        bestOverlap = ov;
        best = j;
      }
    }
    owner[i] = best;
  }
  return owner;
}

/** Model-token values from code-token values; 1 where a model token has no owner. */
export function projectWeights(owner: Int32Array, codeWeights: Float32Array, out: Float32Array = new Float32Array(owner.length)): Float32Array {
  for (let i = 0; i < owner.length; i++) {
    const o = owner[i];
    out[i] = o >= 0 ? codeWeights[o] : 1;
  }
  return out;
}

/** Model-token path membership from code-token membership; 0 where a model token has no owner. */
export function projectMask(owner: Int32Array, codeMask: Uint8Array, out: Uint8Array = new Uint8Array(owner.length)): Uint8Array {
  for (let i = 0; i < owner.length; i++) {
    const o = owner[i];
    out[i] = o >= 0 ? codeMask[o] : 0;
  }
  return out;
}
