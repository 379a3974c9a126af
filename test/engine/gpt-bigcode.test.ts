import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { expectedTensorNames } from '../../src/model/config.ts';
import { native } from '../../src/native/index.ts';
import { tempDir, randomBatch } from '../helpers/tiny-model.ts';
import { Rng } from '../../src/util/rng.ts';

const SHAPE = { arch: 'gpt_bigcode' as const, vocabSize: 23, hiddenSize: 12, layers: 2, heads: 3, intermediateSize: 20, maxPositions: 32 };

/** Float64 re-computation of HF GPTBigCode (multi-query): wte+wpe, LN, fused c_attn, gelu-tanh. */
function reference(p: Map<string, Float64Array>, ids: number[], mask: number[]): number[][] {
  const E = SHAPE.hiddenSize, H = SHAPE.heads, D = E / H, I = SHAPE.intermediateSize, V = SHAPE.vocabSize;
  const lin = (x: Float64Array, w: Float64Array, b: Float64Array | undefined, out: number, inp: number) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) { let s = b ? b[o] : 0; for (let i = 0; i < inp; i++) s += w[o * inp + i] * x[i]; y[o] = s; }
    return y;
  };
  const ln = (x: Float64Array, w: Float64Array, b: Float64Array) => {
    const m = x.reduce((a, v) => a + v, 0) / x.length;
    const v = x.reduce((a, q) => a + (q - m) ** 2, 0) / x.length;
    return x.map((q, i) => ((q - m) / Math.sqrt(v + 1e-5)) * w[i] + b[i]);
  };
  const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  let cs = 0;
  const pos = mask.map((m) => { cs += m; return Math.max(cs - 1, 0); });
  const wte = p.get('transformer.wte.weight')!, wpe = p.get('transformer.wpe.weight')!;
  let h = ids.map((id, t) => Float64Array.from({ length: E }, (_, i) => wte[id * E + i] + wpe[pos[t] * E + i]));
  const T = ids.length;
  for (let l = 0; l < SHAPE.layers; l++) {
    const P = (n: string) => p.get(`transformer.h.${l}.${n}`)!;
    const x = h.map((v) => ln(v, P('ln_1.weight'), P('ln_1.bias')));
    const qkv = x.map((v) => lin(v, P('attn.c_attn.weight'), P('attn.c_attn.bias'), E + 2 * D, E));
    const att = h.map(() => new Float64Array(E));
    for (let hd = 0; hd < H; hd++)
      for (let t = 0; t < T; t++) {
        const sc: number[] = [];
        for (let s = 0; s < T; s++) {
          if (s > t || !mask[s]) { sc.push(-Infinity); continue; }
          let d = 0;
          for (let i = 0; i < D; i++) d += qkv[t][hd * D + i] * qkv[s][E + i];
          sc.push(d / Math.sqrt(D));
        }
        const m = Math.max(...sc), ex = sc.map((z) => (z === -Infinity ? 0 : Math.exp(z - m))), zs = ex.reduce((a, b) => a + b, 0);
        for (let s = 0; s < T; s++) for (let i = 0; i < D; i++) att[t][hd * D + i] += (ex[s] / zs) * qkv[s][E + D + i];
      }
    h = h.map((v, t) => {
      const o = lin(att[t], P('attn.c_proj.weight'), P('attn.c_proj.bias'), E, E);
      const r = v.map((q, i) => q + o[i]);
      const n = ln(r, P('ln_2.weight'), P('ln_2.bias'));
      const f = lin(n, P('mlp.c_fc.weight'), P('mlp.c_fc.bias'), I, E).map(gelu);
      const d = lin(f, P('mlp.c_proj.weight'), P('mlp.c_proj.bias'), E, I);
      return r.map((q, i) => q + d[i]);
    });
  }
  return h.map((v) => Array.from(lin(ln(v, p.get('transformer.ln_f.weight')!, p.get('transformer.ln_f.bias')!), wte, undefined, V, E)));
}

test('GPTBigCode: HF tensor names, forward equals a float64 re-computation, KV-cache generation, LoRA on c_attn/c_proj/c_fc', async (t) => {
  const dir = tempDir();
  (await Model.create(dir, SHAPE, { seed: 2 })).dispose();
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const st = native().readSafetensors(join(dir, 'model.safetensors'));
  t.deepEqual(Object.keys(st.tensors).sort(), expectedTensorNames(cfg).sort());
  t.deepEqual(st.tensors['transformer.h.0.attn.c_attn.weight'].shape, [12 + 2 * 4, 12]);
  const m = await Model.load(dir, { dtype: 'float64' });
  // give LayerNorms and biases non-trivial values so the test sees them
  const r = new Rng(1);
  const p = new Map<string, Float64Array>();
  for (const ti of m.info().tensors) {
    let v = Float64Array.from(m.getParameter(ti.name).data);
    if (ti.name.endsWith('.bias') || ti.name.includes('ln_')) { v = v.map((x) => x + 0.1 * r.normal()); m.setParameter(ti.name, v); }
    p.set(ti.name, v);
  }
  const b = randomBatch(SHAPE.vocabSize, 2, 7);
  const res = await m.forward(b);
  let maxErr = 0;
  for (let bi = 0; bi < 2; bi++) {
    const ids = Array.from(b.inputIds.subarray(bi * 7, bi * 7 + 7)), mask = Array.from((b.attentionMask as Int32Array).subarray(bi * 7, bi * 7 + 7));
    const ref = reference(p, ids, mask);
    for (let ti = 0; ti < 7; ti++) if (mask[ti]) for (let v = 0; v < SHAPE.vocabSize; v++)
      maxErr = Math.max(maxErr, Math.abs(res.logits.data[(bi * 7 + ti) * SHAPE.vocabSize + v] - ref[ti][v]));
  }
  t.true(maxErr < 1e-10, `max |logit diff| ${maxErr}`);
  const prompts = [[1, 2, 3], [4, 5, 6, 7, 8]];
  const g1 = await m.generate(prompts, { maxNewTokens: 8 });
  const g2 = await m.generate(prompts, { maxNewTokens: 8, useCache: false });
  t.deepEqual(g1.map((g) => [...g.tokens]), g2.map((g) => [...g.tokens]));
  // PEFT's default target for gpt_bigcode is c_attn; 'all-linear' adapts every projection.
  const li = m.addLora({ r: 2, seed: 1 });
  t.deepEqual(li.targetModules, ['c_attn']);
  m.dispose();
  const m2 = await Model.load(dir, { dtype: 'float64' });
  const all = m2.addLora({ r: 2, seed: 1, targetModules: 'all-linear' });
  t.true(all.tensors.includes('base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight'));
  t.true(all.tensors.includes('base_model.model.transformer.h.0.attn.c_proj.lora_A.weight'));
  t.true(all.tensors.includes('base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight'));
  m2.dispose();
});
