// Data-parallel training runs (trainRun + the local launcher, `train --nproc`): 2 processes × batch
// 4 = 1 process × batch 4 × accumulation 2 = 1 process × batch 8, on the demo's data with gaze
// weights (variant full) and the preference term (γ 0.1), full fine-tuning and LoRA; rank 0 alone
// writes the run folder; a killed 2-process run resumes bit-identically; another world size is
// refused; a killed rank makes the launcher fail naming it.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizer, readF32, smallRunConfig } from '../helpers/small-run.ts';
import { trainRun } from '../../src/train/run.ts';
import { readStepRecords } from '../../src/train/run-dir.ts';
import { parseRunConfig } from '../../src/train/config.ts';
import { InterruptedError, OptionError } from '../../src/util/errors.ts';
import { DistributedLaunchError, distributedAvailable, launchLocal } from '../../src/distributed/index.ts';

const avail = distributedAvailable().available;
const dtest = avail ? test.serial : test.skip;
if (!avail) console.log('[skip] this addon was built without c10d/Gloo (apt-get install libgloo-dev, rebuild): no data-parallel run tests');



function weightsFile(dir: string, lora: boolean): string {
  return join(dir, 'final', lora ? 'adapter_model.safetensors' : 'model.safetensors');
}

function maxAbs(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, x] of a) { const y = b.get(k)!; for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(x[j] - y[j])); }
  return m;
}

// float32 tolerances (test/train/accumulation.test.ts measured accumulation vs one batch at 1.2e-7
// relative per step and 1.9e-8 in the weights); the 2-process sums differ only in order as well.
const LOSS_RTOL = 1e-5;
const WEIGHT_ATOL = 1e-6;
const quiet = { log: () => {}, quiet: true };

for (const lora of [false, true]) {
  dtest(`${lora ? 'LoRA' : 'full fine-tuning'}, variant full, γ 0.1: 2 processes × batch 4 = batch 4 × accumulation 2 = batch 8 (float32 tolerance)`, async (t) => {
    const tok = byteTokenizer();
    const extra = lora ? { loraRank: 4 } : {};
    const dirs = { dp: join(tempDir(), 'dp'), accum: join(tempDir(), 'accum'), big: join(tempDir(), 'big') };
    const halves: Array<[number, number]> = [];
    await trainRun(config(tok, { ...extra, batchSize: 8 }), dirs.big, {
      ...quiet,
      // Loss positions of the two halves of each global batch (what rank 0 and rank 1 hold).
      onBatch: (_s, _e, micro) => {
        const m = micro[0], half = Math.floor(m.batchSize / 2) * m.seqLen;
        const count = (from: number, to: number) => { let c = 0; for (let i = from; i < to; i++) if (m.labels[i] !== -100) c++; return c; };
        halves.push([count(0, half), count(half, m.labels.length)]);
      },
    });
    await trainRun(config(tok, { ...extra, batchSize: 4, gradAccum: 2 }), dirs.accum, quiet);
    await launchLocal(config(tok, { ...extra, batchSize: 4 }), dirs.dp, { nproc: 2, timeoutSeconds: 60, log: () => {}, quiet: true });
    t.true(halves.some(([a, b]) => a !== b), `the ranks hold uneven loss-position counts: ${JSON.stringify(halves)}`);
    const [rd, ra, rb] = [readStepRecords(dirs.dp), readStepRecords(dirs.accum), readStepRecords(dirs.big)];
    t.is(rd.length, 5);
    t.deepEqual(rd.map((r) => r.tokens), rb.map((r) => r.tokens), 'global loss tokens per step');
    let maxRel = 0;
    for (let i = 0; i < rb.length; i++)
      for (const f of ['loss', 'sft', 'pref', 'gradNorm'] as const)
        for (const r of [rd, ra]) {
          const rel = Math.abs(r[i][f] - rb[i][f]) / Math.max(Math.abs(rb[i][f]), 1e-12);
          maxRel = Math.max(maxRel, rel);
          t.true(rel < LOSS_RTOL, `step ${i + 1} ${f}: ${r[i][f]} vs ${rb[i][f]}`);
        }
    t.true(rd.every((r) => r.commS !== undefined && r.commS > 0), 'collective time is recorded');
    const wb = readF32(weightsFile(dirs.big, lora));
    const [dDp, dAcc] = [maxAbs(readF32(weightsFile(dirs.dp, lora)), wb), maxAbs(readF32(weightsFile(dirs.accum, lora)), wb)];
    t.log(`${lora ? 'LoRA' : 'full'}: per-step loss/sft/pref/gradNorm max rel. Δ ${maxRel.toExponential(2)}; final weights max |Δ| vs batch 8: 2 processes ${dDp.toExponential(2)}, accumulation ${dAcc.toExponential(2)}`);
    t.true(dDp < WEIGHT_ATOL && dAcc < WEIGHT_ATOL);
    // Rank 0 alone wrote the run folder: one metrics line per step, no per-rank leftovers.
    t.deepEqual(readdirSync(dirs.dp).filter((f) => /rank|tmp/.test(f)), []);
    t.is(JSON.parse(readFileSync(join(dirs.dp, 'data.json'), 'utf8')).worldSize, 2);
  });
}

dtest('a killed 2-process run resumes bit-identically; resuming with another world size is refused', async (t) => {
  const tok = byteTokenizer();
  const cfg = config(tok, { batchSize: 4, loraRank: 4 });
  const a = join(tempDir(), 'a'), b = join(tempDir(), 'b');
  await launchLocal(cfg, a, { nproc: 2, timeoutSeconds: 60, log: () => {}, quiet: true });
  // Kill both ranks once the end-of-epoch-1 state (step 3) is on disk; the run continues from there.
  const pids: number[] = [];
  const state = join(b, 'state', 'trainer.safetensors');
  const watcher = setInterval(() => {
    if (!existsSync(state) || pids.length < 2) return;
    clearInterval(watcher);
    for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }, 20);
  const err = await t.throwsAsync(launchLocal(cfg, b, { nproc: 2, timeoutSeconds: 60, log: () => {}, quiet: true, onSpawn: (_r, pid) => pids.push(pid) }), { instanceOf: DistributedLaunchError });
  clearInterval(watcher);
  t.regex(err!.message, /rank [01] \(pid \d+\) was killed by SIGKILL/);
  if (existsSync(join(b, 'train-done.json'))) { t.log('the run finished before the kill; nothing to resume'); return; }
  await t.throwsAsync(trainRun(cfg, b, { ...quiet, resume: true }), { instanceOf: OptionError, message: /saved by a run of 2 process\(es\).*this one has 1.*--nproc 2/ });
  await launchLocal(cfg, b, { nproc: 2, resume: true, timeoutSeconds: 60, log: () => {}, quiet: true });
  t.deepEqual(readFileSync(weightsFile(b, true)), readFileSync(weightsFile(a, true)), 'final adapter bit-identical');
  t.deepEqual(readStepRecords(b).map((r) => [r.step, r.loss, r.tokens]), readStepRecords(a).map((r) => [r.step, r.loss, r.tokens]));
});

dtest('an interrupt (the launcher forwards SIGINT) stops both ranks after the same step; rank 0 saves once; the resumed run is bit-identical', async (t) => {
  const tok = byteTokenizer();
  const cfg = config(tok, { batchSize: 4, loraRank: 4 });
  const a = join(tempDir(), 'a'), b = join(tempDir(), 'b');
  await launchLocal(cfg, a, { nproc: 2, timeoutSeconds: 60, log: () => {}, quiet: true });
  const ac = new AbortController();
  const metrics = join(b, 'metrics.jsonl');
  const watcher = setInterval(() => { if (existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"type":"step"')) { clearInterval(watcher); ac.abort(); } }, 20);
  const r = await launchLocal(cfg, b, { nproc: 2, timeoutSeconds: 60, log: () => {}, quiet: true, signal: ac.signal }).then(() => 'finished', (e: unknown) => e);
  clearInterval(watcher);
  if (r === 'finished') { t.log('the run finished before the interrupt arrived'); t.pass(); return; }
  t.true(r instanceof InterruptedError, String(r));
  const steps = readStepRecords(b).length;
  t.true(steps >= 1 && steps < 5, `${steps} steps before the stop`);
  await launchLocal(cfg, b, { nproc: 2, resume: true, timeoutSeconds: 60, log: () => {}, quiet: true });
  t.deepEqual(readFileSync(weightsFile(b, true)), readFileSync(weightsFile(a, true)), `stopped after step ${steps}`);
  t.deepEqual(readStepRecords(b).map((x) => [x.step, x.loss, x.tokens]), readStepRecords(a).map((x) => [x.step, x.loss, x.tokens]));
});

dtest('SIGKILL of one worker: the launcher stops the other and rejects naming the killed rank, well within the timeout', async (t) => {
  const tok = byteTokenizer();
  const cfg = config(tok, { batchSize: 4, maxSteps: 500 });
  const dir = join(tempDir(), 'k');
  const pids: number[] = [];
  const timeout = 60;
  let killedAt = 0;
  const metrics = join(dir, 'metrics.jsonl');
  const watcher = setInterval(() => {
    if (pids.length < 2 || !existsSync(metrics) || !readFileSync(metrics, 'utf8').includes('"type":"step"')) return;
    clearInterval(watcher);
    killedAt = performance.now();
    process.kill(pids[1], 'SIGKILL');
  }, 20);
  const err = await t.throwsAsync(launchLocal(cfg, dir, { nproc: 2, timeoutSeconds: timeout, log: () => {}, quiet: true, onSpawn: (r, pid) => { pids[r] = pid; } }), { instanceOf: DistributedLaunchError });
  const secs = (performance.now() - killedAt) / 1000;
  clearInterval(watcher);
  t.log(`launcher rejected ${secs.toFixed(2)} s after rank 1 was killed (timeout ${timeout} s): ${err!.message}`);
  t.is(err!.rank, 1);
  t.regex(err!.message, /rank 1 \(pid \d+\) was killed by SIGKILL; the other ranks were stopped/);
  t.true(killedAt > 0 && secs < timeout);
  t.throws(() => process.kill(pids[0], 0), undefined, 'rank 0 is gone too');
});

/** The shared small run, parsed (launchLocal takes a parsed config). */
function config(tokenizer: string, extra: Record<string, unknown>) {
  return parseRunConfig(smallRunConfig(tokenizer, extra));
}
