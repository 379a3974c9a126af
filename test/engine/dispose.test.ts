/**
 * dispose() never blocks the event loop (issue 11): it returns a promise, marks the object disposed
 * at once, frees after a running call, is idempotent, and backs Symbol.asyncDispose. Synchronous
 * accessors during a running call fail fast with EngineBusyError instead of waiting for the lock.
 */
import test from 'ava';
import { tinyModel, randomBatch } from '../helpers/tiny-model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { EngineBusyError, EngineStateError } from '../../src/native/errors.ts';
import type { ModelShape } from '../../src/model/config.ts';

const MID: ModelShape = { arch: 'llama', vocabSize: 64, hiddenSize: 64, layers: 4, heads: 4, kvHeads: 2, intermediateSize: 128 };
const micro = (n: number) => Array.from({ length: n }, (_, i) => randomBatch(MID.vocabSize, 2, 24, 40 + i));

test('dispose during a running step returns at once; the step finishes and later calls are refused', async (t) => {
  const { model } = await tinyModel(MID, { seed: 1, threads: 1 });
  const tr = new Trainer(model, { lr: 1e-3, threads: 1 });
  let running = true;
  const step = tr.step(micro(80)).finally(() => (running = false));
  // Wait until the worker holds the model (the thread pool may start it late on a busy machine):
  // poll the synchronous accessor, which refuses while a call runs, for up to 5 s.
  for (let waited = 0; waited < 5000; waited += 5) {
    try {
      model.info();
    } catch (e) {
      if (e instanceof EngineBusyError) break;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  t.true(running);
  // Synchronous accessors do not wait for the lock: they refuse at once.
  let t0 = performance.now();
  t.throws(() => model.info(), { instanceOf: EngineBusyError, message: /info\(\).*busy/ });
  t.throws(() => model.lora, { instanceOf: EngineBusyError });
  t.throws(() => new Trainer(model), { instanceOf: EngineBusyError });
  t0 = performance.now();
  const d1 = tr.dispose();
  const d2 = model.dispose();
  const syncMs = performance.now() - t0;
  t.true(syncMs < 50, `dispose() took ${syncMs.toFixed(1)} ms on the JS thread`);
  t.true(model.disposed);
  t.is(model.dispose(), d2, 'idempotent: the same promise');
  t.is(tr.dispose(), d1);
  // The event loop keeps turning while the step runs.
  let ticked = false;
  setImmediate(() => (ticked = true));
  await new Promise((r) => setImmediate(r));
  t.true(ticked && running, 'the loop turned while the step still ran');
  const r = await step; // the running step completes normally
  t.is(r.step, 1);
  await Promise.all([d1, d2]);
  await t.throwsAsync(model.generate([[1, 2]], { maxNewTokens: 2 }), { instanceOf: EngineStateError, message: /disposed/ });
  await t.throwsAsync(tr.step(micro(1)), { instanceOf: EngineStateError, message: /disposed/ });
  t.throws(() => model.info(), { instanceOf: EngineStateError });
});

test('Symbol.asyncDispose disposes; mergeLora runs off the JS thread', async (t) => {
  const { model } = await tinyModel(MID, { seed: 2 });
  model.addLora({ r: 2, targetModules: ['q_proj'] });
  const merging = model.mergeLora();
  t.true(merging instanceof Promise);
  await merging;
  t.is(model.lora, null);
  const tr = new Trainer(model);
  t.is(typeof tr[Symbol.asyncDispose], 'function');
  await tr[Symbol.asyncDispose]();
  await model[Symbol.asyncDispose]();
  t.true(model.disposed);
  await t.notThrowsAsync(model.dispose());
});
