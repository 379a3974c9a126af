// Data-parallel training in the engine (cpp/distributed.h over libtorch c10d/Gloo, CPU): W ranks ×
// their share of a global batch update exactly like one process holding all of it, for full
// fine-tuning and LoRA, with the preference term (γ > 0) and uneven loss-position counts per rank;
// a dead or stuck peer makes the survivor fail with a DistributedError naming its rank, within the
// timeout, instead of hanging.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { distributedAvailable, freePort } from '../../src/distributed/index.ts';

const avail = distributedAvailable();
const dtest = avail.available ? test.serial : test.skip;
if (!avail.available) console.log('[skip] this addon was built without c10d/Gloo (apt-get install libgloo-dev, rebuild): no data-parallel tests');

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ddp-train.ts');

interface RunOut { losses: number[]; tokens: number[]; gradNorms: number[]; comm: number[]; weights: Record<string, number[]> }

function startRank(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<{ code: number | null; sig: string | null; stderr: string; stdout: string; at: number }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '', stdout = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stdout += d));
  const done = new Promise<{ code: number | null; sig: string | null; stderr: string; stdout: string; at: number }>((res) =>
    child.on('exit', (code, sig) => res({ code, sig, stderr, stdout, at: performance.now() })));
  return { child, done };
}

async function run(world: number, mode: string, dtype: string, steps: number, gamma = 0.1): Promise<RunOut> {
  const out = join(tempDir(), 'out.json');
  const args = [out, mode, dtype, String(steps), String(gamma)];
  if (world === 1) {
    const r = await startRank(args, {}).done;
    if (r.code !== 0) throw new Error(`single process failed: ${r.stderr}`);
  } else {
    const port = await freePort();
    const ranks = Array.from({ length: world }, (_, rank) => startRank(args, { WORLD_SIZE: String(world), RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), EYEMULATOR_DIST_TIMEOUT: '60' }));
    const rs = await Promise.all(ranks.map((x) => x.done));
    rs.forEach((r, i) => { if (r.code !== 0) throw new Error(`rank ${i} failed: ${r.stderr}`); });
  }
  return JSON.parse(readFileSync(out, 'utf8')) as RunOut;
}

function maxDiff(a: RunOut, b: RunOut): { loss: number; gradNorm: number; weight: number } {
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-12);
  let loss = 0, gradNorm = 0, weight = 0;
  a.losses.forEach((x, i) => { loss = Math.max(loss, rel(x, b.losses[i])); gradNorm = Math.max(gradNorm, rel(a.gradNorms[i], b.gradNorms[i])); });
  for (const [k, w] of Object.entries(a.weights)) w.forEach((x, j) => { weight = Math.max(weight, Math.abs(x - b.weights[k][j])); });
  return { loss, gradNorm, weight };
}

// Tolerances, from the measured differences (only the order of float sums differs: the per-rank
// partial sums of N, Σ w·CE and the gradients are added across ranks instead of along one list).
// float64: exact to ~1e-15 relative; float32: a few ulps. Bounds ~100× the measurements.
const TOL = {
  float64: { loss: 1e-12, gradNorm: 1e-12, weight: 1e-12 },
  float32: { loss: 2e-5, gradNorm: 2e-5, weight: 2e-6 },
};

for (const mode of ['full', 'lora'] as const) {
  for (const dtype of ['float64', 'float32'] as const) {
    dtest(`${mode} fine-tuning, ${dtype}, γ 0.1: 2 ranks × half the micro-batches = 1 process × all of them (6 steps)`, async (t) => {
      const one = await run(1, mode, dtype, 6);
      const two = await run(2, mode, dtype, 6);
      t.deepEqual(two.tokens, one.tokens, 'the global loss-position count is reported on rank 0');
      t.true(Object.keys(one.weights).length > 0);
      if (mode === 'lora') t.true(Object.keys(one.weights).every((k) => k.includes('lora_')), 'LoRA: only the adapters are trainable');
      const d = maxDiff(two, one);
      t.log(`${mode} ${dtype}: max rel. Δ loss ${d.loss.toExponential(2)}, gradNorm ${d.gradNorm.toExponential(2)}; max |Δ| weights ${d.weight.toExponential(2)}; rank-0 collective time ${(two.comm.reduce((a, x) => a + x, 0) * 1000 / two.comm.length).toFixed(2)} ms/step`);
      t.true(d.loss < TOL[dtype].loss, `loss rel. Δ ${d.loss}`);
      t.true(d.gradNorm < TOL[dtype].gradNorm, `gradNorm rel. Δ ${d.gradNorm}`);
      t.true(d.weight < TOL[dtype].weight, `weights |Δ| ${d.weight}`);
    });
  }
}

dtest('negative control: a rank that trains on its share alone (no all-reduce) ends far outside the tolerance', async (t) => {
  const one = await run(1, 'full', 'float64', 6);
  const out = join(tempDir(), 'out.json');
  const r = await startRank([out, 'full', 'float64', '6', '0.1'], { WORLD_SIZE: '2', RANK: '0', EYE_TEST_ALONE: '1' }).done;
  t.is(r.code, 0, r.stderr);
  const alone = JSON.parse(readFileSync(out, 'utf8')) as RunOut;
  const d = maxDiff(alone, one);
  t.log(`rank 0's share alone vs the global batch: max |Δ| weights ${d.weight.toExponential(2)}`);
  t.true(d.weight > 1e6 * TOL.float64.weight);
});

dtest('SIGKILL of one rank: the other exits non-zero with a DistributedError naming its rank, well within the timeout', async (t) => {
  const port = await freePort();
  const out = join(tempDir(), 'out.json');
  const timeout = 60;
  const env = (rank: number) => ({ WORLD_SIZE: '2', RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), EYEMULATOR_DIST_TIMEOUT: String(timeout) });
  const r0 = startRank([out, 'full', 'float32', '100000', '0'], env(0));
  const r1 = startRank([out, 'full', 'float32', '100000', '0'], env(1));
  // Wait until rank 1 has stepped 3 times (rendezvous done, collectives running).
  let seen = 0;
  await new Promise<void>((res) => { r1.child.stdout!.on('data', (d: Buffer) => { seen += (d.toString().match(/step/g) ?? []).length; if (seen >= 3) res(); }); });
  const killedAt = performance.now();
  r1.child.kill('SIGKILL');
  const res0 = await r0.done;
  const secs = (res0.at - killedAt) / 1000;
  t.log(`rank 0 exited ${secs.toFixed(2)} s after rank 1 was killed (timeout ${timeout} s): ${res0.stderr.trim().split('\n').pop()}`);
  t.not(res0.code, 0);
  t.regex(res0.stderr, /DistributedError EYEMULATOR_DISTRIBUTED: rank 0 of 2: all-ranks .* failed/);
  t.true(secs < timeout, `${secs} s`);
  await r1.done;
});

dtest('a stuck rank (SIGSTOP): the other fails after the collective timeout, not later', async (t) => {
  const port = await freePort();
  const out = join(tempDir(), 'out.json');
  const timeout = 4;
  // The ranks may start seconds apart on a busy machine: a long rendezvous, a short collective timeout.
  const env = (rank: number) => ({ WORLD_SIZE: '2', RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), EYEMULATOR_DIST_TIMEOUT: String(timeout), EYEMULATOR_DIST_RENDEZVOUS_TIMEOUT: '120' });
  const r0 = startRank([out, 'full', 'float32', '100000', '0'], env(0));
  const r1 = startRank([out, 'full', 'float32', '100000', '0'], env(1));
  let seen = 0;
  await new Promise<void>((res) => { r1.child.stdout!.on('data', (d: Buffer) => { seen += (d.toString().match(/step/g) ?? []).length; if (seen >= 3) res(); }); });
  const stoppedAt = performance.now();
  r1.child.kill('SIGSTOP');
  const res0 = await r0.done;
  const secs = (res0.at - stoppedAt) / 1000;
  r1.child.kill('SIGKILL');
  await r1.done;
  t.log(`rank 0 exited ${secs.toFixed(2)} s after rank 1 stopped (timeout ${timeout} s): ${res0.stderr.trim().split('\n').pop()}`);
  t.not(res0.code, 0);
  t.regex(res0.stderr, /DistributedError EYEMULATOR_DISTRIBUTED: rank 0 of 2: all-ranks .* failed/);
  t.true(secs >= timeout - 0.5 && secs < timeout + 10, `${secs} s`);
});
