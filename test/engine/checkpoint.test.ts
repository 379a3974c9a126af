import test from 'ava';
import { readFileSync, writeFileSync, copyFileSync, mkdirSync, truncateSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { expectedTensorNames, makeHfConfig } from '../../src/model/config.ts';
import { native } from '../../src/native/index.ts';
import { SafetensorsError, CheckpointError, ConfigError, EngineArgumentError } from '../../src/native/errors.ts';
import { describeModelDir } from '../../src/cli/commands/model/info.ts';
import { readSafetensorsHeader } from '../../src/model/safetensors-header.ts';
import { InputError } from '../../src/util/errors.ts';
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
  rewriteHeader(dir, (h) => { h['lm_head.weight'].dtype = 'F7'; });
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /"lm_head\.weight".*unknown dtype "F7"/ });
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
  // rewritten without the tensor's bytes too: a header entry deleted alone leaves a gap in the
  // data section, which the reader refuses as a malformed file before the model is built
  const p = join(dir, 'model.safetensors');
  writeRaw(p, rawTensors(p).filter((x) => x.name !== 'model.layers.1.post_attention_layernorm.weight'));
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: /missing tensor "model\.layers\.1\.post_attention_layernorm\.weight"/ });
});

test('unsupported architecture → ConfigError listing the supported ones', async (t) => {
  const dir = await goodDir();
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.architectures = ['FalconForCausalLM'];
  cfg.model_type = 'falcon';
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError, message: /config\.json: unsupported architecture "FalconForCausalLM" \(supported: LlamaForCausalLM, Qwen2ForCausalLM, [^)]*GPTBigCodeForCausalLM/ });
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

// ---- tolerant loading, strict headers (issue 13 / issue 9) ----

interface RawTensor { name: string; dtype: string; shape: number[]; bytes: Buffer }

/** The tensors of a safetensors file with their raw bytes (parsed independently of the engine). */
function rawTensors(path: string): RawTensor[] {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const h = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  return Object.entries<any>(h).filter(([k]) => k !== '__metadata__').map(([name, e]) => ({
    name, dtype: e.dtype, shape: e.shape, bytes: buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]),
  }));
}

/** Writes a safetensors file from raw tensors (header entries may be edited by `edit`). */
function writeRaw(path: string, tensors: RawTensor[], edit?: (h: Record<string, any>) => void, rawHeader?: (text: string) => string): void {
  const h: Record<string, any> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const x of tensors) {
    h[x.name] = { dtype: x.dtype, shape: x.shape, data_offsets: [off, off + x.bytes.length] };
    off += x.bytes.length;
  }
  edit?.(h);
  let text = JSON.stringify(h);
  if (rawHeader) text = rawHeader(text);
  while ((Buffer.byteLength(text) + 8) % 8) text += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  writeFileSync(path, Buffer.concat([len, Buffer.from(text), ...tensors.map((x) => x.bytes)]));
}

/** Extra tensors of every kind of dtype a real checkpoint may carry beside the weights. */
const EXTRAS: RawTensor[] = [
  { name: 'model.layers.0.self_attn.q_proj.weight_scale', dtype: 'F8_E4M3', shape: [4, 2], bytes: Buffer.alloc(8, 0x38) },
  { name: 'model.layers.0.mlp.up_proj.input_scale', dtype: 'F8_E5M2', shape: [3], bytes: Buffer.alloc(3, 0x3c) },
  { name: 'model.layers.1.mlp.down_proj.qweight', dtype: 'U32', shape: [2, 3], bytes: Buffer.alloc(24, 7) },
  { name: 'model.layers.1.mlp.down_proj.g_idx', dtype: 'I32', shape: [5], bytes: Buffer.alloc(20, 1) },
  { name: 'model.rotary_emb.inv_freq', dtype: 'F32', shape: [2], bytes: Buffer.alloc(8) },
  { name: 'extra.u16', dtype: 'U16', shape: [3], bytes: Buffer.alloc(6) },
  { name: 'extra.u64', dtype: 'U64', shape: [1], bytes: Buffer.alloc(8) },
  { name: 'extra.mask', dtype: 'BOOL', shape: [2, 2], bytes: Buffer.from([1, 0, 0, 1]) },
  { name: 'extra.bf16', dtype: 'BF16', shape: [2], bytes: Buffer.alloc(4) },
  { name: 'extra.fp4', dtype: 'F4', shape: [6], bytes: Buffer.alloc(3) },
  { name: 'extra.e8m0', dtype: 'F8_E8M0', shape: [2], bytes: Buffer.alloc(2, 127) },
];

test('unused tensors of any dtype never block a load; the load and `model info` list them', async (t) => {
  const dir = await goodDir();
  const before = await Model.load(dir);
  const p = join(dir, 'model.safetensors');
  writeRaw(p, [...rawTensors(p), ...EXTRAS]);
  const m = await Model.load(dir);
  const expected = EXTRAS.map((x) => x.name).filter((n) => !n.includes('rotary_emb.inv_freq')).sort();
  t.deepEqual([...m.unusedTensors].sort(), expected);
  const b = randomBatch(TINY.vocabSize);
  t.is((await m.forward(b)).loss, (await before.forward(b)).loss);
  const d = describeModelDir(dir);
  t.deepEqual([...(d.unusedTensors ?? [])].sort(), expected);
  t.is(d.parameters, m.info().parameters);
  t.is(d.dtype, 'F32');
  m.dispose(); before.dispose();
});

test('a used tensor of a dtype the engine cannot compute with is refused, naming it', async (t) => {
  const dir = await goodDir();
  const p = join(dir, 'model.safetensors');
  const ts = rawTensors(p).map((x) => (x.name === 'model.norm.weight' ? { ...x, dtype: 'F8_E4M3', bytes: Buffer.alloc(16, 0x38) } : x));
  writeRaw(p, ts);
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: /model\.safetensors: tensor "model\.norm\.weight" has dtype F8_E4M3/ });
  const ts2 = rawTensors(p).map((x) => (x.name === 'model.norm.weight' ? { ...x, dtype: 'U32', bytes: Buffer.alloc(64) } : x));
  writeRaw(p, ts2);
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: /"model\.norm\.weight" has dtype U32/ });
});

test('model info counts a stored copy of a tied lm_head once', async (t) => {
  const dir = tempDir();
  const m = await Model.create(dir, { ...TINY, tieEmbeddings: true }, { seed: 2 });
  const p = join(dir, 'model.safetensors');
  const ts = rawTensors(p);
  const emb = ts.find((x) => x.name === 'model.embed_tokens.weight')!;
  writeRaw(p, [...ts, { ...emb, name: 'lm_head.weight' }]);
  const d = describeModelDir(dir);
  t.is(d.parameters, m.info().parameters);
  t.deepEqual(d.unusedTensors, []);
  const again = await Model.load(dir);
  t.deepEqual(again.unusedTensors, []);
  m.dispose(); again.dispose();
});

test('model info says what the engine would refuse: a config it rejects, tensors the config implies but no file stores', async (t) => {
  const dir = await goodDir();
  t.is(describeModelDir(dir).engineRefusal, undefined);
  t.deepEqual(describeModelDir(dir).missingTensors, []);
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  // More layers than stored: the names of the extra layer are missing, and Model.load refuses the folder the same way.
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: cfg.num_hidden_layers + 1 }));
  const more = describeModelDir(dir);
  const L = cfg.num_hidden_layers;
  t.true(more.missingTensors!.length > 0 && more.missingTensors!.every((n) => n.startsWith(`model.layers.${L}.`)), more.missingTensors!.join(', '));
  await t.throwsAsync(Model.load(dir), { instanceOf: CheckpointError, message: new RegExp(`missing tensor "model\\.layers\\.${L}\\.`) });
  // An absurd size: the headers still describe the folder, and the engine's refusal is reported.
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 100_000_000 }));
  const huge = describeModelDir(dir);
  t.regex(huge.engineRefusal ?? '', /config\.json.*(num_hidden_layers|parameters)/);
  t.is(huge.unusedTensors, undefined);
  t.is(huge.missingTensors, undefined);
  await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError });
});

test('strict headers: overlapping tensors and repeated names are refused by the engine and by the TS reader', async (t) => {
  const dir = await goodDir();
  const p = join(dir, 'model.safetensors');
  const ts = rawTensors(p);
  writeRaw(p, ts, (h) => {
    // point the (64-byte) final norm at the first 64 bytes of the embedding's data
    const e = h['model.embed_tokens.weight'].data_offsets;
    h['model.norm.weight'].data_offsets = [e[0], e[0] + 64];
  });
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /overlap/ });
  t.throws(() => readSafetensorsHeader(p), { instanceOf: InputError, message: /overlap/ });
  // a repeated tensor name (JSON keeps the last one silently)
  writeRaw(p, ts, undefined, (text) => text.replace('{"__metadata__"', '{"model.norm.weight":{"dtype":"F32","shape":[16],"data_offsets":[0,64]},"__metadata__"'));
  await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /"model\.norm\.weight" appears twice/ });
  t.throws(() => readSafetensorsHeader(p), { instanceOf: InputError, message: /"model\.norm\.weight" appears twice/ });
  // dtype × shape ≠ byte length, in the TS reader too
  writeRaw(p, ts, (h) => { h['model.norm.weight'].shape = [15]; });
  t.throws(() => readSafetensorsHeader(p), { instanceOf: InputError, message: /"model\.norm\.weight".*needs 60 bytes but data_offsets span 64/ });
});

test('save with maxShardSize writes HF-sharded files (model-0000i-of-0000n + index with total_size) that load back bit-identically', async (t) => {
  const src = tempDir();
  const m = await Model.create(src, TINY, { seed: 12 });
  const dir = tempDir();
  await m.save(dir, { maxShardSize: '3KB' });
  const idx = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
  const files = [...new Set(Object.values<string>(idx.weight_map))].sort();
  t.true(files.length > 2, `${files.length} shards`);
  files.forEach((f, i) => t.is(f, `model-${String(i + 1).padStart(5, '0')}-of-${String(files.length).padStart(5, '0')}.safetensors`));
  let total = 0;
  for (const f of files) {
    const h = header(join(dir, f));
    for (const [k, e] of Object.entries<any>(h)) {
      if (k === '__metadata__') continue;
      t.is(idx.weight_map[k], f);
      total += e.data_offsets[1] - e.data_offsets[0];
    }
    // each shard within the limit unless it holds a single tensor larger than it
    const n = Object.keys(h).filter((k) => k !== '__metadata__').length;
    t.true(statSync(join(dir, f)).size - 8 - Number(readFileSync(join(dir, f)).readBigUInt64LE(0)) <= 3000 || n === 1);
  }
  t.is(idx.metadata.total_size, total);
  t.is(idx.metadata.total_parameters, m.info().parameters);
  t.false(statSync(join(dir, 'config.json')).size === 0);
  const s = await Model.load(dir);
  const b = randomBatch(TINY.vocabSize);
  const [x, y] = [await m.forward(b), await s.forward(b)];
  t.true(Buffer.from(x.logits.data.buffer).equals(Buffer.from(y.logits.data.buffer)));
  // saving again unsharded into the same folder removes the shards and the index
  await m.save(dir);
  t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.safetensors') || f.endsWith('.json')).sort(), ['config.json', 'model.safetensors']);
  // and sharded again removes the single file (the loader would prefer it)
  await m.save(dir, { maxShardSize: 4000 });
  t.false(readdirSync(dir).includes('model.safetensors'));
  await t.throwsAsync(m.save(dir, { maxShardSize: '5 parsecs' }), { instanceOf: EngineArgumentError, message: /not a size/ });
  m.dispose(); s.dispose();
});
