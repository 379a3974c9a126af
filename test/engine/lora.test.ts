import test from 'ava';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { native, type NativeBatch } from '../../src/native/index.ts';
import { CheckpointError } from '../../src/native/errors.ts';
import { tempDir, randomBatch, tinyModel, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';
import { Rng } from '../../src/util/rng.ts';

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A batch with a path mask on some target positions. */
function pathBatch(seed = 5): NativeBatch {
  const b = randomBatch(TINY.vocabSize, 2, 9, seed);
  const r = new Rng(seed + 1);
  const pathMask = new Uint8Array(b.inputIds.length);
  for (let i = 0; i < pathMask.length; i++) pathMask[i] = r.next() < 0.4 ? 1 : 0;
  pathMask[2] = 1; pathMask[3] = 0; pathMask[9 + 2] = 1; pathMask[9 + 3] = 0; // both rows have path and non-path loss tokens
  return { ...b, pathMask };
}

test('a fresh adapter leaves outputs bit-identical; training moves only the adapters; adapters-off is the base model', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 2 });
  const b = pathBatch();
  const base = await model.forward(b);
  const info = model.addLora({ r: 4, alpha: 8, seed: 3, targetModules: 'all-linear' });
  t.is(info.tensors.length, 2 * 7 * TINY.layers);
  t.true(info.tensors.includes('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'));
  t.true(same((await model.forward(b)).logits.data, base.logits.data));
  const w0 = model.getParameter('model.layers.0.mlp.up_proj.weight').data.slice();
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-2 });
  for (let i = 0; i < 5; i++) await tr.step(b);
  t.true(same(model.getParameter('model.layers.0.mlp.up_proj.weight').data, w0), 'base weights are frozen');
  t.false(same((await model.forward(b)).logits.data, base.logits.data), 'adapters changed the output');
  t.true(same((await model.forward(b, { adaptersOff: true })).logits.data, base.logits.data), 'adapters off = base, bit for bit');
  model.dispose();
});

test('a saved adapter loads back bit-identical in PEFT format', async (t) => {
  const { model, dir: baseDir } = await tinyModel(TINY, { seed: 4 });
  const mdir = tempDir();
  await model.save(mdir);
  model.addLora({ r: 2, alpha: 4, targetModules: ['q_proj', 'v_proj'], seed: 1 });
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 2e-2 });
  const b = pathBatch(8);
  for (let i = 0; i < 4; i++) await tr.step(b);
  const adir = tempDir();
  await model.saveAdapter(adir, { baseModel: 'my/base' });
  const cfg = JSON.parse(readFileSync(join(adir, 'adapter_config.json'), 'utf8'));
  t.like(cfg, { peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 2, lora_alpha: 4, base_model_name_or_path: 'my/base' });
  t.deepEqual(cfg.target_modules, ['q_proj', 'v_proj']);
  const st = native().readSafetensors(join(adir, 'adapter_model.safetensors'));
  t.deepEqual(Object.keys(st.tensors).sort()[0], 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
  t.deepEqual(st.tensors['base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'].shape, [TINY.kvHeads! * 4, 2]);
  const fresh = await Model.load(mdir);
  await fresh.loadAdapter(adir);
  t.true(same((await fresh.forward(b)).logits.data, (await model.forward(b)).logits.data));
  // merged into a plain HF checkpoint: same function (up to float rounding), loads without adapters
  await fresh.mergeLora();
  const merged = tempDir();
  await fresh.save(merged);
  const m2 = await Model.load(merged);
  const x = (await m2.forward(b)).logits.data, y = (await model.forward(b)).logits.data;
  let maxd = 0;
  for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(x[i] - y[i]));
  t.true(maxd < 1e-4, `merged vs adapter logits ${maxd}`);
  t.is(m2.lora, null);
  void baseDir;
  for (const m of [model, fresh, m2]) m.dispose();
});

test('an adapter written with PEFT naming by an independent fixture loads and equals W + (alpha/r)·B·A', async (t) => {
  const { model: base } = await tinyModel({ ...TINY, layers: 1 }, { seed: 6, dtype: 'float64' });
  const mdir = tempDir();
  await base.save(mdir);
  const r = 2, alpha = 6, name = 'model.layers.0.self_attn.o_proj';
  const W = Float64Array.from(base.getParameter(`${name}.weight`).data);
  const out = TINY.hiddenSize, inp = TINY.hiddenSize;
  const rng = new Rng(9);
  const A = Float32Array.from({ length: r * inp }, () => rng.normal() * 0.1);
  const B = Float32Array.from({ length: out * r }, () => rng.normal() * 0.1);
  const adir = tempDir();
  mkdirSync(adir, { recursive: true });
  writeFileSync(join(adir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r, lora_alpha: alpha, lora_dropout: 0.05, target_modules: ['o_proj'], bias: 'none', base_model_name_or_path: 'x' }));
  native().writeSafetensors(join(adir, 'adapter_model.safetensors'), {
    [`base_model.model.${name}.lora_A.weight`]: { data: A, shape: [r, inp] },
    [`base_model.model.${name}.lora_B.weight`]: { data: B, shape: [out, r] },
  });
  const withAdapter = await Model.load(mdir, { dtype: 'float64' });
  const li = await withAdapter.loadAdapter(adir);
  t.deepEqual(li.targetModules, ['o_proj']);
  // the same function by hand: W' = W + (alpha/r)·B·A
  const Wm = Float64Array.from(W);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += B[o * r + k] * A[k * inp + i];
    Wm[o * inp + i] += (alpha / r) * s;
  }
  base.setParameter(`${name}.weight`, Wm);
  const b = randomBatch(TINY.vocabSize, 2, 7);
  const x = (await withAdapter.forward(b)).logits.data, y = (await base.forward(b)).logits.data;
  let maxd = 0;
  for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(x[i] - y[i]));
  t.true(maxd < 1e-6, `max diff ${maxd}`);
  // a tensor that matches no module is refused with the file named
  native().writeSafetensors(join(adir, 'adapter_model.safetensors'), {
    [`base_model.model.${name}.lora_A.weight`]: { data: A, shape: [r, inp] },
    [`base_model.model.${name}.lora_B.weight`]: { data: B, shape: [out, r] },
    ['base_model.model.model.layers.0.mlp.up_proj.lora_A.weight']: { data: A, shape: [r, inp] },
  });
  const again = await Model.load(mdir, { dtype: 'float64' });
  await t.throwsAsync(again.loadAdapter(adir), { instanceOf: CheckpointError, message: /adapter_model\.safetensors: tensor "base_model\.model\.model\.layers\.0\.mlp\.up_proj\.lora_A\.weight" matches no LoRA module/ });
  for (const m of [base, withAdapter, again]) m.dispose();
});

test('L_pref = ln 2 at initialisation and its gradient matches finite differences', async (t) => {
  const { model } = await tinyModel({ ...TINY, layers: 1 }, { seed: 12, dtype: 'float64' });
  model.addLora({ r: 2, alpha: 4, seed: 5, targetModules: 'all-linear' });
  const b = pathBatch(3);
  const f0 = await model.forward(b, { reference: true });
  t.is(f0.pref, Math.log(2));
  t.is(f0.prefSequences, 2);
  // move B off zero so the preference term has a non-trivial gradient
  const rng = new Rng(2);
  for (const n of model.lora!.tensors) {
    if (!n.includes('lora_B')) continue;
    const cur = model.getParameter(n).data;
    model.setParameter(n, Float64Array.from(cur, () => 0.05 * rng.normal()));
  }
  const gamma = 0.7, beta = 0.5;
  const res = await model.forward(b, { reference: true, grads: true, gamma, beta });
  t.true(res.pref! !== Math.log(2));
  t.true(Math.abs(res.total - (res.loss + gamma * res.pref!)) < 1e-12);
  const eps = 1e-5;
  let checked = 0;
  for (const name of ['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', 'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight']) {
    const g = res.grads![name].data;
    const w = Float64Array.from(model.getParameter(name).data);
    for (const i of [0, 3, g.length - 1]) {
      const o = w[i];
      w[i] = o + eps; model.setParameter(name, w);
      const lp = (await model.forward(b, { reference: true, gamma, beta })).total;
      w[i] = o - eps; model.setParameter(name, w);
      const lm = (await model.forward(b, { reference: true, gamma, beta })).total;
      w[i] = o; model.setParameter(name, w);
      const fd = (lp - lm) / (2 * eps);
      // float64 central differences: truncation O(eps²) and round-off ~1e-16·L/eps ≈ 1e-10
      t.true(Math.abs(fd - g[i]) <= 1e-6 * Math.max(Math.abs(fd), Math.abs(g[i])) + 1e-9, `${name}[${i}]: ${g[i]} vs fd ${fd}`);
      checked++;
    }
  }
  t.is(checked, 6);
  model.dispose();
});

test('a training step with γ > 0 reports sft, pref (ln 2 at step 1) and their sum; full fine-tuning keeps a frozen reference', async (t) => {
  for (const lora of [true, false]) {
    const { model } = await tinyModel(TINY, { seed: 3 });
    if (lora) model.addLora({ r: 4, seed: 1 });
    const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-2, gamma: 0.1, beta: 0.1 });
    const b = pathBatch(4);
    const s1 = await tr.step(b);
    t.true(Math.abs(s1.pref - Math.log(2)) < 1e-6, `pref at step 1 = ${s1.pref}`);
    t.true(Math.abs(s1.loss - (s1.sft + 0.1 * s1.pref)) < 1e-6);
    let s = s1;
    for (let i = 0; i < 10; i++) s = await tr.step(b);
    t.true(s.pref < Math.log(2), `pref falls as the policy moves toward path tokens: ${s.pref}`);
    t.is(s.prefSequences, 2);
    model.dispose();
  }
});

test('without targetModules, addLora uses PEFT\'s default for the family (LoraConfig without target_modules)', async (t) => {
  const { model } = await tinyModel(TINY, { seed: 2 });
  const info = model.addLora({ r: 2 });
  t.deepEqual(info.targetModules, ['q_proj', 'v_proj']);
  t.deepEqual(info.modules.map((m) => m.path), ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
  t.like(info.modules[0], { r: 2, alpha: 16, scaling: 8 });
  model.dispose();
});
