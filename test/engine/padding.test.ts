import test from 'ava';
import { tinyModel, TINY } from '../helpers/tiny-model.ts';
import type { NativeBatch } from '../../src/native/index.ts';

// A left-padded row: positions 0–2 are padding; the label at position 3 would be predicted from
// the logits of the pad at position 2, whose attention row is fully masked. Such a target carries
// no loss, whatever its label says (the same rule on every device).
function leftPadded(labelAfterPad: number): NativeBatch {
  const B = 2, T = 8;
  const inputIds = new Int32Array([5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 13, 14, 15, 16, 17]);
  const labels = Int32Array.from(inputIds);
  labels[0] = -100;
  labels[8] = labels[9] = labels[10] = -100;
  labels[11] = labelAfterPad;
  const attentionMask = new Int32Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
  const weights = Float32Array.from({ length: B * T }, (_, i) => 1 + (i % 3));
  const pathMask = Uint8Array.from({ length: B * T }, (_, i) => (i % 2));
  return { inputIds, labels, attentionMask, weights, pathMask, batchSize: B, seqLen: T };
}

test('no loss is taken at a target predicted from a padding position (loss, tokens, gradients, preference)', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 4, dtype: 'float64' });
  const opts = { grads: true, reference: true, gamma: 0.1 } as const;
  const a = await model.forward(leftPadded(13), opts);
  const b = await model.forward(leftPadded(-100), opts);
  t.is(a.tokens, b.tokens);
  t.is(a.tokens, 7 + 4);
  t.is(a.loss, b.loss);
  for (const [name, g] of Object.entries(a.grads!)) t.deepEqual(g.data, b.grads![name].data, name);
  model.dispose();
});
