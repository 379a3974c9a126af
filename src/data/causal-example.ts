/**
 * One supervised sequence: [BOS] prompt target [EOS], with loss on target + EOS (and, when a run
 * asks for it, on the input code inside the prompt — the same positions for every method of a
 * comparison), and the tokenizer offsets of prompt and target kept so that code weights can be
 * projected onto their sub-word tokens.
 */
import type { NativeBatch } from '../native/index.ts';

export interface CausalExample {
  id: number;
  ids: Int32Array;
  /** Index in `ids` of the first prompt token (1 after a BOS, else 0). */
  promptStart: number;
  /** Index in `ids` of the first target token; target tokens run to ids.length − 2, EOS is last. */
  targetStart: number;
  /** Target tokens' [start, end) offsets in code points of the target text (flat pairs). */
  targetOffsets: Int32Array;
  /** Prompt tokens' [start, end) offsets in code points of the prompt text (flat pairs). */
  promptOffsets: Int32Array;
}

export interface OffsetEncoding {
  getIds(): number[];
  getOffsets(): number[][];
}

/** Minimal tokenizer surface (the HF `tokenizers` binding's Tokenizer fits it). */
export interface OffsetTokenizer {
  encode(text: string, pair?: null, opts?: { addSpecialTokens?: boolean }): Promise<OffsetEncoding>;
  /** Many texts in one call (the binding tokenises them in parallel, off the JS thread). */
  encodeBatch?(texts: string[], opts?: { addSpecialTokens?: boolean }): Promise<OffsetEncoding[]>;
}

function flatOffsets(off: number[][]): Int32Array {
  const out = new Int32Array(off.length * 2);
  off.forEach(([s, e], i) => { out[2 * i] = s; out[2 * i + 1] = e; });
  return out;
}

/**
 * `special` comes from the model's tokenizer (src/model/tokenizer.ts, ModelTokenizer bosId/eosId):
 * `bos` is the token the tokenizer's post-processor puts before a sequence, null when it adds none
 * (e.g. Qwen2: the sequence starts with the prompt); `eos` is the supervised EOS.
 */
export async function makeCausalExample(
  tok: OffsetTokenizer,
  id: number,
  prompt: string,
  target: string,
  special: { bos: number | null; eos: number },
): Promise<CausalExample> {
  const p = await tok.encode(prompt, null, { addSpecialTokens: false });
  const t = await tok.encode(target, null, { addSpecialTokens: false });
  return causalFromEncodings(id, p, t, special);
}

/** The example from already computed encodings of the prompt and the target (no special tokens). */
export function causalFromEncodings(id: number, p: OffsetEncoding, t: OffsetEncoding, special: { bos: number | null; eos: number }): CausalExample {
  const pIds = p.getIds(), tIds = t.getIds();
  const promptStart = special.bos === null ? 0 : 1;
  const ids = new Int32Array(promptStart + pIds.length + tIds.length + 1);
  if (special.bos !== null) ids[0] = special.bos;
  ids.set(pIds, promptStart);
  ids.set(tIds, promptStart + pIds.length);
  ids[ids.length - 1] = special.eos;
  return { id, ids, promptStart, targetStart: promptStart + pIds.length, targetOffsets: flatOffsets(t.getOffsets()), promptOffsets: flatOffsets(p.getOffsets()) };
}

/** One row of a batch: ids, which positions carry loss, and optional full-length weights / path mask. */
export interface SequenceRow {
  ids: Int32Array;
  lossMask: Uint8Array;
  weights?: Float32Array;
  pathMask?: Uint8Array;
}

/** The loss mask of target + EOS, plus the prompt positions flagged in `promptLoss` (one per prompt token). */
export function lossMaskOf(e: CausalExample, promptLoss?: Uint8Array): Uint8Array {
  const m = new Uint8Array(e.ids.length);
  m.fill(1, e.targetStart);
  if (promptLoss) for (let j = 0; j < promptLoss.length; j++) if (promptLoss[j]) m[e.promptStart + j] = 1;
  return m;
}

/** Right-padded batch of rows; weights default to 1 and the path mask to 0. */
export function collateRows(rows: readonly SequenceRow[], pad: number): NativeBatch {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.ids.length));
  const inputIds = new Int32Array(B * T).fill(pad);
  const labels = new Int32Array(B * T).fill(-100);
  const attentionMask = new Int32Array(B * T);
  const weights = new Float32Array(B * T).fill(1);
  const pathMask = new Uint8Array(B * T);
  let anyWeights = false, anyPath = false;
  rows.forEach((r, b) => {
    const o = b * T;
    inputIds.set(r.ids, o);
    attentionMask.fill(1, o, o + r.ids.length);
    for (let j = 0; j < r.ids.length; j++) if (r.lossMask[j]) labels[o + j] = r.ids[j];
    if (r.weights) { weights.set(r.weights, o); anyWeights = true; }
    if (r.pathMask) { pathMask.set(r.pathMask, o); anyPath = true; }
  });
  return { inputIds, labels, attentionMask, weights: anyWeights ? weights : undefined, pathMask: anyPath ? pathMask : undefined, batchSize: B, seqLen: T };
}

/**
 * Right-padded batch with loss on target + EOS. `targetWeights(e)` gives example e's weights for
 * its target tokens (length = number of target tokens) or undefined for all ones; EOS always
 * weighs 1. `pathMasks(e)` likewise flags its target tokens on the pseudo path.
 */
export function collate(
  examples: readonly CausalExample[],
  pad: number,
  targetWeights?: (e: CausalExample) => Float32Array | undefined,
  pathMasks?: (e: CausalExample) => Uint8Array | undefined,
): NativeBatch {
  const rows = examples.map((e): SequenceRow => {
    const row: SequenceRow = { ids: e.ids, lossMask: lossMaskOf(e) };
    const w = targetWeights?.(e);
    if (w) { row.weights = new Float32Array(e.ids.length).fill(1); row.weights.set(w, e.targetStart); }
    if (pathMasks) { row.pathMask = new Uint8Array(e.ids.length); const m = pathMasks(e); if (m) row.pathMask.set(m, e.targetStart); }
    return row;
  });
  const b = collateRows(rows, pad);
  // A caller that asks for path masks gets one even when every example's is empty.
  if (pathMasks && !b.pathMask) b.pathMask = new Uint8Array(b.batchSize * b.seqLen);
  return b;
}
