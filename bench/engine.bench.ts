/**
 * Training-step throughput of the native engine, side by side with a plain PyTorch eager peer
 * (bench/peer_step.py) and against the machine's matmul ceiling.
 *
 *   node --import tsx bench/engine.bench.ts [--quick] [--json OUT] [--rounds R] [--steps N]
 *        [--warmup W] [--curve-steps C] [--bf16-budget-s S] [--no-bf16] [--threads T] [--no-peer] [--only demo|4x512]
 *
 * Sizes: (A) the demo model (bench/lib/demo-shape.json when present, else hidden 128, 2 layers,
 * 4 heads, intermediate 344, byte-level vocab 259, seq 256, batch 8) and (B) a 4×512 Llama
 * (8 heads, intermediate 1376, vocab 8192, seq 256, batch 8). For each: plain CE and weighted CE
 * (weights uniform in [1,5]) alternating step by step in one engine trainer, then the Python peer
 * (plain, then weighted, each a fresh process); repeated for R rounds, medians reported.
 * Also: fp32 matmul ceiling (2048³, T threads and 1 thread) and an opt-in bf16-autocast run at
 * size B alternating step by step with an fp32 run from the same init on a fixed batch.
 *
 * Threads: T (default 2) libtorch intra-op threads; OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are
 * set to T unless already set, before libtorch/OpenBLAS load, and the peer inherits the same env.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { llamaParams, median, progress, rng, round, stepFlops, type BenchShape } from './lib/common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (n: string) => args.includes(`--${n}`);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag('quick');
const THREADS = Number(opt('threads') ?? process.env.EYEMULATOR_BENCH_THREADS ?? 2);
// Set before the addon (and with it libtorch + OpenBLAS) is loaded: OpenBLAS reads these at load.
const envSet: Record<string, string> = {};
for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']) {
  if (process.env[k] === undefined) process.env[k] = String(THREADS);
  envSet[k] = process.env[k]!;
}
// libgomp's default (active) wait policy spins idle OpenMP threads; on a shared 2-core machine they
// then fight the OpenBLAS threads and the neighbours for cores. Measured: the Python peer's demo step
// went from 3.9 s (spinning) to 0.3 s (passive) while the engine inside Node was not affected, so an
// unset policy made the comparison unfair. Both sides get PASSIVE unless the caller sets one.
if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
envSet.OMP_WAIT_POLICY = process.env.OMP_WAIT_POLICY;
// The eager peer runs on the torch the engine was built against where set-up made one (.venv, the
// default build); Debian's python3 + python3-torch otherwise (the 1.13 fallback build).
const VENV_PY = join(dirname(fileURLToPath(import.meta.url)), '..', '.venv', 'bin', 'python');
const PY = process.env.EYEMULATOR_PYTHON ?? (existsSync(VENV_PY) ? VENV_PY : '/usr/bin/python3');

const { Model } = await import('../src/model/model.ts');
const { makeHfConfig } = await import('../src/model/config.ts');
const { Trainer } = await import('../src/train/trainer.ts');
const { native } = await import('../src/native/index.ts');
type NativeBatch = import('../src/native/index.ts').NativeBatch;
type ModelT = import('../src/model/model.ts').Model;

const ROUNDS = Number(opt('rounds') ?? (quick ? 1 : 3));
const CURVE_STEPS = Number(opt('curve-steps') ?? (quick ? 8 : 30));
const usePeer = !flag('no-peer');
const only = opt('only');

// ---------------------------------------------------------------------------------------------
const demoDefault: BenchShape = {
  name: 'demo', vocabSize: 259, hiddenSize: 128, layers: 2, heads: 4, kvHeads: 4, intermediateSize: 344, seq: 256, batch: 8,
};
function demoShape(): { shape: BenchShape; source: string } {
  const f = join(here, 'lib', 'demo-shape.json');
  if (!existsSync(f)) return { shape: demoDefault, source: 'default (bench/lib/demo-shape.json absent)' };
  const j = JSON.parse(readFileSync(f, 'utf8')) as Partial<BenchShape>;
  const s = { ...demoDefault, ...j, name: 'demo' };
  if (j.kvHeads === undefined) s.kvHeads = s.heads;
  return { shape: s, source: f };
}
const sizeB: BenchShape = {
  name: '4x512', vocabSize: 8192, hiddenSize: 512, layers: 4, heads: 8, kvHeads: 8, intermediateSize: 1376, seq: 256, batch: 8,
};
// steps/warm-up per (round, kind): the small model is cheap, the 4x512 one is ~1-10 s a step here.
const plan = (s: BenchShape) => {
  const big = s.hiddenSize * s.layers >= 2048;
  return {
    steps: Number(opt('steps') ?? (quick ? (big ? 2 : 4) : big ? 4 : 8)),
    warmup: Number(opt('warmup') ?? (quick ? 1 : big ? 1 : 2)),
  };
};

const work = mkdtempSync(join(tmpdir(), 'eyemulator-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

async function makeModel(s: BenchShape, seed: number, tag: string): Promise<ModelT> {
  const dir = join(work, `${s.name}-${tag}`);
  mkdirSync(dir, { recursive: true });
  const cfg = makeHfConfig({
    arch: 'llama', vocabSize: s.vocabSize, hiddenSize: s.hiddenSize, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
    intermediateSize: s.intermediateSize, maxPositions: Math.max(2048, s.seq),
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return Model.fromConfig(join(dir, 'config.json'), { seed, dtype: 'float32', threads: THREADS });
}

function makeBatch(s: BenchShape, seed: number, weighted: boolean): NativeBatch {
  const r = rng(seed);
  const n = s.batch * s.seq;
  const inputIds = new Int32Array(n);
  for (let i = 0; i < n; i++) inputIds[i] = Math.floor(r() * s.vocabSize);
  const labels = inputIds.slice();
  const b: NativeBatch = { inputIds, labels, batchSize: s.batch, seqLen: s.seq };
  if (weighted) {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = 1 + 4 * r();
    b.weights = w;
  }
  return b;
}

const trainerOpts = (extra: Record<string, unknown> = {}) => ({
  lr: 3e-4, weightDecay: 0.01, warmupSteps: 0, totalSteps: 0, schedule: 'constant' as const, maxGradNorm: 1.0,
  normalizeByWeights: false, bf16Autocast: false, gamma: 0, threads: THREADS, ...extra,
});

interface PeerOut { tokens_per_s: number; step_ms_median: number; step_ms_all: number[]; torch_version: string; threads: number; error?: string; phases_ms_median?: Record<string, number> }
let peerError: string | undefined;

function runPeer(s: BenchShape, weighted: boolean, steps: number, warmup: number, profile = false): PeerOut | undefined {
  if (!usePeer || peerError) return undefined;
  const a = [
    join(here, 'peer_step.py'), '--vocab', s.vocabSize, '--hidden', s.hiddenSize, '--layers', s.layers, '--heads', s.heads,
    '--kv-heads', s.kvHeads, '--intermediate', s.intermediateSize, '--seq', s.seq, '--batch', s.batch, '--steps', steps,
    '--warmup', warmup, '--threads', THREADS, '--weighted', weighted ? 1 : 0, '--profile', profile ? 1 : 0,
  ].map(String);
  const r = spawnSync(PY, a, { env: process.env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').filter(Boolean).pop();
  let j: PeerOut | undefined;
  try {
    j = line ? (JSON.parse(line) as PeerOut) : undefined;
  } catch {
    j = undefined;
  }
  if (r.error || r.status !== 0 || !j || j.error) {
    peerError = j?.error ?? `${PY} ${r.error ? r.error.message : `exited ${r.status}`}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
    process.stderr.write(`\n!!! Python peer unavailable: ${peerError}\n!!! engine-vs-peer ratios will be reported as n/a\n\n`);
    return undefined;
  }
  return j;
}

function matmulCeiling(reps: number) {
  const n = 2048;
  const iters = quick ? 3 : 5;
  const m = native();
  const t: number[] = [];
  const one: number[] = [];
  for (let i = 0; i < reps; i++) {
    t.push(m.benchMatmul(n, iters, THREADS, 'float32'));
    one.push(m.benchMatmul(n, iters, 1, 'float32'));
  }
  const bf = m.benchMatmul(n, iters, THREADS, 'bfloat16');
  return { n, iters, gflopsThreads: t, gflops1: one, bf16GflopsThreads: bf };
}

async function sizeBench(s: BenchShape) {
  const { steps, warmup } = plan(s);
  const p = llamaParams(s);
  const model = await makeModel(s, 1234, 'speed');
  const info = model.info();
  if (info.parameters !== p.total) throw new Error(`parameter count mismatch: engine ${info.parameters}, formula ${p.total}`);
  const flops = stepFlops(s, p.nonEmbedding);
  const trainer = new Trainer(model, trainerOpts());
  const plain = makeBatch(s, 7, false);
  const weighted = makeBatch(s, 7, true);
  const eng = { plain: [] as number[], weighted: [] as number[] };
  const peer = { plain: [] as number[], weighted: [] as number[], rawPlain: [] as PeerOut[], rawWeighted: [] as PeerOut[] };
  const roundsDetail: { round: number; enginePlainMs: number; engineWeightedMs: number; peerPlainMs?: number; peerWeightedMs?: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    progress(`${s.name}: round ${r + 1}/${ROUNDS} engine (${warmup} warm-up + ${steps} timed steps per kind, plain/weighted alternating)`);
    for (let i = 0; i < warmup; i++) {
      await trainer.step(plain);
      await trainer.step(weighted);
    }
    const ep: number[] = [];
    const ew: number[] = [];
    for (let i = 0; i < steps; i++) {
      // alternate which kind goes first so neither always follows the other
      for (const kind of i % 2 ? (['weighted', 'plain'] as const) : (['plain', 'weighted'] as const)) {
        const t0 = performance.now();
        const res = await trainer.step(kind === 'plain' ? plain : weighted);
        const dt = performance.now() - t0;
        if (!Number.isFinite(res.loss)) throw new Error(`${s.name}: engine loss is ${res.loss}`);
        (kind === 'plain' ? ep : ew).push(dt);
      }
    }
    eng.plain.push(...ep);
    eng.weighted.push(...ew);
    const row: (typeof roundsDetail)[number] = { round: r + 1, enginePlainMs: round(median(ep), 1), engineWeightedMs: round(median(ew), 1) };
    if (usePeer && !peerError) {
      progress(`${s.name}: round ${r + 1}/${ROUNDS} python peer (plain, then weighted)`);
      const pp = runPeer(s, false, steps, warmup);
      const pw = runPeer(s, true, steps, warmup);
      if (pp) {
        peer.plain.push(...pp.step_ms_all);
        peer.rawPlain.push(pp);
        row.peerPlainMs = round(pp.step_ms_median, 1);
      }
      if (pw) {
        peer.weighted.push(...pw.step_ms_all);
        peer.rawWeighted.push(pw);
        row.peerWeightedMs = round(pw.step_ms_median, 1);
      }
    }
    roundsDetail.push(row);
    progress(`${s.name}: round ${r + 1}: ${JSON.stringify(row)}`);
  }
  trainer.dispose();
  model.dispose();
  const tokens = s.batch * s.seq;
  const mp = median(eng.plain);
  const mw = median(eng.weighted);
  const pp = median(peer.plain);
  const pw = median(peer.weighted);
  // Per-round ratios (side by side in time) and their median: robust to load drifting between rounds.
  const roundRatios = roundsDetail.filter((r) => r.peerPlainMs !== undefined).map((r) => r.peerPlainMs! / r.enginePlainMs);
  const roundRatiosW = roundsDetail.filter((r) => r.peerWeightedMs !== undefined).map((r) => r.peerWeightedMs! / r.engineWeightedMs);
  return {
    shape: s,
    parameters: { ...p, engineReported: info.parameters },
    flopsPerStep: flops,
    stepsPerRound: steps,
    warmupPerRound: warmup,
    rounds: roundsDetail,
    engine: {
      plain: { stepMsMedian: round(mp, 2), tokensPerS: round(tokens / (mp / 1e3), 1), gflops: round(flops.total / (mp / 1e3) / 1e9, 2), stepMsAll: eng.plain.map((x) => round(x, 1)) },
      weighted: { stepMsMedian: round(mw, 2), tokensPerS: round(tokens / (mw / 1e3), 1), gflops: round(flops.total / (mw / 1e3) / 1e9, 2), stepMsAll: eng.weighted.map((x) => round(x, 1)) },
      weightedOverPlain: round(mw / mp, 4),
    },
    peer: peer.plain.length
      ? {
          torchVersion: peer.rawPlain[0]?.torch_version,
          plain: { stepMsMedian: round(pp, 2), tokensPerS: round(tokens / (pp / 1e3), 1), stepMsAll: peer.plain.map((x) => round(x, 1)) },
          weighted: peer.weighted.length ? { stepMsMedian: round(pw, 2), tokensPerS: round(tokens / (pw / 1e3), 1), stepMsAll: peer.weighted.map((x) => round(x, 1)) } : undefined,
          // > 1 means the engine is faster
          speedupPlain: round(median(roundRatios), 3),
          speedupWeighted: round(median(roundRatiosW), 3),
          speedupPlainPooled: round(pp / mp, 3),
          roundSpeedups: roundRatios.map((x) => round(x, 3)),
        }
      : { unavailable: peerError ?? 'disabled (--no-peer)' },
  };
}

/**
 * bf16 autocast vs fp32 from the same init on one fixed batch, steps alternating (so both see the
 * same load). Bounded by a time budget: Debian's libtorch 1.13 runs bf16 matmuls far below fp32
 * (see the matmul bf16 ceiling), so a 30-step curve at 4x512 may not fit; the curve is then cut
 * short (reported) and, if it is shorter than asked, a full-length curve runs at the demo size.
 */
async function bf16Curve(s: BenchShape, steps: number, budgetS: number) {
  progress(`${s.name}: bf16 autocast vs fp32 from the same init, up to ${steps} steps on one fixed batch (alternating, budget ${budgetS} s)`);
  const m32 = await makeModel(s, 99, 'fp32curve');
  const m16 = await makeModel(s, 99, 'bf16curve');
  const opts = { lr: 1e-3 };
  const t32 = new Trainer(m32, trainerOpts(opts));
  const t16 = new Trainer(m16, trainerOpts({ ...opts, bf16Autocast: true }));
  const batch = makeBatch(s, 11, false);
  const l32: number[] = [];
  const l16: number[] = [];
  const ms32: number[] = [];
  const ms16: number[] = [];
  const start = performance.now();
  let truncated = false;
  for (let i = 0; i < steps; i++) {
    for (const [t, l, ms] of i % 2 ? ([[t16, l16, ms16], [t32, l32, ms32]] as const) : ([[t32, l32, ms32], [t16, l16, ms16]] as const)) {
      const t0 = performance.now();
      const r = await t.step(batch);
      ms.push(performance.now() - t0);
      l.push(r.loss);
      if (!Number.isFinite(r.loss)) throw new Error(`bf16 curve (${s.name}): loss ${r.loss} at step ${i + 1}`);
    }
    const el = (performance.now() - start) / 1000;
    const per = el / (i + 1);
    if (i + 1 < steps && el + per > budgetS) {
      truncated = true;
      progress(`${s.name}: bf16 curve stopped after ${i + 1} steps (time budget ${budgetS} s; ${per.toFixed(1)} s per fp32+bf16 pair)`);
      break;
    }
    if ((i + 1) % 5 === 0) progress(`${s.name}: bf16 curve step ${i + 1}: fp32 ${l32[i].toFixed(4)}, bf16 ${l16[i].toFixed(4)}`);
  }
  t32.dispose();
  t16.dispose();
  m32.dispose();
  m16.dispose();
  const skip = ms32.length > 2 ? 1 : 0; // the first step allocates
  const f = stepFlops(s, llamaParams(s).nonEmbedding).total;
  const med32 = median(ms32.slice(skip));
  const med16 = median(ms16.slice(skip));
  return {
    size: s.name,
    stepsAsked: steps,
    steps: l32.length,
    truncatedByBudget: truncated,
    budgetS,
    lr: opts.lr,
    fp32: { stepMsMedian: round(med32, 1), gflops: round(f / (med32 / 1e3) / 1e9, 2), firstLoss: round(l32[0], 4), lastLoss: round(l32[l32.length - 1], 4), losses: l32.map((x) => round(x, 4)), stepMsAll: ms32.map((x) => round(x, 1)) },
    bf16: { stepMsMedian: round(med16, 1), gflops: round(f / (med16 / 1e3) / 1e9, 2), firstLoss: round(l16[0], 4), lastLoss: round(l16[l16.length - 1], 4), losses: l16.map((x) => round(x, 4)), stepMsAll: ms16.map((x) => round(x, 1)) },
    bf16StepOverFp32: round(med16 / med32, 3),
    maxAbsLossDiff: round(Math.max(...l32.map((x, i) => Math.abs(x - l16[i]))), 4),
  };
}

// ---------------------------------------------------------------------------------------------
const loadBefore = loadavg()[0];
const v = native().version();
progress(`engine bench: torch ${v.torch}, ${THREADS} threads, OPENBLAS_NUM_THREADS=${envSet.OPENBLAS_NUM_THREADS}, OMP_NUM_THREADS=${envSet.OMP_NUM_THREADS}, OMP_WAIT_POLICY=${envSet.OMP_WAIT_POLICY}${quick ? ', quick' : ''}`);
progress('matmul ceiling (2048³ fp32)');
const ceilingBefore = matmulCeiling(quick ? 1 : 3);
const demo = demoShape();
const sizes: Record<string, unknown> = {};
if (!only || only === 'demo') sizes.demo = { ...(await sizeBench(demo.shape)), shapeSource: demo.source };
if (!only || only === '4x512') sizes['4x512'] = await sizeBench(sizeB);
progress('matmul ceiling again (after the training runs)');
const ceilingAfter = matmulCeiling(quick ? 1 : 2);
const BF16_BUDGET = Number(opt('bf16-budget-s') ?? (quick ? 45 : 240));
let bf16: unknown[] | undefined;
if ((!only || only === '4x512') && !flag('no-bf16')) {
  const b = await bf16Curve(sizeB, CURVE_STEPS, BF16_BUDGET);
  bf16 = [b];
  if (b.steps < CURVE_STEPS) bf16.push(await bf16Curve(demo.shape, CURVE_STEPS, BF16_BUDGET));
}
const all = [...ceilingBefore.gflopsThreads, ...ceilingAfter.gflopsThreads];
const ceiling = median(all);
for (const k of Object.keys(sizes)) {
  const e = (sizes[k] as { engine: { plain: { gflops: number; ceilingShare?: number }; weighted: { gflops: number; ceilingShare?: number } } }).engine;
  e.plain.ceilingShare = round(e.plain.gflops / ceiling, 4);
  e.weighted.ceilingShare = round(e.weighted.gflops / ceiling, 4);
}
const result = {
  kind: 'engine',
  date: new Date().toISOString(),
  quick,
  threads: THREADS,
  env: envSet,
  python: PY,
  peerError,
  torch: v.torch,
  parallelInfo: v.parallelInfo,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  loadAverage1m: { before: loadBefore, after: loadavg()[0] },
  flopFormula: '6*P_nonembedding*batch*seq + 12*layers*seq^2*hidden*batch (P_nonembedding includes lm_head; embedding gather excluded)',
  matmul: {
    n: 2048,
    gflopsThreadsMedian: round(ceiling, 2),
    gflops1Median: round(median([...ceilingBefore.gflops1, ...ceilingAfter.gflops1]), 2),
    bf16GflopsThreads: round(median([ceilingBefore.bf16GflopsThreads, ceilingAfter.bf16GflopsThreads]), 2),
    samplesThreads: all.map((x) => round(x, 1)),
    samples1: [...ceilingBefore.gflops1, ...ceilingAfter.gflops1].map((x) => round(x, 1)),
  },
  sizes,
  bf16,
};
const out = opt('json');
if (out) {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  progress(`wrote ${out}`);
} else {
  console.log(JSON.stringify(result, null, 2));
}
