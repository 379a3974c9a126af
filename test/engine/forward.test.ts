import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyModel, randomBatch, TINY } from '../helpers/tiny-model.ts';
import { referenceForward, type RefConfig } from './reference-forward.ts';
import type { Model } from '../../src/model/model.ts';

async function params(model: Model): Promise<Map<string, Float64Array>> {
  const p = new Map<string, Float64Array>();
  for (const t of model.info().tensors) p.set(t.name, Float64Array.from(model.getParameter(t.name).data));
  return p;
}

function rows(a: Int32Array, B: number, T: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from(a.subarray(b * T, (b + 1) * T)));
}

const cases: Array<[string, Parameters<typeof tinyModel>[0], Record<string, unknown>]> = [
  ['llama GQA', TINY, {}],
  ['llama tied + llama3 rope scaling', { ...TINY, tieEmbeddings: true },
    { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 4 }, rope_theta: 500000 }],
  ['llama linear rope scaling', TINY, { rope_scaling: { type: 'linear', factor: 2 } }],
  ['qwen2 (q/k/v biases)', { ...TINY, arch: 'qwen2' }, {}],
];

for (const [name, shape, extra] of cases) {
  test(`forward matches an independent float64 re-computation: ${name}`, async (t) => {
    const { model, configPath } = await tinyModel(shape, { dtype: 'float64', extra, seed: 3 });
    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as RefConfig;
    const p = await params(model);
    if (shape!.arch === 'qwen2') {
      // Fresh biases are zero; give them values so the test sees whether they are applied.
      for (const [k, v] of p) if (k.endsWith('.bias')) { for (let i = 0; i < v.length; i++) v[i] = 0.1 * Math.sin(i + 1); model.setParameter(k, v); }
    }
    const b = randomBatch(shape!.vocabSize, 2, 7);
    const res = await model.forward(b);
    const ref = referenceForward(cfg, p, rows(b.inputIds, 2, 7), rows(b.attentionMask as Int32Array, 2, 7));
    const V = shape!.vocabSize;
    let maxErr = 0;
    for (let bi = 0; bi < 2; bi++)
      for (let ti = 0; ti < 7; ti++) {
        if (!(b.attentionMask as Int32Array)[bi * 7 + ti]) continue; // padding rows: no defined output
        for (let v = 0; v < V; v++) maxErr = Math.max(maxErr, Math.abs(res.logits.data[(bi * 7 + ti) * V + v] - ref[bi][ti][v]));
      }
    t.true(maxErr < 1e-10, `max |logit diff| = ${maxErr}`);
    model.dispose();
  });
}

test('attention probabilities are causal, respect padding and rows sum to 1', async (t) => {
  const { model } = await tinyModel();
  const B = 2, T = 9;
  const b = randomBatch(TINY.vocabSize, B, T);
  const res = await model.forward(b, { attentionLayers: [0, 1] });
  t.deepEqual(Object.keys(res.attention!).sort(), ['0', '1']);
  for (const layer of ['0', '1']) {
    const a = res.attention![layer];
    t.deepEqual(a.shape, [B, TINY.heads, T, T]);
    for (let bi = 0; bi < B; bi++)
      for (let h = 0; h < TINY.heads; h++)
        for (let q = 0; q < T; q++) {
          let sum = 0;
          for (let k = 0; k < T; k++) {
            const p = a.data[((bi * TINY.heads + h) * T + q) * T + k];
            sum += p;
            if (k > q) t.is(p, 0, `future key ${k} for query ${q}`);
            const padded = !(b.attentionMask as Int32Array)[bi * T + k];
            if (padded && (b.attentionMask as Int32Array)[bi * T + q]) t.is(p, 0, 'padded key gets attention');
          }
          t.true(Math.abs(sum - 1) < 1e-5, `row sum ${sum}`);
        }
  }
  model.dispose();
});

test('weighted CE: all-ones weights equal the plain mean CE recomputed from the logits', async (t) => {
  const { model } = await tinyModel(TINY, { dtype: 'float64' });
  const b = randomBatch(TINY.vocabSize);
  const ones = { ...b, weights: new Float32Array(b.inputIds.length).fill(1) };
  const r1 = await model.forward(ones);
  const V = TINY.vocabSize, T = b.seqLen;
  let sum = 0, n = 0, wsum = 0, wn = 0;
  const ces: number[] = [];
  for (let bi = 0; bi < b.batchSize; bi++)
    for (let ti = 0; ti < T - 1; ti++) {
      const label = b.labels[bi * T + ti + 1];
      if (label === -100) continue;
      const off = (bi * T + ti) * V;
      let m = -Infinity;
      for (let v = 0; v < V; v++) m = Math.max(m, r1.logits.data[off + v]);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(r1.logits.data[off + v] - m);
      const ce = m + Math.log(z) - r1.logits.data[off + label];
      ces.push(ce);
      sum += ce; n++;
      const w = b.weights![bi * T + ti + 1];
      wsum += w * ce; wn += w;
    }
  t.true(Math.abs(r1.loss - sum / n) < 1e-12, `${r1.loss} vs ${sum / n}`);
  t.is(r1.tokens, n);
  const r2 = await model.forward(b);
  t.true(Math.abs(r2.loss - wsum / n) < 1e-6, 'Σ w·CE / N');
  const r3 = await model.forward(b, { normalizeByWeights: true });
  t.true(Math.abs(r3.loss - wsum / wn) < 1e-6, 'Σ w·CE / Σ w');
  // per-token CE: zero where no loss, equal to the recomputation elsewhere
  const tc = r2.tokenCe.data;
  t.deepEqual(r2.tokenCe.shape, [b.batchSize, T - 1]);
  t.is(tc[0], tc[0]);
  t.is(tc[0 * (T - 1) + 0], 0, 'labels[1] = -100 gives CE 0 at position 0');
  t.true(Math.abs(tc[1] - ces[0]) < 1e-12);
  model.dispose();
});
