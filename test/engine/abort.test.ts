/**
 * Long native calls stop on an AbortSignal (issue 11): a training step between micro-batches, a
 * generation at its next decoding step, a load between tensors, a save before its first file is in
 * place; each rejects with AbortError and leaves the model as if the call never ran.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyModel, randomBatch, tempDir, TINY } from '../helpers/tiny-model.ts';
import { Model } from '../../src/model/model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { native, type NativeBatch } from '../../src/native/index.ts';
import { AbortError } from '../../src/native/errors.ts';
import { InterruptedError } from '../../src/util/errors.ts';
import type { ModelShape } from '../../src/model/config.ts';

// Large enough that a step over many micro-batches takes a few hundred ms on one thread.
const MID: ModelShape = { arch: 'llama', vocabSize: 64, hiddenSize: 64, layers: 4, heads: 4, kvHeads: 2, intermediateSize: 128 };

const micro = (n: number, seed: number): NativeBatch[] => Array.from({ length: n }, (_, i) => randomBatch(MID.vocabSize, 2, 24, seed + i));

function weights(m: Model): Buffer[] {
  const names = [...m.info().tensors.map((x) => x.name), ...(m.lora?.tensors ?? [])];
  return names.map((n) => Buffer.from(m.getParameter(n).data.buffer));
}

async function loraModel(): Promise<Model> {
  const { model } = await tinyModel(MID, { seed: 3, threads: 1 });
  model.addLora({ r: 4, alpha: 8, dropout: 0.2, seed: 11, targetModules: ['q_proj', 'v_proj', 'up_proj'] });
  return model;
}

test('an aborted step makes no update: the next step gives bit-for-bit what it would have without it', async (t) => {
  // Reference: steps on b1 then b3. Aborted run: b1, an aborted step on b2 (stopped after its first
  // micro-batch ran forward, dropout and backward), then b3.
  const b1 = micro(2, 100), b2 = micro(400, 200), b3 = micro(2, 300);
  const ref = await loraModel();
  const rt = new Trainer(ref, { lr: 1e-2, threads: 1 });
  await rt.step(b1);
  const r3 = await rt.step(b3);

  const model = await loraModel();
  const tr = new Trainer(model, { lr: 1e-2, threads: 1 });
  await tr.step(b1);
  const ac = new AbortController();
  let seen = 0;
  const err = await t.throwsAsync(tr.step(b2, { signal: ac.signal, onProgress: () => { seen++; ac.abort(); } }));
  t.true(err instanceof AbortError && err instanceof InterruptedError, String(err));
  t.is(err!.name, 'AbortError');
  t.is((err as AbortError).code, 'EYEMULATOR_INTERRUPTED');
  t.true(seen >= 1 && seen < 400, `stopped after ${seen} of 400 micro-batches`);
  t.is(tr.steps, 1);
  const a3 = await tr.step(b3);
  t.is(a3.step, 2);
  t.is(a3.loss, r3.loss);
  t.is(a3.gradNorm, r3.gradNorm);
  const wa = weights(model), wr = weights(ref);
  t.is(wa.length, wr.length);
  for (let i = 0; i < wa.length; i++) t.true(wa[i].equals(wr[i]), `tensor ${i} differs`);
  await Promise.all([rt.dispose(), tr.dispose(), ref.dispose(), model.dispose()]);
});

test('aborting a step mid-way rejects long before the step would have ended', async (t) => {
  const { model } = await tinyModel(MID, { seed: 4, threads: 1 });
  const tr = new Trainer(model, { lr: 1e-3, threads: 1 });
  const bs = micro(40, 500);
  await tr.step(bs.slice(0, 2)); // warm-up
  let t0 = performance.now();
  await tr.step(bs);
  const full = performance.now() - t0;
  const ac = new AbortController();
  t0 = performance.now();
  const p = tr.step(bs, { signal: ac.signal, onProgress: (p) => { if (p.microBatch === 1) ac.abort(); } });
  await t.throwsAsync(p, { instanceOf: AbortError });
  const aborted = performance.now() - t0;
  t.true(aborted < full / 2, `aborted after ${aborted.toFixed(0)} ms; a full step takes ${full.toFixed(0)} ms`);
  t.is(tr.steps, 2);
  await tr.dispose();
  await model.dispose();
});

test('a signal aborted before the call rejects at once; the native flag alone stops a step', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 2 });
  const tr = new Trainer(model, { lr: 1e-3 });
  const b = randomBatch(TINY.vocabSize, 2, 8, 1);
  await t.throwsAsync(tr.step(b, AbortSignal.abort()), { instanceOf: AbortError, message: /before it started/ });
  // The binding's contract: abortFlag[0] = 1 stops the step at the engine's first check.
  const raw = new (native().Trainer)(model.handle, { lr: 1e-3 });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  flag[0] = 1;
  await t.throwsAsync(raw.step(b, { abortFlag: flag }), { instanceOf: AbortError, message: /training step was aborted/ });
  t.is(raw.steps, 0);
  await t.throwsAsync(async () => raw.step(b, { abortFlag: new Float32Array(1) as unknown as Int32Array }), { message: /abortFlag must be an Int32Array/ });
  t.is((await tr.step(b)).step, 1);
  await raw.dispose();
  await tr.dispose();
  await model.dispose();
});

test('an aborted generation rejects and leaves the model as it was (greedy and beam)', async (t) => {
  const { model } = await tinyModel(MID, { seed: 5, threads: 1 });
  const prompts = [[1, 2, 3], [4, 5]];
  const want = await model.generate(prompts, { maxNewTokens: 12 });
  const ac = new AbortController();
  let steps = 0;
  const err = await t.throwsAsync(model.generate(prompts, {
    maxNewTokens: 100_000, signal: ac.signal, onToken: (step) => { steps = step + 1; if (step === 3) ac.abort(); },
  }), { instanceOf: AbortError });
  t.is(err!.name, 'AbortError');
  t.true(steps >= 4 && steps < 100_000, `${steps} steps`);
  // Beam search, aborted right after the call (it cannot finish 100,000 steps first).
  const ac2 = new AbortController();
  const beam = model.generate([[1, 2, 3]], { maxNewTokens: 100_000, beams: 3, signal: ac2.signal });
  ac2.abort();
  await t.throwsAsync(beam, { instanceOf: AbortError });
  const again = await model.generate(prompts, { maxNewTokens: 12 });
  t.deepEqual(again.map((g) => Array.from(g.tokens)), want.map((g) => Array.from(g.tokens)));
  await model.dispose();
});

test('an aborted load keeps nothing and an aborted save leaves no partial file', async (t) => {
  const { model } = await tinyModel(MID, { seed: 6 });
  const dir = tempDir();
  await model.save(dir);
  const before = readFileSync(join(dir, 'model.safetensors'));
  // The engine side, deterministically: a flag already set stops the load at its first tensor and
  // the save before its first file; the native errors arrive as AbortError.
  const stopped = () => { const f = new Int32Array(new SharedArrayBuffer(4)); f[0] = 1; return f; };
  const raw = new (native().Model)();
  await t.throwsAsync(raw.load(dir, { abortFlag: stopped() }), { instanceOf: AbortError, message: /loading the checkpoint was aborted/ });
  t.throws(() => raw.info(), { message: /holds no weights/ }, 'nothing was kept');
  await raw.load(dir); // the same native object loads afterwards
  t.is(raw.info().parameters, model.info().parameters);
  await raw.dispose();
  model.setParameter('model.norm.weight', new Float32Array(MID.hiddenSize).fill(3));
  const empty = tempDir();
  for (const target of [dir, empty]) {
    await t.throwsAsync(model.handle.save(target, { abortFlag: stopped() }), { instanceOf: AbortError, message: /saving the model was aborted/ });
  }
  // Through Model and a signal fired right after the call: whether the abort or the save wins the
  // race, the folder holds either the complete new checkpoint or the untouched old one, never a
  // temp file.
  await t.throwsAsync(Model.load(dir, { signal: AbortSignal.abort() }), { instanceOf: AbortError, message: /before it started/ });
  for (const target of [dir, empty]) {
    const ac = new AbortController();
    const saving = model.save(target, { signal: ac.signal });
    ac.abort();
    const outcome = await saving.then(() => 'saved', (e: unknown) => (e instanceof AbortError ? 'aborted' : e));
    t.true(outcome === 'saved' || outcome === 'aborted', String(outcome));
    t.deepEqual(readdirSync(target).filter((f) => f.includes('.tmp')), [], 'no temp file left');
    if (outcome === 'aborted' && target === dir) t.true(readFileSync(join(dir, 'model.safetensors')).equals(before), 'the old checkpoint is untouched');
    if (outcome === 'aborted' && target === empty) t.false(existsSync(join(empty, 'model.safetensors')));
  }
  t.true(readFileSync(join(dir, 'model.safetensors')).length === before.length);
  await model.save(empty); // and the model still saves
  const back = await Model.load(empty);
  t.deepEqual(Array.from(back.getParameter('model.norm.weight').data), Array(MID.hiddenSize).fill(3));
  await back.dispose();
  await model.dispose();
});
