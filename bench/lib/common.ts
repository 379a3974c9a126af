/** Small helpers shared by the bench scripts (no engine imports here: safe to load before env is set). */
import { loadavg } from 'node:os';

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Deterministic PRNG (mulberry32) so the benchmark batches are the same in every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Progress to stderr (stdout stays for results). */
export const progress = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0].toFixed(2)}] ${msg}\n`);
};

export const round = (x: number, d = 3): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

/** Model/batch shape of one benchmark size. */
export interface BenchShape {
  name: string;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  seq: number;
  batch: number;
}

/**
 * Training FLOPs of one optimizer step (forward + backward), counted analytically:
 *   6 · P_ne · tokens                    (every weight matmul: 2 FLOPs/MAC fwd, 4 bwd)
 * + 12 · layers · seq² · hidden · batch  (QK^T and PV: 2·2·seq²·hidden fwd per layer, ×3 with bwd)
 * where P_ne = parameters without the input embedding (a gather, no FLOPs); lm_head counts in
 * P_ne. RMSNorm, RoPE, softmax, SiLU, CE and AdamW are element-wise and not counted. The
 * attention term counts the full seq×seq product (the explicit attention computes all of it,
 * masked half included).
 */
export function stepFlops(s: BenchShape, paramsNonEmbedding: number): { total: number; dense: number; attention: number } {
  const tokens = s.batch * s.seq;
  const dense = 6 * paramsNonEmbedding * tokens;
  const attention = 12 * s.layers * s.seq * s.seq * s.hiddenSize * s.batch;
  return { total: dense + attention, dense, attention };
}

/** Parameter count of a Llama of this shape (untied lm_head), split as the FLOP formula needs. */
export function llamaParams(s: BenchShape): { total: number; embedding: number; nonEmbedding: number } {
  const hd = s.hiddenSize / s.heads;
  const attn = s.hiddenSize * s.heads * hd * 2 + s.hiddenSize * s.kvHeads * hd * 2;
  const mlp = 3 * s.hiddenSize * s.intermediateSize;
  const norms = 2 * s.hiddenSize;
  const embedding = s.vocabSize * s.hiddenSize;
  const nonEmbedding = s.layers * (attn + mlp + norms) + s.hiddenSize + s.vocabSize * s.hiddenSize;
  return { total: embedding + nonEmbedding, embedding, nonEmbedding };
}
