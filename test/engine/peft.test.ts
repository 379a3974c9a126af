/**
 * PEFT adapters exactly as PEFT 0.21 writes them (fixtures: scripts/fixtures/make_adapters.py →
 * test/fixtures/hf/peft/): our loader must adapt the same modules with the same r, alpha and
 * scaling as PEFT, so base + adapter logits equal PEFT's float64 reference; what we do not
 * implement is refused naming the file and field; our saved adapters read back (here and, per the
 * generator's dev loop, in PEFT); `model merge` writes a plain HF folder with the same function.
 */
import test from 'ava';
import { cpSync, readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Model } from '../../src/model/model.ts';
import { native, type NativeBatch } from '../../src/native/index.ts';
import { CheckpointError, EngineArgumentError } from '../../src/native/errors.ts';
import { mergeAdapter } from '../../src/cli/commands/model/merge.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { tempDir, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';

const FIX = fileURLToPath(new URL('../fixtures/hf/peft/', import.meta.url));
const fx = (...p: string[]) => join(FIX, ...p);

/** The reference input ids [B, T] and PEFT's float64 logits [B, T, V]. */
function reference(adapter: string): { batch: NativeBatch; logits: Float64Array } {
  const st = native().readSafetensors(fx(adapter, 'reference.safetensors'));
  const ids = st.tensors.input_ids;
  const [B, T] = ids.shape;
  const inputIds = Int32Array.from(ids.data as BigInt64Array, (x) => Number(x));
  const batch: NativeBatch = {
    inputIds, labels: Int32Array.from(inputIds), weights: new Float32Array(B * T).fill(1),
    attentionMask: new Int32Array(B * T).fill(1), batchSize: B, seqLen: T,
  };
  return { batch, logits: st.tensors.logits.data as Float64Array };
}

/** max |x − y| / max |y|. */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i] - y[i]));
    s = Math.max(s, Math.abs(y[i]));
  }
  return d / s;
}

const baseOf = (adapter: string) => JSON.parse(readFileSync(fx(adapter, 'adapter_config.json'), 'utf8')).base_model_name_or_path as string;
const adapterModuleCount = (dir: string) =>
  Object.keys(native().readSafetensors(join(dir, 'adapter_model.safetensors')).tensors).filter((k) => k.includes('.lora_A.')).length;

async function logitsWith(adapterDir: string, base: string): Promise<{ logits: Float64Array; model: Model }> {
  const model = await Model.load(fx(base), { dtype: 'float64' });
  await model.loadAdapter(adapterDir);
  return { logits: (await model.forward(reference('llama-all-layers').batch)).logits.data as Float64Array, model };
}

const ADAPTERS = readdirSync(FIX).filter((d) => existsSync(fx(d, 'reference.safetensors')));

test('the fixtures cover every selection rule', (t) => {
  for (const a of ['llama-all-layers', 'llama-layers-to-transform', 'llama-layers-pattern', 'llama-regex', 'llama-rank-pattern',
    'llama-rslora', 'llama-all-linear', 'llama-full-names', 'llama-mixed-names-layers', 'llama-exclude', 'qwen2-all', 'gpt_bigcode-all'])
    t.true(ADAPTERS.includes(a), a);
});

for (const adapter of ADAPTERS) {
  test(`PEFT-saved adapter ${adapter}: same modules and logits as PEFT (float64)`, async (t) => {
    const { batch, logits: ref } = reference(adapter);
    const model = await Model.load(fx(baseOf(adapter)), { dtype: 'float64' });
    const base = (await model.forward(batch)).logits.data as Float64Array;
    const info = await model.loadAdapter(fx(adapter));
    t.is(info.modules.length, adapterModuleCount(fx(adapter)), 'as many adapted modules as PEFT saved');
    const got = (await model.forward(batch)).logits.data as Float64Array;
    const e = relErr(got, ref);
    t.true(e <= 1e-6, `relative error ${e}`);
    t.log(`relative error ${e.toExponential(2)}`);
    t.true(relErr(base, ref) > 1e-3, 'the adapter changes the logits (the comparison is not vacuous)');
    model.dispose();
  });
}

test('per-module r, alpha and scaling are PEFT\'s (layers_to_transform, rank/alpha patterns, rsLoRA, full names)', async (t) => {
  const info = async (a: string) => {
    const m = await Model.load(fx(baseOf(a)));
    const i = await m.loadAdapter(fx(a));
    m.dispose();
    return Object.fromEntries(i.modules.map((x) => [x.path, x]));
  };
  const ltt = await info('llama-layers-to-transform');
  t.deepEqual(Object.keys(ltt), ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.0.mlp.down_proj']);
  const rp = await info('llama-rank-pattern');
  t.like(rp['model.layers.0.self_attn.q_proj'], { r: 2, alpha: 8, scaling: 4 });
  t.like(rp['model.layers.1.mlp.down_proj'], { r: 6, alpha: 8 });
  t.like(rp['model.layers.0.mlp.down_proj'], { r: 4, alpha: 5 });
  t.like(rp['model.layers.1.self_attn.v_proj'], { r: 4, alpha: 3 });
  t.like(rp['model.layers.1.mlp.up_proj'], { r: 4, alpha: 8, scaling: 2 });
  const rs = await info('llama-rslora');
  t.like(rs['model.layers.1.self_attn.o_proj'], { r: 4, alpha: 8, scaling: 4 });
  const mixed = await info('llama-mixed-names-layers');
  t.deepEqual(Object.keys(mixed), ['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.o_proj'], 'a full name ignores layers_to_transform');
  t.deepEqual(Object.keys(await info('llama-exclude')).length, 3);
});

test('refused: modules_to_save, DoRA, Python-only regex syntax, missing tensors, wrong shapes (model left unchanged)', async (t) => {
  const model = await Model.load(fx('base-llama'));
  await t.throwsAsync(model.loadAdapter(fx('refuse-modules-to-save')), { instanceOf: CheckpointError, message: /adapter_config\.json: field "modules_to_save"/ });
  await t.throwsAsync(model.loadAdapter(fx('refuse-dora')), { instanceOf: CheckpointError, message: /adapter_config\.json: field "use_dora"/ });
  t.is(model.lora, null);
  const edited = (from: string, patch: Record<string, unknown>) => {
    const d = join(tempDir(), from);
    cpSync(fx(from), d, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(d, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(d, 'adapter_config.json'), JSON.stringify({ ...cfg, ...patch }));
    return d;
  };
  for (const [pattern, construct] of [['(?i).*Q_PROJ', '\\(\\?i'], ['.*(?<=self_attn\\.)q_proj', '\\(\\?<='], ['(?P<a>.*)\\.(?P=a)', '\\(\\?P=name\\)'], ['.*q_proj++', '\\+\\+']]) {
    await t.throwsAsync(model.loadAdapter(edited('llama-regex', { target_modules: pattern })), {
      instanceOf: CheckpointError, message: new RegExp(`adapter_config\\.json: field "target_modules": regex .* uses ${construct}`),
    }, pattern);
  }
  await t.throwsAsync(model.loadAdapter(edited('llama-layers-to-transform', { layers_to_transform: [0, 1] })), {
    instanceOf: CheckpointError, message: /adapter_model\.safetensors: missing adapter tensor "base_model\.model\.model\.layers\.1\.self_attn\.q_proj\.lora_A\.weight"/,
  });
  await t.throwsAsync(model.loadAdapter(edited('llama-all-layers', { r: 3 })), { instanceOf: CheckpointError, message: /has shape \[4, 32\] but .* imply \[3, 32\]/ });
  await t.throwsAsync(model.loadAdapter(edited('llama-all-layers', { lora_bias: true })), { instanceOf: CheckpointError, message: /field "lora_bias"/ });
  await t.throwsAsync(model.loadAdapter(edited('llama-all-layers', { init_lora_weights: 'pissa' })), { instanceOf: CheckpointError, message: /field "init_lora_weights"/ });
  await t.throwsAsync(model.loadAdapter(edited('llama-all-layers', { some_future_option: 2 })), { instanceOf: CheckpointError, message: /field "some_future_option" = 2 is unknown/ });
  t.is(model.lora, null, 'a refused adapter leaves no adapter behind');
  // harmless values load: a future field that is off, init_lora_weights "gaussian"
  await model.loadAdapter(edited('llama-all-layers', { some_future_option: null, init_lora_weights: 'gaussian' }));
  t.is(model.lora?.modules.length, 14);
  model.dispose();
  // A Python named group is translated ((?P<n>…) → (…)): same modules, same logits as the fixture.
  const named = edited('llama-regex', { target_modules: '(?P<stack>.*\\.layers\\.1\\.)(self_attn\\.(q|k)_proj|mlp\\.down_proj)\\Z' });
  const { logits, model: m2 } = await logitsWith(named, 'base-llama');
  t.true(relErr(logits, reference('llama-regex').logits) <= 1e-6);
  m2.dispose();
});

test('addLora takes PEFT options; the saved adapter has PEFT 0.21\'s fields, records the base as typed, and loads back equal', async (t) => {
  const typed = 'test/fixtures/hf/peft/base-llama';  // relative, as a user would type it
  const model = await Model.load(typed, { dtype: 'float64' });
  const li = model.addLora({
    r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'], layersToTransform: [1],
    rankPattern: { v_proj: 2 }, alphaPattern: { down_proj: 3 }, useRslora: true, seed: 3,
  });
  t.deepEqual(li.modules.map((m) => [m.path, m.r, m.alpha]), [
    ['model.layers.1.self_attn.q_proj', 4, 8], ['model.layers.1.self_attn.v_proj', 2, 8], ['model.layers.1.mlp.down_proj', 4, 3],
  ]);
  t.is(li.modules[1].scaling, 8 / Math.sqrt(2));
  const { batch } = reference('llama-all-layers');
  const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 5e-2 });
  for (let i = 0; i < 3; i++) await tr.step(batch);
  const dir = tempDir();
  await model.saveAdapter(dir);
  const ours = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  const peft = JSON.parse(readFileSync(fx('llama-rank-pattern', 'adapter_config.json'), 'utf8'));
  t.deepEqual(Object.keys(ours), Object.keys(peft), 'the same fields, in the same (sorted) order, as PEFT writes');
  t.like(ours, {
    base_model_name_or_path: typed, r: 4, lora_alpha: 8, use_rslora: true, layers_to_transform: [1], rank_pattern: { v_proj: 2 },
    alpha_pattern: { down_proj: 3 }, target_modules: ['q_proj', 'v_proj', 'down_proj'], peft_type: 'LORA', task_type: 'CAUSAL_LM',
  });
  const fresh = await Model.load(typed, { dtype: 'float64' });
  await fresh.loadAdapter(dir);
  const x = (await fresh.forward(batch)).logits.data, y = (await model.forward(batch)).logits.data;
  t.deepEqual(Buffer.from(x.buffer), Buffer.from(y.buffer), 'bit-identical after the round trip (float64 adapters stored as F64)');
  for (const m of [model, fresh]) m.dispose();
  // an explicit baseModel (an HF id) is written as given
  const m3 = await Model.load(fx('base-llama'));
  m3.addLora({ targetModules: 'all-linear' });
  t.is(m3.lora?.modules.length, 14, 'all-linear: every projection, not lm_head');
  await m3.saveAdapter(dir, { baseModel: 'meta-llama/Llama-3.2-1B' });
  t.like(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')), { base_model_name_or_path: 'meta-llama/Llama-3.2-1B', target_modules: 'all-linear' });
  t.throws(() => m3.addLora({ targetModules: ['q_proj'] }), { message: /already has a LoRA adapter/ });
  m3.dispose();
  const m4 = await Model.load(fx('base-llama'));
  t.throws(() => m4.addLora({ targetModules: '(?i)q_proj' }), { instanceOf: EngineArgumentError, message: /addLora options: field "target_modules": regex .* uses \(\?i/ });
  t.throws(() => m4.addLora({ targetModules: ['nothing_here'] }), { instanceOf: EngineArgumentError, message: /matches no linear module/ });
  // PEFT fails on non-linear targets (or adapts embeddings, which we do not): refused, not skipped
  t.throws(() => m4.addLora({ targetModules: '.*\\.mlp\\..*' }), { instanceOf: EngineArgumentError, message: /selects "model\.layers\.0\.mlp\.act_fn", which is not a linear projection/ });
  t.throws(() => m4.addLora({ targetModules: ['q_proj', 'embed_tokens'] }), { instanceOf: EngineArgumentError, message: /selects "model\.embed_tokens"/ });
  t.throws(() => m4.addLora({ targetModules: ['mlp'] }), { instanceOf: EngineArgumentError, message: /selects "model\.layers\.0\.mlp"/ });
  t.is(m4.lora, null);
  m4.dispose();
});

test('a PEFT adapter saved again by us keeps its tensors and config fields', async (t) => {
  for (const a of ['llama-rank-pattern', 'llama-layers-pattern', 'gpt_bigcode-all']) {
    const model = await Model.load(fx(baseOf(a)));
    await model.loadAdapter(fx(a));
    const dir = tempDir();
    await model.saveAdapter(dir, { baseModel: baseOf(a) });
    const theirs = native().readSafetensors(fx(a, 'adapter_model.safetensors')).tensors;
    const ours = native().readSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
    t.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), a);
    for (const k of Object.keys(theirs)) {
      t.deepEqual(ours[k].shape, theirs[k].shape);
      t.deepEqual(Buffer.from(ours[k].data.buffer), Buffer.from(theirs[k].data.buffer), `${a} ${k}`);
    }
    t.deepEqual(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')), JSON.parse(readFileSync(fx(a, 'adapter_config.json'), 'utf8')), a);
    model.dispose();
  }
});

test('model merge writes a plain HF folder with base + adapter\'s function (float64) and no adapter tensors', async (t) => {
  for (const a of ['llama-rank-pattern', 'gpt_bigcode-all']) {
    const out = join(tempDir(), 'merged');
    const r = await mergeAdapter({ model: fx(baseOf(a)), adapter: fx(a), out, dtype: 'float64' });
    t.is(r.modules.length, adapterModuleCount(fx(a)));
    const names = Object.keys(native().readSafetensors(join(out, 'model.safetensors')).tensors);
    t.false(names.some((n) => n.includes('lora')), 'no adapter tensors remain');
    t.true(existsSync(join(out, 'config.json')));
    const merged = await Model.load(out, { dtype: 'float64' });
    t.is(merged.lora, null);
    const { batch, logits: ref } = reference(a);
    const e = relErr((await merged.forward(batch)).logits.data as Float64Array, ref);
    t.true(e <= 1e-6, `${a}: merged vs PEFT base+adapter, relative error ${e}`);
    merged.dispose();
  }
});

test('eyemulator model merge from the command line (stored dtype kept, tokenizer files copied)', async (t) => {
  const base = join(tempDir(), 'base');
  cpSync(fx('base-llama'), base, { recursive: true });
  writeFileSync(join(base, 'tokenizer_config.json'), '{"model_max_length": 64}');
  const out = join(tempDir(), 'merged');
  const run = promisify(execFile);
  const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'model', 'merge', '--model', base, '--adapter', fx('llama-all-layers'), '--out', out]);
  t.regex(r.stdout, /merged 14 adapted modules into .* \(float32\); copied tokenizer_config\.json/);
  t.is(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'), '{"model_max_length": 64}');
  const st = native().readSafetensors(join(out, 'model.safetensors'));
  t.is(st.tensors['model.layers.0.self_attn.q_proj.weight'].dtype, 'F32');
  const merged = await Model.load(out, { dtype: 'float64' });
  const { batch, logits: ref } = reference('llama-all-layers');
  const e = relErr((await merged.forward(batch)).logits.data as Float64Array, ref);
  t.true(e <= 1e-5, `float32 merge: relative error ${e}`);
  merged.dispose();
  await t.throwsAsync(run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'model', 'merge', '--model', base, '--adapter', fx('refuse-dora'), '--out', out]), {
    message: /use_dora/,
  });
});
