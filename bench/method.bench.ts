/**
 * The method's costs on the engine (issue: LoRA, preference term, generation, attention capture):
 *   - LoRA step vs full fine-tuning step (same model, same batch);
 *   - full eyemulator step (weighted CE + token-level preference with its reference pass, γ = 0.1,
 *     LoRA) vs a plain-CE LoRA step — target ≤ 1.3× (issue 14), the median of per-round ratios; a
 *     weighted-CE step (γ 0) in the same rounds splits the cost into the weighting and the reference pass;
 *   - generation tokens/s at 256 new tokens with the KV cache vs recomputing the prefix — target ≥ 5×;
 *   - a forward pass with attention capture (all layers) vs without.
 * Steps alternate between the compared settings so machine noise hits both; medians reported.
 *
 *   node --import tsx bench/method.bench.ts [--quick] [--json OUT] [--threads T]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { median, progress, rng, round } from './lib/common.ts';

const args = process.argv.slice(2);
const opt = (n: string) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const THREADS = Number(opt('threads') ?? 2);
for (const k of ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS']) process.env[k] ??= String(THREADS);
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const { Model } = await import('../src/model/model.ts');
const { Trainer } = await import('../src/train/trainer.ts');
type NativeBatch = import('../src/native/index.ts').NativeBatch;

const shape = { arch: 'llama' as const, vocabSize: 259, hiddenSize: 128, layers: 2, heads: 4, intermediateSize: 344, maxPositions: 1024 };
const B = 8, T = 256, STEPS = quick ? 4 : 20;

function batch(seed: number): NativeBatch {
  const r = rng(seed);
  const n = B * T;
  const inputIds = new Int32Array(n), labels = new Int32Array(n), weights = new Float32Array(n), pathMask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    inputIds[i] = Math.floor(r() * shape.vocabSize);
    labels[i] = i % T < T / 2 ? -100 : inputIds[i]; // loss on the second half (the "target")
    weights[i] = 1 + 4 * r();
    pathMask[i] = r() < 0.3 ? 1 : 0;
  }
  return { inputIds, labels, weights, pathMask, batchSize: B, seqLen: T };
}

async function fresh(lora: boolean) {
  const dir = join(mkdtempSync(join(tmpdir(), 'eyem-bench-')), 'm');
  const m = await Model.create(dir, shape, { seed: 1, threads: THREADS });
  if (lora) m.addLora({ r: 8, alpha: 16, seed: 2 });
  return m;
}

async function timeSteps(trainers: Array<{ name: string; step: (b: NativeBatch) => Promise<unknown> }>): Promise<Record<string, number[]>> {
  const ms: Record<string, number[]> = Object.fromEntries(trainers.map((t) => [t.name, []]));
  for (let s = 0; s < STEPS + 2; s++) {
    const b = batch(100 + s);
    for (const t of trainers) {
      const t0 = performance.now();
      await t.step(b);
      if (s >= 2) ms[t.name].push(performance.now() - t0); // 2 warm-up steps
    }
  }
  return ms;
}

progress('method bench: LoRA vs full, eyemulator vs plain');
const full = await fresh(false), loraPlain = await fresh(true), loraWeighted = await fresh(true), loraEye = await fresh(true);
const tFull = new Trainer(full, { lr: 1e-3, weightDecay: 0, gamma: 0, threads: THREADS });
const tPlain = new Trainer(loraPlain, { lr: 1e-3, weightDecay: 0, gamma: 0, threads: THREADS });
const tWeighted = new Trainer(loraWeighted, { lr: 1e-3, weightDecay: 0, gamma: 0, threads: THREADS });
const tEye = new Trainer(loraEye, { lr: 1e-3, weightDecay: 0, gamma: 0.1, beta: 0.1, threads: THREADS });
const strip = (b: NativeBatch): NativeBatch => ({ ...b, weights: undefined, pathMask: undefined });
const perRound = await timeSteps([
  { name: 'full', step: (b) => tFull.step(strip(b)) },
  { name: 'loraPlain', step: (b) => tPlain.step(strip(b)) },
  { name: 'loraWeighted', step: (b) => tWeighted.step({ ...b, pathMask: undefined }) },
  { name: 'loraEyemulator', step: (b) => tEye.step(b) },
]);
const steps = Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, round(median(v), 1)]));
const roundRatio = (a: string, b: string) => perRound[a].map((x, i) => x / perRound[b][i]);
// The reference pass: what the eyemulator step costs over the weighted-CE step of the same round.
const referenceMs = perRound.loraEyemulator.map((x, i) => x - perRound.loraWeighted[i]);

progress('generation: 256 new tokens with and without the KV cache');
const prompts = Array.from({ length: 4 }, (_, i) => Array.from({ length: 32 }, (_, k) => (i * 7 + k * 3) % 256));
const NEW = quick ? 64 : 256;
const gen: Record<string, number[]> = { cache: [], noCache: [] };
for (let r = 0; r < (quick ? 1 : 2); r++) {
  for (const useCache of [true, false]) {
    const t0 = performance.now();
    const g = await full.generate(prompts, { maxNewTokens: NEW, eosIds: [], useCache, threads: THREADS });
    const toks = g.reduce((a, x) => a + x.tokens.length, 0);
    gen[useCache ? 'cache' : 'noCache'].push(toks / ((performance.now() - t0) / 1000));
  }
}

progress('forward with and without attention capture');
const att: Record<string, number[]> = { off: [], on: [] };
for (let s = 0; s < STEPS; s++) {
  const b = batch(500 + s);
  for (const on of [false, true]) {
    const t0 = performance.now();
    await full.forward(b, { attentionLayers: on ? [0, 1] : [], threads: THREADS });
    att[on ? 'on' : 'off'].push(performance.now() - t0);
  }
}
for (const m of [full, loraPlain, loraWeighted, loraEye]) await m.dispose();

const result = {
  kind: 'method', date: new Date().toISOString(), quick, threads: THREADS, shape: { ...shape, batch: B, seq: T },
  stepMs: steps,
  loraOverFull: round(steps.loraPlain / steps.full, 3),
  rounds: STEPS,
  eyemulatorOverPlain: round(median(roundRatio('loraEyemulator', 'loraPlain')), 3),
  weightedOverPlain: round(median(roundRatio('loraWeighted', 'loraPlain')), 3),
  referencePassMs: round(median(referenceMs), 1),
  referenceOverPlain: round(median(referenceMs.map((x, i) => x / perRound.loraPlain[i])), 3),
  generation: { newTokens: NEW, prompts: prompts.length, tokPerSCache: round(median(gen.cache), 1), tokPerSNoCache: round(median(gen.noCache), 1), speedup: round(median(gen.cache) / median(gen.noCache), 2) },
  attentionCapture: { offMs: round(median(att.off), 1), onMs: round(median(att.on), 1), ratio: round(median(att.on) / median(att.off), 3) },
};
const out = opt('json');
if (out) { mkdirSync(dirname(resolve(out)), { recursive: true }); writeFileSync(out, JSON.stringify(result, null, 2) + '\n'); }
else console.log(JSON.stringify(result, null, 2));
