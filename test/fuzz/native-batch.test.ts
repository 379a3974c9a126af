/**
 * Issue 9, batches at the native boundary (binding/convert.cpp read_batch → check_batch_values):
 * values the engine would misread are refused before anything is allocated for the batch, whoever
 * built the TypedArrays (the CLI's BATCH.json reader checks them too, see boundary.test.ts).
 */
import test from 'ava';
import { BatchError } from '../../src/native/errors.ts';
import { randomBatch, tinyModel, TINY } from '../helpers/tiny-model.ts';

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
