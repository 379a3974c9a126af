/**
 * Per-example data that does not change between epochs: labels, lines, spans, candidates grouped
 * by label, and the sub-word alignment. Labelling and tokenising happen once (first pass); every
 * epoch only redraws the path and weights from a PreparedExample (see draw.ts), which is what makes
 * dynamic paths cheap.
 *
 * Candidates for a path are labelled tokens (labelId ≠ 0) that are not punctuation: the gaze data
 * has neither unlabelled tokens nor punctuation, so the priors say nothing about them.
 */
import { InputError } from '../util/errors.ts';
import { LABELS } from '../code/labels.ts';
import { alignSubwords, flattenOffsets } from './subword.ts';
import { LABEL_SLOTS, type WeightToken } from './types.ts';

export interface PreparedCode {
  /** Number of code tokens. */
  n: number;
  labelIds: Uint8Array;
  lines: Int32Array;
  startCp: Int32Array;
  endCp: Int32Array;
  /** Candidate token indices grouped by label id, in source order: label s owns candMembers[candStart[s] .. candStart[s+1]). */
  candStart: Int32Array;
  candMembers: Int32Array;
}

export interface PreparedExample extends PreparedCode {
  /** Number of model (sub-word) tokens. */
  nModel: number;
  /** Code token each model token projects from (−1: none, weight 1). */
  owner: Int32Array;
}

export function prepareCode(tokens: readonly WeightToken[]): PreparedCode {
  const n = tokens.length;
  const labelIds = new Uint8Array(n);
  const lines = new Int32Array(n);
  const startCp = new Int32Array(n);
  const endCp = new Int32Array(n);
  const counts = new Int32Array(LABEL_SLOTS + 1);
  for (let j = 0; j < n; j++) {
    const t = tokens[j];
    const id = t.labelId;
    if (!Number.isInteger(id) || id < 0 || id > LABELS.length) {
      throw new InputError(`code token ${j}: labelId ${id} is not a label id (0–${LABELS.length})`);
    }
    if (!Number.isInteger(t.startCp) || !Number.isInteger(t.endCp) || t.endCp < t.startCp || t.startCp < 0) {
      throw new InputError(`code token ${j}: bad span [${t.startCp}, ${t.endCp})`);
    }
    labelIds[j] = id;
    lines[j] = t.line;
    startCp[j] = t.startCp;
    endCp[j] = t.endCp;
    if (id !== 0 && !t.punct) counts[id + 1]++;
  }
  const candStart = new Int32Array(LABEL_SLOTS + 1);
  for (let s = 1; s <= LABEL_SLOTS; s++) candStart[s] = candStart[s - 1] + counts[s];
  const fill = candStart.slice(0, LABEL_SLOTS);
  const candMembers = new Int32Array(candStart[LABEL_SLOTS]);
  for (let j = 0; j < n; j++) {
    const id = labelIds[j];
    if (id !== 0 && !tokens[j].punct) candMembers[fill[id]++] = j;
  }
  return { n, labelIds, lines, startCp, endCp, candStart, candMembers };
}

/**
 * Code tokens plus the model tokenizer's offsets over the same text (code points; either
 * `[[start, end], …]` or flat pairs). Offsets are relative to the code text the tokens came from.
 */
export function prepareExample(tokens: readonly WeightToken[], modelOffsets: ArrayLike<ArrayLike<number>> | Int32Array): PreparedExample {
  const code = prepareCode(tokens);
  const flat = modelOffsets instanceof Int32Array ? modelOffsets : flattenOffsets(modelOffsets);
  const owner = alignSubwords(code.startCp, code.endCp, flat);
  return { ...code, nModel: owner.length, owner };
}
