/**
 * expectedTensorNames (the engine's module structure for a config, built on the meta device) against
 * what transformers itself saved: for every HF-written fixture folder, the names and shapes HF stored
 * are exactly the ones the engine lists (HF never stores a tied lm_head; no fixture stores RoPE
 * buffers). This is the independent check that the one definition of each family's tensor names
 * (C++, cpp/checkpoint.h tensor_names) is HF's.
 */
import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectedTensors, expectedTensorNames, makeHfConfig } from '../../src/model/config.ts';
import { readSafetensorsHeader } from '../../src/model/safetensors-header.ts';
import { ConfigError } from '../../src/native/errors.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'hf', 'models');
const folders = readdirSync(FIX).filter((d) => existsSync(join(FIX, d, 'config.json')));

/** The tensors HF wrote into a model folder: name → shape (one file or the shards of the index). */
function stored(dir: string): Map<string, number[]> {
  const index = join(dir, 'model.safetensors.index.json');
  const files = existsSync(index)
    ? [...new Set(Object.values(JSON.parse(readFileSync(index, 'utf8')).weight_map as Record<string, string>))]
    : ['model.safetensors'];
  return new Map(files.flatMap((f) => readSafetensorsHeader(join(dir, f)).tensors.map((t) => [t.name, t.shape] as const)));
}

test('the fixtures cover every family the engine loads', (t) => {
  const families = new Set(folders.map((d) => JSON.parse(readFileSync(join(FIX, d, 'config.json'), 'utf8')).model_type));
  t.deepEqual([...families].sort(), ['gpt_bigcode', 'granite', 'llama', 'mistral', 'phi3', 'qwen2', 'qwen3', 'smollm3', 'starcoder2']);
});

for (const d of folders) {
  test(`tensor names and shapes are the ones transformers saved (${d})`, (t) => {
    const cfg = JSON.parse(readFileSync(join(FIX, d, 'config.json'), 'utf8'));
    const hf = stored(join(FIX, d));
    const ours = expectedTensors(cfg);
    t.deepEqual(ours.map((x) => x.name).sort(), [...hf.keys()].sort());
    for (const x of ours) t.deepEqual(x.shape, hf.get(x.name), x.name);
    t.deepEqual(expectedTensorNames(cfg), ours.map((x) => x.name));
  });
}

test('a tied lm_head is not a tensor of the checkpoint; an untied one is', (t) => {
  const shape = { arch: 'llama' as const, vocabSize: 50, hiddenSize: 16, layers: 2, heads: 2, intermediateSize: 32, maxPositions: 64 };
  t.false(expectedTensorNames(makeHfConfig({ ...shape, tieEmbeddings: true })).includes('lm_head.weight'));
  t.true(expectedTensorNames(makeHfConfig({ ...shape, tieEmbeddings: false })).includes('lm_head.weight'));
});

test('a model of any size is listed without allocating it (meta device): 70B-sized config', (t) => {
  const cfg = { ...JSON.parse(readFileSync(join(FIX, 'llama-v5-llama3', 'config.json'), 'utf8')), hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, vocab_size: 128256, head_dim: 128 };
  const before = process.memoryUsage().rss;
  const names = expectedTensors(cfg);
  t.is(names.length, 1 + 80 * 9 + 1 + (cfg.tie_word_embeddings ? 0 : 1));
  t.deepEqual(names.find((x) => x.name === 'model.layers.79.mlp.down_proj.weight')?.shape, [8192, 28672]);
  t.true(process.memoryUsage().rss - before < 512 * 1024 * 1024, 'no weight memory');
});

test('a config the engine refuses is a ConfigError naming the field and the source', (t) => {
  const cfg = JSON.parse(readFileSync(join(FIX, 'qwen2', 'config.json'), 'utf8'));
  t.throws(() => expectedTensors({ ...cfg, model_type: 'mamba' }, 'x/config.json'), { instanceOf: ConfigError, message: /x\/config\.json.*mamba|mamba.*x\/config\.json/s });
  t.throws(() => expectedTensors({ ...cfg, num_hidden_layers: 1_000_000, hidden_size: 8, intermediate_size: 8, num_attention_heads: 1, num_key_value_heads: 1, vocab_size: 8 }), { instanceOf: ConfigError, message: /num_hidden_layers.*implausibly large/ });
});
