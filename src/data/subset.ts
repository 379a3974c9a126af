/**
 * Low-data subsets: n examples drawn by seed, for learning curves ("how much does gaze weighting
 * help with 100 / 500 / 1000 training pairs?").
 *
 * Definition: with N items in load order, the subset for (seed, n) is the first n indices of a
 * partial Fisher–Yates permutation of [0, N) drawn from `new Rng(seed).fork('subset')`
 * (`Rng.sampleIndices(N, n)`), returned in ascending index order (i.e. in file order). Hence:
 * - deterministic: the same seed, n and N give the same subset, on every machine;
 * - nested: for one seed, the subset of size n is contained in the subset of size m > n (the
 *   partial permutation's prefix does not depend on how far it is drawn), so a learning curve
 *   only ever adds examples;
 * - independent of every other random stream (its own fork tag), and of the variant being trained.
 * n = N returns everything; n > N is an error (a subset cannot be larger than its pool).
 */
import { OptionError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export const SUBSET_FORK_TAG = 'subset';

/** The ascending indices of the (seed, n) subset of a pool of `poolSize` items. */
export function subsetIndices(poolSize: number, n: number, seed: number | string): number[] {
  if (!Number.isInteger(poolSize) || poolSize < 0) throw new OptionError(`pool size must be a non-negative integer, got ${poolSize}`);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`subset size must be a non-negative integer, got ${n}`);
  if (n > poolSize) throw new OptionError(`cannot draw ${n} examples from ${poolSize}: the subset size must be at most the pool size`);
  return new Rng(seed).fork(SUBSET_FORK_TAG).sampleIndices(poolSize, n).sort((a, b) => a - b);
}

/** The (seed, n) subset of `items`, in their original order. */
export function drawSubset<T>(items: readonly T[], n: number, seed: number | string): T[] {
  return subsetIndices(items.length, n, seed).map((i) => items[i]);
}
