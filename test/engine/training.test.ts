import test from 'ava';
import { tinyModel, randomBatch, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { NativeBatch } from '../../src/native/index.ts';

test('a tiny model overfits one batch: loss falls by more than 90% within 200 steps', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 2 });
  const b = randomBatch(TINY.vocabSize, 2, 12, 3);
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-2, warmupSteps: 5 });
  const first = await tr.step(b);
  let last = first;
  let steps = 1;
  while (steps < 200 && last.loss > 0.1 * first.loss) { last = await tr.step(b); steps++; }
  t.true(last.loss < 0.1 * first.loss, `loss ${first.loss} → ${last.loss} after ${steps} steps`);
  t.is(tr.steps, steps);
  t.true(first.tokens > 0 && first.gradNorm > 0);
  model.dispose();
});

async function trainWeights(seed: number, steps: number): Promise<Float32Array[]> {
  const { model } = await tinyModel(TINY, { seed });
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 3e-3, weightDecay: 0.1, warmupSteps: 3, totalSteps: steps, schedule: 'cosine' });
  for (let i = 0; i < steps; i++) await tr.step(randomBatch(TINY.vocabSize, 2, 10, 100 + i));
  const out = model.info().tensors.map((x) => model.getParameter(x.name).data as Float32Array);
  model.dispose();
  return out;
}

test('same seed gives bit-identical weights after 20 steps; another seed does not', async (t) => {
  const a = await trainWeights(7, 20);
  const b = await trainWeights(7, 20);
  const c = await trainWeights(8, 20);
  t.is(a.length, b.length);
  for (let i = 0; i < a.length; i++) t.true(Buffer.from(a[i].buffer).equals(Buffer.from(b[i].buffer)), `tensor ${i} differs`);
  t.false(Buffer.from(a[0].buffer).equals(Buffer.from(c[0].buffer)));
});

function concat(a: NativeBatch, b: NativeBatch): NativeBatch {
  const cat = <T extends Int32Array | Float32Array>(x: T, y: T): T => {
    const o = new (x.constructor as any)(x.length + y.length) as T;
    o.set(x); o.set(y, x.length);
    return o;
  };
  return {
    inputIds: cat(a.inputIds, b.inputIds), labels: cat(a.labels, b.labels), weights: cat(a.weights!, b.weights!),
    attentionMask: cat(a.attentionMask as Int32Array, b.attentionMask as Int32Array), batchSize: a.batchSize + b.batchSize, seqLen: a.seqLen,
  };
}

test('gradient accumulation over micro-batches equals one step on the concatenated batch', async (t) => {
  const b1 = randomBatch(TINY.vocabSize, 2, 8, 21);
  const b2 = randomBatch(TINY.vocabSize, 1, 8, 22, false);
  const run = async (batches: NativeBatch | NativeBatch[]) => {
    const { model } = await tinyModel(TINY, { seed: 5, dtype: 'float64' });
    const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-2, maxGradNorm: 0.5 });
    const r = await tr.step(batches);
    const w = model.getParameter('model.layers.1.mlp.up_proj.weight').data;
    model.dispose();
    return { r, w };
  };
  const acc = await run([b1, b2]);
  const one = await run(concat(b1, b2));
  t.true(Math.abs(acc.r.loss - one.r.loss) < 1e-12);
  t.true(Math.abs(acc.r.gradNorm - one.r.gradNorm) < 1e-10);
  t.is(acc.r.tokens, one.r.tokens);
  let maxd = 0;
  for (let i = 0; i < acc.w.length; i++) maxd = Math.max(maxd, Math.abs(acc.w[i] - one.w[i]));
  t.true(maxd < 1e-12, `max weight diff ${maxd}`);
});

test('learning-rate schedules: warm-up then constant, linear and cosine decay', async (t) => {
  const { model } = await tinyModel();
  const lin = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1, warmupSteps: 4, totalSteps: 14, schedule: 'linear' });
  t.deepEqual([0, 1, 2, 3].map((s) => lin.learningRate(s)), [0.25, 0.5, 0.75, 1]);
  t.true(Math.abs(lin.learningRate(9) - 0.5) < 1e-12);
  t.is(lin.learningRate(14), 0);
  const cos = new Trainer(model, { lr: 2, warmupSteps: 0, totalSteps: 10, schedule: 'cosine', minLrRatio: 0.1 });
  t.is(cos.learningRate(0), 2);
  t.true(Math.abs(cos.learningRate(5) - 2 * (0.1 + 0.9 * 0.5)) < 1e-12);
  t.true(Math.abs(cos.learningRate(10) - 0.2) < 1e-12);
  const con = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 0.5, warmupSteps: 2 });
  t.is(con.learningRate(1), 0.5);
  t.is(con.learningRate(1000), 0.5);
  t.throws(() => new Trainer(model, { schedule: 'exp' as any }), { message: /constant, linear or cosine/ });
  model.dispose();
});

test('AdamW with decoupled weight decay matches a hand computation of the first step', async (t) => {
  // One step from known weights and gradient: p1 = p0·(1 − lr·wd) − lr·m̂/(√v̂ + eps), with
  // m̂ = g, v̂ = g² after bias correction ⇒ p1 = p0·(1 − lr·wd) − lr·g/(|g| + eps).
  const { model } = await tinyModel(TINY, { seed: 9, dtype: 'float64' });
  const b = randomBatch(TINY.vocabSize, 2, 8, 4);
  const name = 'model.layers.0.self_attn.q_proj.weight';
  const g = (await model.forward(b, { grads: true })).grads![name].data;
  const p0 = Float64Array.from(model.getParameter(name).data);
  const lr = 0.01, wd = 0.1;
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr, weightDecay: wd, maxGradNorm: 0 });
  await tr.step(b);
  const p1 = model.getParameter(name).data;
  let maxd = 0;
  for (let i = 0; i < p0.length; i++) {
    const want = p0[i] * (1 - lr * wd) - (lr * g[i]) / (Math.abs(g[i]) + 1e-8);
    maxd = Math.max(maxd, Math.abs(p1[i] - want));
  }
  t.true(maxd < 1e-12, `max diff ${maxd}`);
  // norms (1-D) get no decay: with zero grad they stay exactly 1
  model.dispose();
});
