import test from 'ava';
import { readFileSync, writeFileSync, copyFileSync, mkdirSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { expectedTensorNames, makeHfConfig } from '../../src/model/config.ts';
import { native } from '../../src/native/index.ts';
import { SafetensorsError, CheckpointError, ConfigError } from '../../src/native/errors.ts';
import { tempDir, randomBatch, TINY } from '../helpers/tiny-model.ts';

/** Raw safetensors header (parsed independently of the engine). */
function header(path: string): Record<string, any> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  return JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
}

for (const arch of ['llama', 'qwen2'] as const) {
  test(`model init writes a HF folder whose tensor names and shapes are HF's (${arch})`, async (t) => {
    const dir = tempDir();
    const m = await Model.create(dir, { ...TINY, arch }, { seed: 3 });
    m.dispose();
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    t.is(cfg.architectures[0], arch === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM');
    const h = header(join(dir, 'model.safetensors'));
    const names = Object.keys(h).filter((k) => k !== '__metadata__').sort();
    t.deepEqual(names, expectedTensorNames(cfg).sort());
    t.deepEqual(h['model.layers.1.self_attn.k_proj.weight'].shape, [TINY.kvHeads! * (TINY.hiddenSize / TINY.heads), TINY.hiddenSize]);
    t.deepEqual(h['model.layers.0.mlp.gate_proj.weight'].shape, [TINY.intermediateSize, TINY.hiddenSize]);
    t.is(h['lm_head.weight'].dtype, 'F32');
    if (arch === 'qwen2') t.truthy(h['model.layers.0.self_attn.q_proj.bias']);
    // HF initialisation: N(0, initializer_range) weights, norms 1
    const st = native().readSafetensors(join(dir, 'model.safetensors'));
    const w = st.tensors['model.layers.0.mlp.up_proj.weight'].data as Float32Array;
    const mean = w.reduce((a, x) => a + x, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, x) => a + (x - mean) ** 2, 0) / w.length);
    t.true(Math.abs(sd - 0.02) < 0.003, `std ${sd}`);
    t.true((st.tensors['model.norm.weight'].data as Float32Array).every((x) => x === 1));
  });
}

test('save → load → forward is bit-identical (float32 and bfloat16 storage)', async (t) => {
  const dir = tempDir();
  const m = await Model.create(dir, TINY, { seed: 4 });
  const b = randomBatch(TINY.vocabSize);
  const before = await m.forward(b);
  const again = await Model.load(dir);
  const after = await again.forward(b);
  t.true(Buffer.from(before.logits.data.buffer).equals(Buffer.from(after.logits.data.buffer)));
  t.is(before.loss, after.loss);
  t.deepEqual(again.unusedTensors, []);
  // bf16 round trip: saving in bf16 then loading gives the bf16-rounded weights exactly
  const d2 = tempDir();
  await m.save(d2, { dtype: 'bfloat16' });
  t.is(JSON.parse(readFileSync(join(d2, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const h = header(join(d2, 'model.safetensors'));
  t.is(h['model.norm.weight'].dtype, 'BF16');
  const bf = await Model.load(d2);
  const x = m.getParameter('lm_head.weight').data, y = bf.getParameter('lm_head.weight').data;
  let maxRel = 0;
  for (let i = 0; i < x.length; i++) maxRel = Math.max(maxRel, Math.abs(x[i] - y[i]) / Math.max(Math.abs(x[i]), 1e-6));
  t.true(maxRel < 2 ** -8, `bf16 rounding error ${maxRel}`);
  for (const mm of [m, again, bf]) mm.dispose();
});

test('a sharded checkpoint (model.safetensors.index.json) loads like the single file', async (t) => {
  const dir = tempDir();
  const m = await Model.create(dir, TINY, { seed: 6 });
  const st = native().readSafetensors(join(dir, 'model.safetensors'));
  const shard = tempDir();
  copyFileSync(join(dir, 'config.json'), join(shard, 'config.json'));
  const names = Object.keys(st.tensors);
  const weightMap: Record<string, string> = {};
  const parts = [names.slice(0, 5), names.slice(5)];
  parts.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    native().writeSafetensors(join(shard, file), Object.fromEntries(part.map((n) => [n, st.tensors[n]])), { format: 'pt' });
    for (const n of part) weightMap[n] = file;
  });
  writeFileSync(join(shard, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const s = await Model.load(shard);
  const b = randomBatch(TINY.vocabSize);
  t.is((await s.forward(b)).loss, (await m.forward(b)).loss);
  m.dispose(); s.dispose();
});

// ---- bad inputs: typed errors naming file and tensor; the process survives ----

async function goodDir(): Promise<string> {
  const dir = tempDir();
  (await Model.create(dir, TINY, { seed: 1 })).dispose();
  return dir;
}

/** Rewrites model.safetensors with a modified header (data section unchanged). */
function rewriteHeader(dir: string, edit: (h: Record<string, any>) => void): void {
  const p = join(dir, 'model.safetensors');
  const buf = readFileSync(p);
  const n = Number(buf.readBigUInt64LE(0));
  const h = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  edit(h);
  let text = JSON.stringify(h);
  while ((text.length + 8) % 8) text += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  writeFileSync(p, Buffer.concat([len, Buffer.from(text), buf.subarray(8 + n)]));
}

test('truncated file → SafetensorsError naming the file and tensor', async (t) => {
  const dir = await goodDir();
  const p = join(dir, 'model.safetensors');
  truncateSync(p, statSync(p).size - 100);
  const e = await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError });
  t.regex(e!.message, /model\.safetensors/);
  t.regex(e!.message, /tensor "[^"]+".*truncated/);
  truncateSync(p, 5);
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /truncated file: 5 bytes/ });
});

test('header length past the end of file → SafetensorsError', async (t) => {
  const dir = await goodDir();
  const p = join(dir, 'model.safetensors');
  const buf = readFileSync(p);
  buf.writeBigUInt64LE(BigInt(buf.length * 2), 0);
  writeFileSync(p, buf);
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /header length \d+ runs past the end/ });
});

test('tensor data out of range → SafetensorsError naming the tensor', async (t) => {
  const dir = await goodDir();
  rewriteHeader(dir, (h) => { h['model.norm.weight'].data_offsets = [0, 1e9]; });
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /tensor "model\.norm\.weight".*past the end/ });
});

test('offsets that disagree with the shape → SafetensorsError', async (t) => {
  const dir = await goodDir();
  rewriteHeader(dir, (h) => { const o = h['model.norm.weight'].data_offsets; h['model.norm.weight'].data_offsets = [o[0], o[1] - 4]; });
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /"model\.norm\.weight".*needs 64 bytes/ });
});

test('unknown dtype → SafetensorsError naming the tensor and dtype', async (t) => {
  const dir = await goodDir();
  rewriteHeader(dir, (h) => { h['lm_head.weight'].dtype = 'F8_E4M3'; });
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /"lm_head\.weight".*unknown dtype "F8_E4M3"/ });
});

test('shape that disagrees with config.json → CheckpointError', async (t) => {
  const dir = await goodDir();
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.intermediate_size = 32;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  await t.throwsAsync(Model.load(dir), {
    instanceOf: CheckpointError,
    message: /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[24,16\] but config\.json implies \[32,16\]/,
  });
});

test('missing tensor → CheckpointError naming it', async (t) => {
  const dir = await goodDir();
  rewriteHeader(dir, (h) => { delete h['model.layers.1.post_attention_layernorm.weight']; });
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: /missing tensor "model\.layers\.1\.post_attention_layernorm\.weight"/ });
});

test('unsupported architecture → ConfigError listing the supported ones', async (t) => {
  const dir = await goodDir();
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.architectures = ['MistralForCausalLM'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError, message: /config\.json: unsupported architecture "MistralForCausalLM" \(supported: LlamaForCausalLM, Qwen2ForCausalLM, GPTBigCodeForCausalLM\)/ });
  writeFileSync(join(dir, 'config.json'), '{"architectures": ["LlamaForCausalLM"], ');
  await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError, message: /not valid JSON/ });
  const c2 = makeHfConfig(TINY) as Record<string, unknown>;
  delete c2.hidden_size;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c2));
  await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError, message: /missing field "hidden_size"/ });
});

test('bad batches give BatchError/argument errors and the model keeps working', async (t) => {
  const dir = await goodDir();
  const m = await Model.load(dir);
  const b = randomBatch(TINY.vocabSize);
  await t.throwsAsync(m.forward({ ...b, inputIds: b.inputIds.subarray(1) }), { message: /inputIds has \d+ elements but the shape needs/ });
  const bad = Int32Array.from(b.inputIds); bad[3] = TINY.vocabSize;
  await t.throwsAsync(m.forward({ ...b, inputIds: bad }), { message: /outside the vocabulary/ });
  const w = Float32Array.from(b.weights!); w[2] = NaN;
  await t.throwsAsync(m.forward({ ...b, weights: w }), { message: /NaN/ });
  t.true(Number.isFinite((await m.forward(b)).loss));
  m.dispose();
  await t.throwsAsync(m.forward(b), { message: /disposed/ });
  t.notThrows(() => m.dispose());
});

test('a model folder without weights → CheckpointError saying what is expected', async (t) => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(makeHfConfig(TINY)));
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: /no model\.safetensors or model\.safetensors\.index\.json/ });
});
