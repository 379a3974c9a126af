/**
 * Length-bucketed batches for one epoch. Sorting by length inside windows keeps padding low, and
 * shuffling keeps the batches random. The order is a pure function of (seed, epoch, lengths,
 * batchSize, windowBatches): weighting variants never draw from this stream, so every variant of a
 * comparison trained with the same seed sees exactly the same batches in the same order (they
 * differ only in their weights).
 *
 * Algorithm for epoch e (0-based) and N examples:
 * 1. rng = new Rng(seed).fork(`bucketing:${e}`); perm = rng.shuffle([0, …, N−1]).
 * 2. Cut perm into consecutive windows of windowBatches · batchSize examples (default 64 batches;
 *    the last window may be shorter). Inside each window, stable-sort by length (ties keep their perm order).
 *    Direction alternates (ascending in even windows, descending in odd ones) so that the short
 *    tail of one window and the short head of the next do not form a run of near-empty batches.
 * 3. Cut each window into batches of `batchSize` (a window's last batch may be smaller; batches
 *    never straddle windows). With `dropLast`, batches smaller than batchSize are dropped and
 *    counted in `dropped`.
 * 4. Shuffle the list of batches with the same rng.
 * Every index appears exactly once per epoch (unless dropped).
 *
 * Training forms *global* batches with this function (batchSize = micro-batch × gradient
 * accumulation × world size, see `globalBatchSize`) and only then cuts each one into the micro-batches
 * of one rank (`microBatches`). The examples of an optimizer step, and their order, therefore do not
 * depend on how the step is split: `--batch-size 4 --grad-accum 2` trains on exactly the global
 * batches of `--batch-size 8` (and, later, of 2 ranks × 4), so accumulation and world size are pure
 * memory/time trades. (Before 2026-12 batches were formed per micro-batch, so accumulation changed
 * the length buckets: different data per step.)
 */
import { OptionError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export interface BucketOptions {
  seed: number | string;
  epoch: number;
  batchSize: number;
  /** Batches per sorting window (default 64). 1 = no length grouping; ≥ N / batchSize = global sort. */
  windowBatches?: number;
  /** Drop batches smaller than batchSize (default false). */
  dropLast?: boolean;
}

export interface EpochBatches {
  /** Example indices per batch, in training order. */
  batches: number[][];
  /** Examples left out by dropLast. */
  dropped: number;
  /** Σ over batches of (batch size × longest length in it) / Σ lengths: 1 = no padding. */
  paddingFactor: number;
}

export function epochBatches(lengths: readonly number[], opts: BucketOptions): EpochBatches {
  const { batchSize, epoch } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError(`batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new OptionError(`epoch must be a non-negative integer, got ${epoch}`);
  const windowBatches = opts.windowBatches ?? 64;
  if (!Number.isInteger(windowBatches) || windowBatches < 1) throw new OptionError(`window must be a positive integer number of batches, got ${windowBatches}`);
  const windowSize = windowBatches * batchSize;
  for (let i = 0; i < lengths.length; i++) {
    if (!Number.isFinite(lengths[i]) || lengths[i] < 0) throw new OptionError(`length of example ${i} must be a non-negative number, got ${lengths[i]}`);
  }
  const rng = new Rng(opts.seed).fork(`bucketing:${epoch}`);
  const perm = rng.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  let batches: number[][] = [];
  for (let w = 0, k = 0; w < perm.length; w += windowSize, k++) {
    const win = perm.slice(w, w + windowSize).map((idx, pos) => ({ idx, pos }));
    const dir = k % 2 === 0 ? 1 : -1;
    win.sort((a, b) => dir * (lengths[a.idx] - lengths[b.idx]) || a.pos - b.pos);
    for (let b = 0; b < win.length; b += batchSize) batches.push(win.slice(b, b + batchSize).map((x) => x.idx));
  }
  let dropped = 0;
  if (opts.dropLast) {
    const kept = batches.filter((b) => b.length === batchSize);
    dropped = lengths.length - kept.length * batchSize;
    batches = kept;
  }
  rng.shuffle(batches);
  let padded = 0;
  let total = 0;
  for (const b of batches) {
    let max = 0;
    for (const i of b) { max = Math.max(max, lengths[i]); total += lengths[i]; }
    padded += max * b.length;
  }
  return { batches, dropped, paddingFactor: total === 0 ? 1 : padded / total };
}

/** How one optimizer step's global batch is split: micro-batch size × accumulation (× ranks). */
export interface StepSplit {
  /** Sequences per micro-batch (`batchSize` of a run). */
  microBatchSize: number;
  /** Micro-batches per optimizer step and rank (`gradAccum`). Default 1. */
  gradAccum?: number;
  /** Data-parallel processes sharing each step (not implemented in the engine yet). Default 1. */
  worldSize?: number;
  /** This process's rank, 0 ≤ rank < worldSize. Default 0. */
  rank?: number;
}

function checkSplit(s: StepSplit): { b: number; a: number; w: number; r: number } {
  const b = s.microBatchSize, a = s.gradAccum ?? 1, w = s.worldSize ?? 1, r = s.rank ?? 0;
  for (const [name, v] of [['micro-batch size', b], ['gradient accumulation', a], ['world size', w]] as const)
    if (!Number.isInteger(v) || v < 1) throw new OptionError(`${name} must be a positive integer, got ${v}`);
  if (!Number.isInteger(r) || r < 0 || r >= w) throw new OptionError(`rank must be an integer in [0, ${w}), got ${r}`);
  return { b, a, w, r };
}

/** Sequences per optimizer step over all ranks: microBatchSize × gradAccum × worldSize. */
export function globalBatchSize(s: StepSplit): number {
  const { b, a, w } = checkSplit(s);
  return b * a * w;
}

/**
 * One rank's micro-batches of a global batch (example indices, in the global batch's order).
 *
 * Rank r takes the contiguous slice [⌊r·n/W⌋, ⌊(r+1)·n/W⌋) of the n = global.length examples (a full
 * global batch: exactly microBatchSize × gradAccum each; a short last one: sizes differ by at most
 * one), and cuts it into consecutive micro-batches of microBatchSize (the last may be smaller; a
 * short slice gives fewer than gradAccum micro-batches, an empty one none). Concatenating every
 * rank's micro-batches gives `global` back. The loss of a step is normalised over the whole global
 * batch (the engine does this over the micro-batches of a step), so the split changes only padding
 * and the order of floating-point sums, not the maths.
 */
export function microBatches(global: readonly number[], s: StepSplit): number[][] {
  const { b, a, w, r } = checkSplit(s);
  if (global.length > b * a * w) throw new OptionError(`a global batch of ${global.length} examples does not fit ${w} rank(s) × ${a} micro-batch(es) × ${b}`);
  const n = global.length;
  const mine = global.slice(Math.floor((r * n) / w), Math.floor(((r + 1) * n) / w));
  const out: number[][] = [];
  for (let i = 0; i < mine.length; i += b) out.push(mine.slice(i, i + b));
  return out;
}
