/**
 * One supervised sequence: [BOS] prompt target [EOS], with loss only on target + EOS (the setting
 * shared by every method in a comparison), and the target's tokenizer offsets kept so that code
 * weights can be projected onto its sub-word tokens.
 */
import type { NativeBatch } from '../native/index.ts';

export interface CausalExample {
  id: number;
  ids: Int32Array;
  /** Index in `ids` of the first target token; target tokens run to ids.length − 2, EOS is last. */
  targetStart: number;
  /** Target tokens' [start, end) offsets in code points of the target text (flat pairs). */
  targetOffsets: Int32Array;
}

/** Minimal tokenizer surface (the HF `tokenizers` binding's Tokenizer fits it). */
export interface OffsetTokenizer {
  encode(text: string, pair?: null, opts?: { addSpecialTokens?: boolean }): Promise<{ getIds(): number[]; getOffsets(): number[][] }>;
}

export async function makeCausalExample(
  tok: OffsetTokenizer,
  id: number,
  prompt: string,
  target: string,
  special: { bos: number; eos: number },
): Promise<CausalExample> {
  const p = await tok.encode(prompt, null, { addSpecialTokens: false });
  const t = await tok.encode(target, null, { addSpecialTokens: false });
  const pIds = p.getIds(), tIds = t.getIds(), tOff = t.getOffsets();
  const ids = new Int32Array(1 + pIds.length + tIds.length + 1);
  ids[0] = special.bos;
  ids.set(pIds, 1);
  ids.set(tIds, 1 + pIds.length);
  ids[ids.length - 1] = special.eos;
  const targetOffsets = new Int32Array(tOff.length * 2);
  tOff.forEach(([s, e], i) => { targetOffsets[2 * i] = s; targetOffsets[2 * i + 1] = e; });
  return { id, ids, targetStart: 1 + pIds.length, targetOffsets };
}

/**
 * Right-padded batch. `targetWeights(i)` gives example i's weights for its target tokens (length =
 * number of target tokens) or undefined for all ones; EOS always weighs 1.
 */
export function collate(
  examples: readonly CausalExample[],
  pad: number,
  targetWeights?: (e: CausalExample) => Float32Array | undefined,
  pathMasks?: (e: CausalExample) => Uint8Array | undefined,
): NativeBatch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.ids.length));
  const inputIds = new Int32Array(B * T).fill(pad);
  const labels = new Int32Array(B * T).fill(-100);
  const attentionMask = new Int32Array(B * T);
  const weights = new Float32Array(B * T).fill(1);
  const pathMask = new Uint8Array(B * T);
  let anyWeights = false;
  examples.forEach((e, b) => {
    const o = b * T;
    inputIds.set(e.ids, o);
    attentionMask.fill(1, o, o + e.ids.length);
    for (let j = e.targetStart; j < e.ids.length; j++) labels[o + j] = e.ids[j];
    const w = targetWeights?.(e);
    if (w) { weights.set(w, o + e.targetStart); anyWeights = true; }
    const m = pathMasks?.(e);
    if (m) pathMask.set(m, o + e.targetStart);
  });
  return { inputIds, labels, attentionMask, weights: anyWeights ? weights : undefined, pathMask: pathMasks ? pathMask : undefined, batchSize: B, seqLen: T };
}
