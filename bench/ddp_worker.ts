/**
 * One rank of bench/ddp.bench.ts: a seeded Llama of the given shape (float32, full fine-tuning),
 * one libtorch thread, `warmup` + `steps` optimizer steps over this rank's share of fixed global
 * batches (global batch G rows × seq; rank r of W takes G/W rows). Rank 0 (or the only process)
 * writes {stepS[], commS[], gradAllreduceS[]} as JSON to OUT. Joins the process group from the
 * torchrun variables when WORLD_SIZE is set.
 *   node --import tsx bench/ddp_worker.ts OUT SHAPE_JSON STEPS WARMUP
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng, type BenchShape } from './lib/common.ts';

process.env.OMP_NUM_THREADS ??= '1';
process.env.OPENBLAS_NUM_THREADS ??= '1';
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const { Model } = await import('../src/model/model.ts');
const { makeHfConfig } = await import('../src/model/config.ts');
const { Trainer } = await import('../src/train/trainer.ts');
const { distributedFromEnv } = await import('../src/distributed/options.ts');
type NativeBatch = import('../src/native/index.ts').NativeBatch;

const [out, shapeJson, stepsArg, warmupArg] = process.argv.slice(2);
const s = JSON.parse(shapeJson) as BenchShape;
const steps = Number(stepsArg), warmup = Number(warmupArg);
const dist = distributedFromEnv();
const W = dist?.worldSize ?? 1, rank = dist?.rank ?? 0;
const dir = mkdtempSync(join(tmpdir(), 'eyemulator-ddp-bench-'));
writeFileSync(join(dir, 'config.json'), JSON.stringify(makeHfConfig({
  arch: 'llama', vocabSize: s.vocabSize, hiddenSize: s.hiddenSize, layers: s.layers, heads: s.heads, kvHeads: s.kvHeads,
  intermediateSize: s.intermediateSize, maxPositions: Math.max(2048, s.seq),
})));
const model = await Model.fromConfig(join(dir, 'config.json'), { seed: 1, dtype: 'float32', threads: 1 });
const trainer = new Trainer(model, { lr: 3e-4, weightDecay: 0.01, schedule: 'constant', maxGradNorm: 1, gamma: 0, threads: 1 });
if (dist) await trainer.attachDistributed({ rank, worldSize: W, masterAddr: dist.masterAddr, masterPort: dist.masterPort, timeoutSeconds: dist.timeoutSeconds });

function share(step: number): NativeBatch {
  const r = rng(1000 + step);
  const rows = s.batch / W;
  const all = new Int32Array(s.batch * s.seq);
  for (let i = 0; i < all.length; i++) all[i] = Math.floor(r() * s.vocabSize);
  const inputIds = all.slice(rank * rows * s.seq, (rank + 1) * rows * s.seq);
  const w = new Float32Array(inputIds.length).map((_, i) => 1 + ((i * 7) % 5));
  return { inputIds, labels: inputIds.slice(), weights: w, batchSize: rows, seqLen: s.seq };
}

const stepS: number[] = [], commS: number[] = [], gradAllreduceS: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const b = share(i);
  const t0 = performance.now();
  const res = await trainer.step(b);
  const dt = (performance.now() - t0) / 1000;
  if (i >= warmup) { stepS.push(dt); commS.push(res.commSeconds ?? 0); gradAllreduceS.push(res.gradAllreduceSeconds ?? 0); }
}
if (rank === 0) writeFileSync(out, JSON.stringify({ stepS, commS, gradAllreduceS, parameters: model.info().parameters }));
trainer.dispose();
model.dispose();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
