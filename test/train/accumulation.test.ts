// Gradient accumulation trains on the same global batches as one big batch (bucketing.ts,
// run.ts): batch 4 × accumulation 2 and batch 8 × accumulation 1 see the same examples per step and
// reach the same weights up to float32 summation order; resuming an accumulated run is bit-exact.
import test from 'ava';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizer, readF32, smallRunConfig as config } from '../helpers/small-run.ts';
import { trainRun } from '../../src/train/run.ts';
import { readStepRecords } from '../../src/train/run-dir.ts';
import { InterruptedError, OptionError } from '../../src/util/errors.ts';




// Measured 2026-12-01 (CPU, 1 thread, float32): per-step loss/sft/pref/gradNorm max rel. diff
// 1.2e-7 (one float32 ulp), final weights max |Δ| 1.9e-8 after 5 steps at lr 1e-2 — round-off from
// other padding and summation order. Tolerances: ~100× and ~50× that. (Batches formed per
// micro-batch, as before, gave other examples per step: loss tokens 762 vs 609 at step 1 on the
// issue's data, final weights 38% apart.)
const LOSS_RTOL = 1e-5;
const WEIGHT_ATOL = 1e-6;

test.serial('batch 4 × accumulation 2 = batch 8: same examples and loss tokens per step, same final weights (float32 tolerance)', async (t) => {
  const tok = byteTokenizer();
  const ids: Record<string, string[][]> = { accum: [], big: [] };
  const micro: Record<string, number[][]> = { accum: [], big: [] };
  const dirs = { accum: join(tempDir(), 'accum'), big: join(tempDir(), 'big') };
  for (const [k, extra] of [['accum', { batchSize: 4, gradAccum: 2 }], ['big', { batchSize: 8, gradAccum: 1 }]] as const) {
    await trainRun(config(tok, extra), dirs[k], { log: () => {}, onBatch: (_s, _e, m, exampleIds) => { ids[k].push([...exampleIds]); micro[k].push(m.map((b) => b.batchSize)); } });
  }
  t.deepEqual(ids.accum, ids.big, 'the same examples in the same order at every step');
  // Not every example fits maxLength: epochs end with a short global batch (of one micro-batch or two).
  t.deepEqual(micro.big, ids.big.map((g) => [g.length]));
  t.deepEqual(micro.accum, ids.big.map((g) => (g.length > 4 ? [4, g.length - 4] : [g.length])));
  t.true(ids.big.some((g) => g.length < 8), 'a short last global batch is covered');
  const [ra, rb] = [readStepRecords(dirs.accum), readStepRecords(dirs.big)];
  t.deepEqual(ra.map((r) => r.tokens), rb.map((r) => r.tokens), 'the same loss tokens per step');
  t.true(ra.reduce((s, r) => s + r.seqTokens, 0) <= rb.reduce((s, r) => s + r.seqTokens, 0), 'smaller micro-batches pad less (or equally)');
  let maxRel = 0;
  for (let i = 0; i < ra.length; i++) {
    for (const f of ['loss', 'sft', 'pref', 'gradNorm'] as const) {
      const rel = Math.abs(ra[i][f] - rb[i][f]) / Math.max(Math.abs(rb[i][f]), 1e-12);
      maxRel = Math.max(maxRel, rel);
      t.true(rel < LOSS_RTOL, `step ${i + 1} ${f}: ${ra[i][f]} vs ${rb[i][f]} (rel. ${rel.toExponential(2)})`);
    }
  }
  t.log(`loss, sft, pref, gradNorm per step: max rel. diff ${maxRel.toExponential(2)}`);
  const [wa, wb] = [readF32(join(dirs.accum, 'final', 'model.safetensors')), readF32(join(dirs.big, 'final', 'model.safetensors'))];
  t.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
  let maxAbs = 0;
  for (const [name, a] of wa) {
    const b = wb.get(name)!;
    for (let j = 0; j < a.length; j++) maxAbs = Math.max(maxAbs, Math.abs(a[j] - b[j]));
  }
  t.log(`final weights: max |Δ| ${maxAbs.toExponential(2)} over ${wa.size} tensors`);
  t.true(maxAbs < WEIGHT_ATOL, `max |Δ| ${maxAbs}`);
});

/** Removes keys from a safetensors file's __metadata__ (what an older eyemulator wrote). */
function dropMetadata(path: string, keys: string[]): void {
  const fd = openSync(path, 'r');
  const lenBuf = Buffer.alloc(8);
  readSync(fd, lenBuf, 0, 8, 0);
  closeSync(fd);
  const buf = readFileSync(path);
  const n = Number(lenBuf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  for (const k of keys) delete header.__metadata__[k];
  let h = Buffer.from(JSON.stringify(header), 'utf8');
  if (h.length % 8) h = Buffer.concat([h, Buffer.alloc(8 - (h.length % 8), 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeFileSync(path, Buffer.concat([len, h, buf.subarray(8 + n)]));
}

test.serial('accumulated run interrupted inside an epoch resumes bit-identically; an old per-micro-batch state is refused', async (t) => {
  const tok = byteTokenizer();
  const cfg = config(tok, { batchSize: 4, gradAccum: 2 });
  const a = join(tempDir(), 'a');
  await trainRun(cfg, a, { log: () => {} });
  for (const stopAt of [2, 4]) {
    const b = join(tempDir(), 'b');
    const ac = new AbortController();
    // Aborted as step stopAt + 1 is handed over: the engine stops that step before its first
    // micro-batch (no update), and the run saves its state after step stopAt.
    await t.throwsAsync(trainRun(cfg, b, { log: () => {}, signal: ac.signal, onBatch: (step) => { if (step === stopAt + 1) ac.abort(); } }), { instanceOf: InterruptedError, message: new RegExp(`at step ${stopAt}/`) });
    const s = await trainRun(cfg, b, { log: () => {}, resume: true });
    t.is(s.resumedFromStep, stopAt);
    t.deepEqual(readFileSync(join(b, 'final', 'model.safetensors')), readFileSync(join(a, 'final', 'model.safetensors')), `stopped after step ${stopAt}`);
    t.deepEqual(readStepRecords(b).map((r) => [r.step, r.loss, r.tokens]), readStepRecords(a).map((r) => [r.step, r.loss, r.tokens]));
  }
  const c = join(tempDir(), 'c');
  const ac = new AbortController();
  await t.throwsAsync(trainRun(cfg, c, { log: () => {}, signal: ac.signal, onBatch: (step) => { if (step === 3) ac.abort(); } }), { instanceOf: InterruptedError });
  dropMetadata(join(c, 'state', 'trainer.safetensors'), ['batching', 'globalBatch']);
  await t.throwsAsync(trainRun(cfg, c, { log: () => {}, resume: true }), { instanceOf: OptionError, message: /older eyemulator .*gradAccum 2/ });
});
