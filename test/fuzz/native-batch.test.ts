/**
 * Issue 9, batches at the native boundary (binding/convert.cpp read_batch → check_batch_values):
 * values the engine would misread are refused before anything is allocated for the batch, whoever
 * built the TypedArrays (the CLI's BATCH.json reader checks them too, see boundary.test.ts).
 */
import test from 'ava';
import { BatchError } from '../../src/native/errors.ts';
import { randomBatch, tinyModel, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';

test('masks other than 0/1, non-finite or negative weights, negative ids and labels other than −100 → BatchError; the model keeps working', async (t) => {
  const { model } = await tinyModel();
  try {
    const good = () => randomBatch(TINY.vocabSize);
    const cases: Array<[string, (b: ReturnType<typeof good>) => void, RegExp]> = [
      ['attention mask 2', (b) => { b.attentionMask![3] = 2; }, /attentionMask holds a value other than 0 and 1/],
      ['path mask 255', (b) => { b.pathMask = new Uint8Array(b.inputIds.length); b.pathMask[2] = 255; }, /pathMask holds a value other than 0 and 1/],
      ['weight NaN', (b) => { b.weights![4] = NaN; }, /weights holds NaN or infinity/],
      ['weight −1', (b) => { b.weights![4] = -1; }, /weights holds a negative weight/],
      ['id −5', (b) => { b.inputIds[1] = -5; }, /inputIds holds a negative id/],
      ['label −99', (b) => { b.labels[2] = -99; }, /labels holds a negative label other than -100/],
    ];
    for (const [what, edit, re] of cases) {
      const b = good();
      edit(b);
      const e = await t.throwsAsync(model.forward(b), { instanceOf: BatchError }, what);
      t.regex(e!.message, re, what);
    }
    const ok = await model.forward(good());
    t.true(Number.isFinite(ok.loss));
  } finally {
    model.dispose();
  }
});

test('rows longer than a learned position table and ids past the vocabulary are refused by forward and by a trainer step before any allocation; γ, β, lr NaN are refused', async (t) => {
  // GPTBigCode: learned positions (wpe has max_position_embeddings rows). RoPE models take longer
  // rows, as transformers does (the llama-dynamic fixture runs 24 tokens over 16 positions).
  const { model } = await tinyModel({ ...TINY, arch: 'gpt_bigcode', maxPositions: 8 });
  try {
    const long = randomBatch(TINY.vocabSize, 1, 9);  // 9 > 8 positions
    const e1 = await t.throwsAsync(model.forward(long), { instanceOf: BatchError });
    t.regex(e1!.message, /batch\.inputIds rows hold 9 tokens but the model takes at most 8 \(max_position_embeddings\)/);
    const { Trainer } = await import('../../src/train/trainer.ts');
    const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3 });
    const e2 = await t.throwsAsync(tr.step([randomBatch(TINY.vocabSize, 1, 8), long]), { instanceOf: BatchError });
    t.regex(e2!.message, /batch\[1\]\.inputIds rows hold 9 tokens/);
    const far = randomBatch(TINY.vocabSize, 1, 8);
    far.labels[3] = TINY.vocabSize;
    const e3 = await t.throwsAsync(tr.step(far), { instanceOf: BatchError });
    t.regex(e3!.message, /labels holds an id outside the vocabulary \[0, 37\)/);
    t.is(tr.steps, 0);
    for (const [opts, re] of [[{ gamma: NaN }, /gamma must be (a )?finite/], [{ beta: Infinity }, /beta must be (a )?finite/], [{ lr: NaN }, /lr.* must be (a )?finite|lr must be positive/]] as const) {
      const e = t.throws(() => new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3, ...opts }));
      t.regex(e!.message, re);
    }
    const e4 = await t.throwsAsync(model.forward(randomBatch(TINY.vocabSize, 1, 8), { reference: true, gamma: NaN }));
    t.regex(e4!.message, /beta and gamma must be finite/);
    const ok = await tr.step(randomBatch(TINY.vocabSize, 1, 8));
    t.true(Number.isFinite(ok.loss));
  } finally {
    model.dispose();
  }
});
