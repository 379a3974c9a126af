/**
 * Data-parallel scaling on this machine: training tokens/s of 1 process vs 2 processes (one
 * libtorch thread each, CPU, c10d/Gloo over 127.0.0.1) at the same global batch, the share of a
 * step spent in collectives (rank 0: the gradient all-reduce + the two small scalar all-reduces),
 * and the scaling efficiency = (tokens/s with 2) / (2 × tokens/s with 1).
 *
 *   node --import tsx bench/ddp.bench.ts [--quick] [--json OUT] [--rounds R] [--only demo|4x512]
 *
 * Sizes (full fine-tuning, float32, the worst case for communication: every weight's gradient is
 * reduced): the demo model (hidden 128, 2 layers, vocab 259; global batch 8 × 256) and a 4×512
 * Llama (vocab 8192; global batch 4 × 256). Rounds alternate 1 and 2 processes; medians of the
 * per-step times are reported. Skips (writes {skipped}) when the addon has no c10d/Gloo.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, progress, round, type BenchShape } from './lib/common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const ROUNDS = Number(opt('rounds') ?? (quick ? 1 : 2));
const only = opt('only');
const jsonOut = opt('json');

const { distributedAvailable, freePort } = await import('../src/distributed/index.ts');
const { native } = await import('../src/native/index.ts');

const SIZES: Array<BenchShape & { steps: number; warmup: number }> = [
  { name: 'demo', vocabSize: 259, hiddenSize: 128, layers: 2, heads: 4, kvHeads: 4, intermediateSize: 344, seq: 256, batch: 8, steps: quick ? 4 : 8, warmup: 2 },
  { name: '4x512', vocabSize: 8192, hiddenSize: 512, layers: 4, heads: 8, kvHeads: 8, intermediateSize: 1376, seq: 256, batch: 4, steps: quick ? 2 : 3, warmup: 1 },
];

const work = mkdtempSync(join(tmpdir(), 'eyemulator-ddp-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

interface WorkerOut { stepS: number[]; commS: number[]; gradAllreduceS: number[]; parameters: number }

async function runOnce(s: (typeof SIZES)[number], world: number): Promise<WorkerOut> {
  const out = join(work, `${s.name}-${world}.json`);
  const port = await freePort();
  const procs = Array.from({ length: world }, (_, rank) => new Promise<void>((res, rej) => {
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
    if (world > 1) Object.assign(env, { WORLD_SIZE: String(world), RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), EYEMULATOR_DIST_TIMEOUT: '600' });
    const p = spawn(process.execPath, ['--import', 'tsx', join(here, 'ddp_worker.ts'), out, JSON.stringify(s), String(s.steps), String(s.warmup)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', rej);
    p.on('exit', (code, sig) => (code === 0 ? res() : rej(new Error(`ddp worker ${s.name} rank ${rank}/${world} ${sig ? `killed by ${sig}` : `exited ${code}`}`))));
  }));
  await Promise.all(procs);
  return JSON.parse(readFileSync(out, 'utf8')) as WorkerOut;
}

const info = distributedAvailable();
const result: Record<string, unknown> = {
  cpu: cpus()[0]?.model, cores: cpus().length, torch: native().version().torch, backends: info.backends, rounds: ROUNDS, quick,
  loadAverage1m: { before: round(loadavg()[0], 2) },
};
if (!info.available) {
  result.skipped = 'this addon was built without c10d/Gloo (apt-get install libgloo-dev, rebuild)';
} else {
  const sizes: Record<string, unknown> = {};
  for (const s of SIZES) {
    if (only && only !== s.name) continue;
    const one: number[] = [], two: number[] = [], comm: number[] = [], grad: number[] = [];
    let parameters = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const world of [1, 2]) {
        progress(`ddp ${s.name}: round ${r + 1}/${ROUNDS}, ${world} process(es)`);
        const o = await runOnce(s, world);
        parameters = o.parameters;
        if (world === 1) one.push(...o.stepS);
        else { two.push(...o.stepS); comm.push(...o.commS.map((c, i) => c / o.stepS[i])); grad.push(...o.gradAllreduceS); }
      }
    }
    const tokens = s.batch * s.seq;
    const tps1 = tokens / median(one), tps2 = tokens / median(two);
    sizes[s.name] = {
      shape: s, parameters, gradientBytes: parameters * 4, globalBatch: `${s.batch} × ${s.seq}`,
      stepS1: round(median(one)), stepS2: round(median(two)), tokensPerS1: round(tps1, 1), tokensPerS2: round(tps2, 1),
      speedup: round(tps2 / tps1), efficiency: round(tps2 / tps1 / 2), commShare: round(median(comm)), gradAllreduceS: round(median(grad), 4),
      stepSAll1: one.map((x) => round(x)), stepSAll2: two.map((x) => round(x)),
    };
    progress(`ddp ${s.name}: ${JSON.stringify(sizes[s.name])}`);
  }
  result.sizes = sizes;
}
(result.loadAverage1m as Record<string, number>).after = round(loadavg()[0], 2);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
else console.log(JSON.stringify(result, null, 2));
