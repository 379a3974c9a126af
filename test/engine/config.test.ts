/**
 * config.json semantics (cpp/config.cpp, issue 13): both transformers layouts are read, and every
 * field that could change the maths is either implemented or refused with a ConfigError naming it.
 * Fixtures: test/fixtures/hf/models (scripts/fixtures/make_models.py).
 */
import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model } from '../../src/model/model.ts';
import { ConfigError, CheckpointError } from '../../src/native/errors.ts';
import { tempDir, randomBatch } from '../helpers/tiny-model.ts';

const FIX = fileURLToPath(new URL('../fixtures/hf/models/', import.meta.url));
type Json = Record<string, unknown>;

/** A copy of fixture `name` whose config.json is edit(config). */
function variant(name: string, edit: (c: Json) => void): string {
  const dir = tempDir();
  const cfg = JSON.parse(readFileSync(join(FIX, name, 'config.json'), 'utf8')) as Json;
  edit(cfg);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  copyFileSync(join(FIX, name, 'model.safetensors'), join(dir, 'model.safetensors'));
  return dir;
}

async function refused(t: import('ava').ExecutionContext, dir: string, ...words: string[]) {
  const e = await t.throwsAsync(Model.load(dir, { dtype: 'float64' }), { instanceOf: ConfigError });
  for (const w of words) t.true(e!.message.includes(w), `"${e!.message}" names ${w}`);
}

test('the transformers-4 and transformers-5 layouts of one config give identical logits', async (t) => {
  const v5 = join(FIX, 'llama-v5-llama3');
  const v4 = variant('llama-v5-llama3', (c) => {
    const rp = { ...(c.rope_parameters as Json) };
    delete c.rope_parameters;
    c.rope_theta = rp.rope_theta;
    delete rp.rope_theta;
    c.rope_scaling = { ...rp, type: rp.rope_type }; // the older "type" spelling too
    c.torch_dtype = c.dtype;
    delete c.dtype;
  });
  const b = randomBatch(96, 2, 20, 3);
  const a = await Model.load(v5, { dtype: 'float64' });
  const c = await Model.load(v4, { dtype: 'float64' });
  t.deepEqual(Array.from((await a.forward(b)).logits.data), Array.from((await c.forward(b)).logits.data));
  // and the rope type matters: the same weights with default RoPE give different logits
  const plain = await Model.load(variant('llama-v5-llama3', (c) => { c.rope_parameters = { rope_type: 'default', rope_theta: 50000 }; }), { dtype: 'float64' });
  t.notDeepEqual(Array.from((await plain.forward(b)).logits.data), Array.from((await a.forward(b)).logits.data));
  for (const m of [a, c, plain]) m.dispose();
});

test('an unknown field is refused, named (it may change the maths)', async (t) => {
  await refused(t, variant('llama-linear', (c) => { c.attn_logit_softcapping = 30; }), 'attn_logit_softcapping');
  await refused(t, variant('mistral', (c) => { c.layer_types = ['full_attention', 'sliding_attention']; }), 'layer_types');
  await refused(t, variant('llama-linear', (c) => { c.sliding_window = 4; }), 'sliding_window'); // Llama has no window
});

test('unknown or contradictory RoPE parameters are refused, named', async (t) => {
  await refused(t, variant('llama-linear', (c) => { (c.rope_parameters as Json).mrope_section = [2, 2]; }), 'rope_parameters.mrope_section');
  await refused(t, variant('llama-linear', (c) => { (c.rope_parameters as Json).rope_type = 'mrope'; }), 'mrope');
  await refused(t, variant('llama-linear', (c) => { c.rope_theta = 500000; }), 'rope_theta', '10000');
  await refused(t, variant('llama-linear', (c) => { c.rope_scaling = { rope_type: 'linear', factor: 4 }; }), 'rope_scaling.factor');
  await refused(t, variant('llama-linear', (c) => { (c.rope_parameters as Json).type = 'dynamic'; }), 'rope_type', 'type');
  await refused(t, variant('llama-linear', (c) => { delete (c.rope_parameters as Json).factor; }), 'factor');
  await refused(t, variant('llama-linear', (c) => { c.partial_rotary_factor = 0.5; }), 'partial_rotary_factor');
  await refused(t, variant('phi3-longrope', (c) => { (c.rope_parameters as Json).short_factor = [1, 1, 1]; }), 'short_factor');
});

test('fields harmless only at one value, dtype contradictions, quantization', async (t) => {
  await refused(t, variant('gpt_bigcode', (c) => { c.scale_attn_weights = false; }), 'scale_attn_weights');
  await refused(t, variant('llama-linear', (c) => { c.is_encoder_decoder = true; }), 'is_encoder_decoder');
  await refused(t, variant('llama-linear', (c) => { c.quantization_config = { quant_method: 'gptq' }; }), 'quantization_config');
  await refused(t, variant('llama-linear', (c) => { c.torch_dtype = 'bfloat16'; }), 'torch_dtype', 'dtype');
  await refused(t, variant('qwen3-yarn-window', (c) => { c.use_sliding_window = false; }), 'layer_types');
  await refused(t, variant('llama-linear', (c) => { c.hidden_act = 'gelu'; }), 'hidden_act');
});

test('ranges are checked before anything is allocated', async (t) => {
  await refused(t, variant('llama-linear', (c) => { c.num_hidden_layers = 2 ** 31 - 1; }), 'parameters');
  await refused(t, variant('llama-linear', (c) => { c.vocab_size = 2 ** 40; }), 'parameters');
  await refused(t, variant('llama-linear', (c) => { c.num_attention_heads = 0; }), 'num_attention_heads');
  await refused(t, variant('llama-linear', (c) => { c.rms_norm_eps = 0; }), 'rms_norm_eps');
  await refused(t, variant('llama-linear', (c) => { (c.rope_parameters as Json).rope_theta = -1; }), 'rope_theta');
  await refused(t, variant('llama-linear', (c) => { c.num_key_value_heads = 3; }), 'num_key_value_heads');
  await refused(t, variant('mistral', (c) => { c.sliding_window = 0; }), 'sliding_window');
});

test('an unsupported architecture is refused with the supported list', async (t) => {
  await refused(t, variant('llama-linear', (c) => { c.architectures = ['GemmaForCausalLM']; c.model_type = 'gemma'; }),
    'GemmaForCausalLM', 'Qwen3ForCausalLM', 'Phi3ForCausalLM', 'Starcoder2ForCausalLM');
});

test('the fixtures exercise what they claim: window, no-RoPE layers, rope type each change the logits', async (t) => {
  const b = randomBatch(96, 2, 24, 9);
  const cases: [string, (c: Json) => void][] = [
    ['mistral', (c) => { c.sliding_window = null; }],
    ['starcoder2', (c) => { c.sliding_window = null; }],
    ['qwen3-yarn-window', (c) => { c.layer_types = ['full_attention', 'full_attention']; }],
    ['smollm3', (c) => { c.no_rope_layers = [1, 1, 1]; }],
    ['phi3-longrope', (c) => { (c.rope_parameters as Json).long_factor = (c.rope_parameters as Json).short_factor; }],
    ['llama-dynamic', (c) => { c.rope_parameters = { rope_type: 'default', rope_theta: 10000 }; }],
    ['qwen2-yarn', (c) => { c.rope_parameters = { rope_type: 'default', rope_theta: 10000 }; }],
    ['qwen3-yarn-window', (c) => { (c.rope_parameters as Json).truncate = false; }],
    ['granite', (c) => { c.residual_multiplier = 1; }],
  ];
  for (const [name, edit] of cases) {
    const a = await Model.load(join(FIX, name), { dtype: 'float64' });
    const m = await Model.load(variant(name, edit), { dtype: 'float64' });
    const x = (await a.forward(b)).logits.data, y = (await m.forward(b)).logits.data;
    let d = 0;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
    t.true(d > 1e-6, `${name}: the edit changes the logits (max |Δ| ${d})`);
    a.dispose();
    m.dispose();
  }
});

test('configs of released checkpoints are accepted field by field (no false refusals)', async (t) => {
  const { configs } = JSON.parse(readFileSync(join(FIX, 'released-configs.json'), 'utf8')) as { configs: Record<string, Json> };
  t.is(Object.keys(configs).length, 9);
  for (const [name, real] of Object.entries(configs)) {
    // Every field as released; only the sizes shrink (nothing big is allocated), then the load
    // must fail for the missing weights, not for the config.
    const c: Json = { ...real };
    const layers = 2;
    const set = (k: string, v: unknown) => { if (k in c) c[k] = v; };
    set('hidden_size', 32); set('n_embd', 32); set('intermediate_size', 48); set('n_inner', 48);
    set('num_hidden_layers', layers); set('n_layer', layers); set('num_attention_heads', 4); set('n_head', 4);
    set('num_key_value_heads', 2); set('head_dim', 8); set('vocab_size', 64);
    if (Array.isArray(c.layer_types)) c.layer_types = (c.layer_types as unknown[]).slice(0, layers);
    if (Array.isArray(c.no_rope_layers)) c.no_rope_layers = (c.no_rope_layers as unknown[]).slice(0, layers);
    const rs = c.rope_scaling as Json | null;
    if (rs && Array.isArray(rs.long_factor)) c.rope_scaling = { ...rs, long_factor: [1, 2, 3, 4], short_factor: [1, 1, 1, 1] };
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
    const e = await t.throwsAsync(Model.load(dir));
    t.true(e instanceof CheckpointError, `${name}: ${e!.message}`);
  }
});
