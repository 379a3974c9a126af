import test from 'ava';
import { tinyModel, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { Model } from '../../src/model/model.ts';
import { Rng } from '../../src/util/rng.ts';

const EOS = 36;
const PAD = 0;

/** A model trained a little on a repeating pattern, so greedy outputs are varied and hit EOS. */
async function trainedModel(): Promise<Model> {
  const { model } = await tinyModel(TINY, { seed: 21 });
  const r = new Rng(4);
  const T = 12, B = 4;
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 2e-2 });
  for (let s = 0; s < 30; s++) {
    const ids = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = 1 + r.int(20);
      for (let t = 0; t < T; t++) ids[b * T + t] = t === T - 1 ? EOS : 1 + ((start + t) % 30);
    }
    await tr.step({ inputIds: ids, labels: Int32Array.from(ids), batchSize: B, seqLen: T });
  }
  return model;
}

const prompts = [[3, 4, 5], [10, 11, 12, 13, 14, 15, 16], [7], [20, 21, 22, 23]];

test('generation with the KV cache equals generation without it, token for token', async (t) => {
  const m = await trainedModel();
  const a = await m.generate(prompts, { maxNewTokens: 14, eosIds: [EOS], padId: PAD });
  const b = await m.generate(prompts, { maxNewTokens: 14, eosIds: [EOS], padId: PAD, useCache: false });
  t.deepEqual(a.map((g) => [...g.tokens]), b.map((g) => [...g.tokens]));
  a.forEach((g, i) => g.logprobs.forEach((lp, k) => t.true(Math.abs(lp - b[i].logprobs[k]) < 1e-4)));
  t.true(a.some((g) => g.finish === 'eos'), 'some sequence ends at EOS');
  for (const g of a) if (g.finish === 'eos') t.is(g.tokens.at(-1), EOS);
  m.dispose();
});

test('left padding does not change a prompt\'s generation; log-probs equal a plain forward pass', async (t) => {
  const m = await trainedModel();
  const batch = await m.generate(prompts, { maxNewTokens: 10, eosIds: [EOS], padId: PAD });
  for (let i = 0; i < prompts.length; i++) {
    const alone = await m.generate([prompts[i]], { maxNewTokens: 10, eosIds: [EOS], padId: PAD });
    t.deepEqual([...alone[0].tokens], [...batch[i].tokens], `prompt ${i}`);
    // independent check: teacher-forced forward over prompt + generated tokens
    const seq = [...prompts[i], ...batch[i].tokens];
    const T = seq.length;
    const f = await m.forward({ inputIds: Int32Array.from(seq), labels: Int32Array.from(seq), batchSize: 1, seqLen: T });
    const V = TINY.vocabSize;
    batch[i].tokens.forEach((tok, k) => {
      const pos = prompts[i].length - 1 + k;
      const row = f.logits.data.subarray(pos * V, (pos + 1) * V);
      const mx = Math.max(...row);
      const lse = mx + Math.log(Array.from(row).reduce((s, x) => s + Math.exp(x - mx), 0));
      t.true(Math.abs(row[tok] - lse - batch[i].logprobs[k]) < 1e-4);
      t.is(row.indexOf(mx), tok, 'greedy picks the argmax');
    });
  }
  m.dispose();
});

test('beam width 1 equals greedy; wider beams return consistent hypotheses', async (t) => {
  const m = await trainedModel();
  const greedy = await m.generate(prompts, { maxNewTokens: 12, eosIds: [EOS], padId: PAD });
  const beam1 = await m.generate(prompts, { maxNewTokens: 12, eosIds: [EOS], padId: PAD, beams: 1, useCache: true });
  t.deepEqual(beam1.map((g) => [...g.tokens]), greedy.map((g) => [...g.tokens]));
  const beam3 = await m.generate(prompts, { maxNewTokens: 12, eosIds: [EOS], padId: PAD, beams: 3 });
  const beam3nc = await m.generate(prompts, { maxNewTokens: 12, eosIds: [EOS], padId: PAD, beams: 3, useCache: false });
  t.deepEqual(beam3.map((g) => [...g.tokens]), beam3nc.map((g) => [...g.tokens]), 'beam search with and without cache agree');
  // each hypothesis' log-probs are the model's log-probs of those tokens (teacher-forced forward)
  const V = TINY.vocabSize;
  for (let i = 0; i < prompts.length; i++) {
    const seq = [...prompts[i], ...beam3[i].tokens];
    const f = await m.forward({ inputIds: Int32Array.from(seq), labels: Int32Array.from(seq), batchSize: 1, seqLen: seq.length });
    beam3[i].tokens.forEach((tok, k) => {
      const pos = prompts[i].length - 1 + k;
      const row = f.logits.data.subarray(pos * V, (pos + 1) * V);
      const mx = Math.max(...row);
      const lse = mx + Math.log(Array.from(row).reduce((a, x) => a + Math.exp(x - mx), 0));
      t.true(Math.abs(row[tok] - lse - beam3[i].logprobs[k]) < 1e-4);
    });
  }
  m.dispose();
});

test('attention of generated tokens over the prompt and streaming callbacks', async (t) => {
  const m = await trainedModel();
  const steps: number[][] = [];
  const g = await m.generate(prompts.slice(0, 2), {
    maxNewTokens: 6, eosIds: [], padId: PAD, attentionLayers: [1],
    onToken: (step, toks) => steps.push([step, ...toks]),
  });
  t.is(steps.length, 6);
  t.deepEqual(steps.map((s) => s[0]), [0, 1, 2, 3, 4, 5]);
  t.deepEqual(steps.map((s) => s[1]), [...g[0].tokens]);
  for (let i = 0; i < 2; i++) {
    const a = g[i].attention!['1'];
    t.deepEqual(a.shape, [6, TINY.heads, prompts[i].length]);
    for (let k = 0; k < 6; k++)
      for (let h = 0; h < TINY.heads; h++) {
        let s = 0;
        for (let p = 0; p < prompts[i].length; p++) s += a.data[(k * TINY.heads + h) * prompts[i].length + p];
        t.true(s > 0 && s <= 1 + 1e-5, `mass on the prompt ${s}`);
        if (k === 0) t.true(Math.abs(s - 1) < 1e-5, 'the first token attends only to the prompt');
      }
  }
  await t.throwsAsync(m.generate([[1, 2, 99]], {}), { message: /outside the vocabulary/ });
  await t.throwsAsync(m.generate([[1]], { beams: 2, attentionLayers: [0] }), { message: /greedy/ });
  m.dispose();
});
