/**
 * The anchor users actually have: the engine's training step side by side with Hugging Face
 * transformers (+ PEFT for LoRA) on the same torch build (bench/hf_peer_step.py), full fine-tuning
 * and LoRA r16, at the demo size and at 4x512, in alternating rounds.
 *
 *   node --import tsx bench/hf-peer.bench.ts [--quick] [--json OUT] [--rounds R] [--threads T]
 *        [--only demo|4x512] [--modes full,lora]
 *
 * One step on both sides: weighted CE (weights uniform in [1,5], fixed seed) / N over all label
 * positions, backward, clip 1.0, AdamW (lr 3e-4, wd 0.01 on ≥ 2-D params), loss read back. LoRA: r 16,
 * alpha 32, dropout 0.05, q/k/v/o/gate/up/down, base frozen. fp32, T threads (default 2) each side,
 * OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = T and OMP_WAIT_POLICY=PASSIVE for both.
 *
 * Per round: the engine (W warm-up + N timed steps on one trainer) and the peer (a fresh process:
 * W warm-up + N timed steps), the order alternating between rounds so neither always runs on the
 * quieter side of a load change. The speed-up is the median of the per-round ratios peer/engine
 * (> 1: the engine is faster).
 *
 * The peer's interpreter: EYEMULATOR_PYTHON, else <repo>/.venv/bin/python (scripts/setup.sh makes it;
 * transformers and peft are pip-installed into it on first use, bounded in time, with pip as this
 * machine configures it — see scripts/torch-choice.mjs). When that fails the result says why and the
 * ratio rows read n/a; the hand-written eager peer (engine.bench.ts) still runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, progress, rng, round, type BenchShape } from './lib/common.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const args = process.argv.slice(2);
const flag = (n: string) => args.includes(`--${n}`);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag('quick');
const THREADS = Number(opt('threads') ?? process.env.EYEMULATOR_BENCH_THREADS ?? 2);
for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']) process.env[k] ??= String(THREADS);
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const PY = process.env.EYEMULATOR_PYTHON ?? join(repo, '.venv', 'bin', 'python');
const ROUNDS = Number(opt('rounds') ?? (quick ? 2 : 5));
const MODES = (opt('modes') ?? 'full,lora').split(',') as ('full' | 'lora')[];
const only = opt('only');

const { Model } = await import('../src/model/model.ts');
const { makeHfConfig, defaultIntermediate } = await import('../src/model/config.ts');
const { Trainer } = await import('../src/train/trainer.ts');
const { native } = await import('../src/native/index.ts');
type NativeBatch = import('../src/native/index.ts').NativeBatch;

/** The demo's model and batch (experiments/demo.yaml: BPE 2,000, hidden 128, 2 layers, 16 × 288). */
const demo: BenchShape = { name: 'demo', vocabSize: 2000, hiddenSize: 128, layers: 2, heads: 4, kvHeads: 4, intermediateSize: defaultIntermediate(128), seq: 288, batch: 16 };
const big: BenchShape = { name: '4x512', vocabSize: 8192, hiddenSize: 512, layers: 4, heads: 8, kvHeads: 8, intermediateSize: 1376, seq: 256, batch: 8 };
const plan = (s: BenchShape) => (s.hiddenSize >= 512 ? { warmup: 1, steps: quick ? 2 : 3 } : { warmup: 2, steps: quick ? 3 : 6 });
const LORA = { r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

/** Makes sure the peer's interpreter has transformers + peft; returns an error string or undefined. */
function ensurePeer(): string | undefined {
  if (!existsSync(PY)) return `no Python at ${PY} (run npm run setup, or set EYEMULATOR_PYTHON)`;
  const probe = () => spawnSync(PY, ['-c', 'import torch, transformers, peft; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (probe().status === 0) return undefined;
  progress(`hf peer: installing transformers + peft into ${PY} (pip as configured here; at most 300 s)`);
  const cfg = spawnSync(PY, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const script = join(repo, 'scripts', 'torch-choice.mjs');
  const idx = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(script)}).then(m=>console.log(JSON.stringify(m.pipIndexArgs(process.argv[1]))))`, cfg.stdout ?? ''], { encoding: 'utf8' });
  const indexArgs = JSON.parse(idx.stdout || '[]') as string[];
  const r = spawnSync(PY, ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--retries', '1', '--timeout', '30', ...indexArgs, 'transformers', 'peft'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || probe().status !== 0)
    return `transformers/peft not installable into ${PY}: ${(r.stderr || r.error?.message || '').trim().split('\n').filter((l) => !/^WARNING/.test(l)).pop() ?? 'failed'}`;
  return undefined;
}

const work = mkdtempSync(join(tmpdir(), 'eyemulator-hfpeer-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function makeBatch(s: BenchShape): NativeBatch {
  const r = rng(7);
  const n = s.batch * s.seq;
  const inputIds = new Int32Array(n);
  for (let i = 0; i < n; i++) inputIds[i] = Math.floor(r() * s.vocabSize);
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = 1 + 4 * r();
  return { inputIds, labels: inputIds.slice(), weights, batchSize: s.batch, seqLen: s.seq };
}

interface PeerOut { step_ms_median: number; step_ms_all: number[]; torch_version: string; transformers_version: string; peft_version: string; trainable_parameters: number; error?: string }

function runPeer(s: BenchShape, mode: 'full' | 'lora', warmup: number, steps: number): PeerOut {
  const a = [join(here, 'hf_peer_step.py'), '--vocab', s.vocabSize, '--hidden', s.hiddenSize, '--layers', s.layers, '--heads', s.heads,
    '--kv-heads', s.kvHeads, '--intermediate', s.intermediateSize, '--seq', s.seq, '--batch', s.batch, '--steps', steps, '--warmup', warmup,
    '--threads', THREADS, '--weighted', 1, '--lora-rank', mode === 'lora' ? LORA.r : 0].map(String);
  const r = spawnSync(PY, a, { env: process.env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').filter(Boolean).pop();
  let j: PeerOut | undefined;
  try { j = line ? JSON.parse(line) : undefined; } catch { j = undefined; }
  if (!j || j.error || r.status !== 0) throw new Error(j?.error ?? `hf peer exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  return j;
}

async function engineSteps(trainer: InstanceType<typeof Trainer>, batch: NativeBatch, warmup: number, steps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await trainer.step(batch);
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const r = await trainer.step(batch);
    ms.push(performance.now() - t0);
    if (!Number.isFinite(r.loss)) throw new Error(`engine loss ${r.loss}`);
  }
  return ms;
}

async function pair(s: BenchShape, mode: 'full' | 'lora') {
  const { warmup, steps } = plan(s);
  const dir = join(work, `${s.name}-${mode}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(makeHfConfig({
    arch: 'llama', vocabSize: s.vocabSize, hiddenSize: s.hiddenSize, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
    intermediateSize: s.intermediateSize, maxPositions: Math.max(2048, s.seq),
  })));
  const model = await Model.fromConfig(join(dir, 'config.json'), { seed: 1, dtype: 'float32', threads: THREADS });
  if (mode === 'lora') model.addLora(LORA);
  const trainer = new Trainer(model, { lr: 3e-4, weightDecay: 0.01, warmupSteps: 0, totalSteps: 0, schedule: 'constant', maxGradNorm: 1.0, gamma: 0, threads: THREADS });
  const batch = makeBatch(s);
  const rounds: { round: number; order: string; engineMs: number; peerMs?: number; ratio?: number }[] = [];
  const engAll: number[] = [];
  const peerAll: number[] = [];
  let peerInfo: PeerOut | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const engineFirst = r % 2 === 0;
    progress(`hf peer ${s.name} ${mode}: round ${r + 1}/${ROUNDS} (${engineFirst ? 'engine, then HF' : 'HF, then engine'}; ${warmup}+${steps} steps each)`);
    let e: number[] = [];
    let p: PeerOut | undefined;
    if (engineFirst) e = await engineSteps(trainer, batch, warmup, steps);
    if (!peerError) {
      try { p = runPeer(s, mode, warmup, steps); } catch (err) { peerError = (err as Error).message; progress(`!!! hf peer failed: ${peerError}`); }
    }
    if (!engineFirst) e = await engineSteps(trainer, batch, warmup, steps);
    engAll.push(...e);
    const row: (typeof rounds)[number] = { round: r + 1, order: engineFirst ? 'engine-first' : 'peer-first', engineMs: round(median(e), 1) };
    if (p) {
      peerInfo = p;
      peerAll.push(...p.step_ms_all);
      row.peerMs = round(p.step_ms_median, 1);
      row.ratio = round(p.step_ms_median / median(e), 3);
    }
    rounds.push(row);
    progress(`hf peer ${s.name} ${mode}: ${JSON.stringify(row)}`);
  }
  trainer.dispose();
  model.dispose();
  const tokens = s.batch * s.seq;
  const ratios = rounds.filter((x) => x.ratio !== undefined).map((x) => x.ratio!);
  return {
    size: s.name, mode, shape: s, lora: mode === 'lora' ? LORA : null, warmupPerRound: warmup, stepsPerRound: steps, rounds,
    engine: { stepMsMedian: round(median(engAll), 2), tokensPerS: round(tokens / (median(engAll) / 1e3), 1), stepMsAll: engAll.map((x) => round(x, 1)) },
    peer: peerInfo
      ? {
          name: mode === 'lora' ? 'HF transformers + PEFT' : 'HF transformers', torch: peerInfo.torch_version, transformers: peerInfo.transformers_version,
          peft: peerInfo.peft_version, trainableParameters: peerInfo.trainable_parameters,
          stepMsMedian: round(median(peerAll), 2), tokensPerS: round(tokens / (median(peerAll) / 1e3), 1), stepMsAll: peerAll.map((x) => round(x, 1)),
        }
      : { unavailable: peerError ?? 'no rounds' },
    speedup: ratios.length ? round(median(ratios), 3) : null,
    roundSpeedups: ratios,
  };
}

let peerError = ensurePeer();
if (peerError) progress(`!!! HF peer unavailable: ${peerError}`);
const v = native().version();
const loadBefore = loadavg()[0];
const results = [];
for (const s of [demo, big]) {
  if (only && only !== s.name) continue;
  for (const mode of MODES) results.push(await pair(s, mode));
}
const out = {
  kind: 'hf-peer', date: new Date().toISOString(), quick, threads: THREADS, rounds: ROUNDS, python: PY, peerError: peerError ?? null,
  engineTorch: v.torch, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version,
  env: { OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY },
  loadAverage1m: { before: loadBefore, after: loadavg()[0] }, results,
};
const file = opt('json');
if (file) {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  progress(`wrote ${file}`);
} else console.log(JSON.stringify(out, null, 2));
