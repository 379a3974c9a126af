/**
 * Progress events of long native calls (issue 11): a training step reports each micro-batch, a
 * greedy generation each decoding step with the tokens so far; every event arrives before the
 * promise settles, and a throwing callback stops the call with its error.
 */
import test from 'ava';
import { tinyModel, randomBatch, TINY } from '../helpers/tiny-model.ts';
import { Trainer, type MicroBatchProgress } from '../../src/train/trainer.ts';
import type { GenerationProgress } from '../../src/native/index.ts';

test('a training step reports every micro-batch before it resolves', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 2 });
  const tr = new Trainer(model, { lr: 1e-3 });
  const bs = [1, 2, 3].map((s) => randomBatch(TINY.vocabSize, 2, 8, s));
  const seen: MicroBatchProgress[] = [];
  const r = await tr.step(bs, { onProgress: (p) => seen.push({ ...p }) });
  t.deepEqual(seen, [1, 2, 3].map((i) => ({ microBatch: i, microBatches: 3, step: 1 })));
  t.is(r.step, 1);
  const seen2: number[] = [];
  await tr.step(bs[0], { onProgress: (p) => seen2.push(p.step) });
  t.deepEqual(seen2, [2]);
  // A throwing callback stops the step (no update) and the step rejects with its error.
  await t.throwsAsync(tr.step(bs, { onProgress: () => { throw new Error('listener broke'); } }), { message: 'listener broke' });
  t.is(tr.steps, 2);
  await tr.dispose();
  await model.dispose();
});

test('generation reports each greedy step with the tokens so far; beams resolve without events', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 3 });
  const prompts = [[1, 2, 3], [4, 5]];
  const events: Array<{ step: number; tokens: number[]; lengths: number[] }> = [];
  let last: GenerationProgress | undefined;
  const tokenCalls: number[] = [];
  const out = await model.generate(prompts, {
    maxNewTokens: 7,
    eosIds: [9],
    onToken: (step) => tokenCalls.push(step),
    onProgress: (p) => { events.push({ step: p.step, tokens: [...p.tokens], lengths: p.sequences.map((s) => s.length) }); last = p; },
  });
  const steps = Math.max(...out.map((g) => g.tokens.length));
  t.is(events.length, steps);
  t.deepEqual(tokenCalls, events.map((e) => e.step));
  t.deepEqual(events.map((e) => e.step), Array.from({ length: steps }, (_, i) => i));
  t.is(last!.maxSteps, 7);
  t.deepEqual(last!.sequences, out.map((g) => Array.from(g.tokens)));
  for (const e of events) t.is(e.tokens.length, prompts.length);
  // Beam search emits no per-step events and must still resolve.
  let beamEvents = 0;
  const beam = await model.generate([[1, 2, 3]], { maxNewTokens: 5, beams: 2, onProgress: () => beamEvents++ });
  t.is(beam.length, 1);
  t.is(beamEvents, 0);
  // A throwing callback stops the generation with its error.
  await t.throwsAsync(model.generate(prompts, { maxNewTokens: 50, onToken: () => { throw new RangeError('stop here'); } }), { instanceOf: RangeError });
  await model.dispose();
});
