import test from 'ava';
import { Trainer } from '../../src/train/trainer.ts';
import { randomBatch, tinyModel, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';
import type { NativeBatch } from '../../src/native/index.ts';

// Training computes the vocabulary projection and the CE only at loss positions. Check it against
// the audit forward, which projects every position: same loss terms and the same gradient (its
// global norm, before clipping), in float64, for full fine-tuning and LoRA, with and without γ.
function withPath(b: NativeBatch): NativeBatch {
  const pathMask = Uint8Array.from({ length: b.batchSize * b.seqLen }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
  return { ...b, pathMask };
}

for (const lora of [false, true]) {
  for (const gamma of [0, 0.1]) {
    test(`a training step's loss and gradient equal the all-positions forward (${lora ? 'LoRA' : 'full'}, γ ${gamma})`, async (t) => {
      const { model } = await tinyModel(TINY, { seed: 9, dtype: 'float64' });
      if (lora) {
        model.addLora({ r: 4, alpha: 8, seed: 2 });
        // B off zero, so the adapters matter and π differs from π_ref.
        for (const name of model.lora!.tensors.filter((n) => n.includes('lora_B'))) {
          const p = model.getParameter(name);
          model.setParameter(name, Float64Array.from(p.data, (_, i) => Math.sin(i + 1) * 0.05));
        }
      }
      const batch = withPath(randomBatch(TINY.vocabSize, 3, 11, 4));
      const f = await model.forward(batch, { grads: true, reference: gamma > 0, gamma });
      let sq = 0;
      for (const g of Object.values(f.grads!)) for (const x of g.data) sq += x * x;
      const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3, gamma, maxGradNorm: 0 });
      const s = await tr.step(batch);
      t.true(Math.abs(s.sft - f.loss) < 1e-12, `sft ${s.sft} vs ${f.loss}`);
      if (gamma > 0) t.true(Math.abs(s.loss - f.total!) < 1e-12, `total ${s.loss} vs ${f.total}`);
      t.true(Math.abs(s.gradNorm - Math.sqrt(sq)) < 1e-10 * Math.max(1, Math.sqrt(sq)), `grad norm ${s.gradNorm} vs ${Math.sqrt(sq)}`);
      t.is(s.tokens, f.tokens);
      tr.dispose();
      model.dispose();
    });
  }
}
