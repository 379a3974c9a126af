// Global batches (bucketing.ts): each optimizer step's examples are formed once, as one process
// with batchSize = micro × accumulation × ranks would, then cut into one rank's micro-batches.
import test from 'ava';
import { epochBatches, globalBatchSize, microBatches } from '../../src/data/bucketing.ts';
import { OptionError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const lengthsOf = (n: number, seed = 3) => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => 10 + r.int(500));
};

test('micro-batches: contiguous slices of the global batch; every rank together gives it back in order', (t) => {
  const g = Array.from({ length: 16 }, (_, i) => 100 + i);
  t.deepEqual(microBatches(g, { microBatchSize: 4, gradAccum: 4 }), [g.slice(0, 4), g.slice(4, 8), g.slice(8, 12), g.slice(12, 16)]);
  t.deepEqual(microBatches(g, { microBatchSize: 16 }), [g]);
  // 2 ranks × 2 micro-batches × 4: rank r takes the r-th half.
  t.deepEqual(microBatches(g, { microBatchSize: 4, gradAccum: 2, worldSize: 2, rank: 1 }), [g.slice(8, 12), g.slice(12, 16)]);
  for (const n of [16, 15, 9, 5, 3, 1, 0]) {
    const short = g.slice(0, n);
    for (const W of [1, 2, 4]) {
      // 16 = W ranks × (8 / W) micro-batches × 2
      const split = { microBatchSize: 2, gradAccum: 8 / W, worldSize: W };
      const all = Array.from({ length: W }, (_, rank) => microBatches(short, { ...split, rank }));
      t.deepEqual(all.flat(2), short, `n ${n}, W ${W}: the ranks' micro-batches concatenate to the global batch`);
      const sizes = all.map((mb) => mb.flat().length);
      t.true(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced ranks ${sizes}`);
      for (const mb of all) {
        t.true(mb.length <= split.gradAccum, 'at most gradAccum micro-batches');
        t.true(mb.every((m) => m.length > 0 && m.length <= 2), 'no empty or oversized micro-batch');
      }
    }
  }
  // A short last global batch: fewer micro-batches, never an empty one.
  t.deepEqual(microBatches(g.slice(0, 5), { microBatchSize: 4, gradAccum: 4 }), [g.slice(0, 4), [g[4]]]);
});

test('global batches: batch 4 × accumulation 2 forms exactly the steps of batch 8', (t) => {
  const L = lengthsOf(203);
  const split = { microBatchSize: 4, gradAccum: 2 };
  t.is(globalBatchSize(split), 8);
  t.is(globalBatchSize({ microBatchSize: 4, gradAccum: 2, worldSize: 3 }), 24);
  const steps = epochBatches(L, { seed: 11, epoch: 2, batchSize: globalBatchSize(split) }).batches;
  const single = epochBatches(L, { seed: 11, epoch: 2, batchSize: 8 }).batches;
  t.deepEqual(steps, single);
  t.is(steps.length, Math.ceil(203 / 8));
  t.deepEqual(steps.map((s) => microBatches(s, split).flat()), single, 'the micro-batches of a step are its examples, in order');
  // What per-micro-batch bucketing (the old way) gave: other examples in a step.
  const old = epochBatches(L, { seed: 11, epoch: 2, batchSize: 4 }).batches;
  t.notDeepEqual([...old[0], ...old[1]].sort(), [...single[0]].sort());
});

test('micro-batches: bad splits are refused', (t) => {
  t.throws(() => microBatches([1, 2, 3], { microBatchSize: 0 }), { instanceOf: OptionError, message: /micro-batch size/ });
  t.throws(() => microBatches([1, 2, 3], { microBatchSize: 1, gradAccum: 2 }), { instanceOf: OptionError, message: /does not fit/ });
  t.throws(() => microBatches([1], { microBatchSize: 1, worldSize: 2, rank: 2 }), { instanceOf: OptionError, message: /rank/ });
  t.throws(() => globalBatchSize({ microBatchSize: 2, gradAccum: 1.5 }), { instanceOf: OptionError, message: /accumulation/ });
});
