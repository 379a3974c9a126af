/**
 * Issue 9, config.json ranges at the boundary (cpp/config.cpp): each value the fuzzer found
 * accepted (a NaN loss later) or unbounded (allocation until the machine dies) is a ConfigError
 * naming the file and the field, before anything is allocated.
 */
import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model } from '../../src/model/model.ts';
import { ConfigError } from '../../src/native/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const FIX = fileURLToPath(new URL('../fixtures/hf/models/llama-linear/', import.meta.url));

/** A copy of the llama-linear fixture whose config.json text is edit(text of the parsed config). */
function variant(edit: (c: Record<string, unknown>) => void, raw?: (text: string) => string): string {
  const dir = tempDir();
  const cfg = JSON.parse(readFileSync(join(FIX, 'config.json'), 'utf8'));
  edit(cfg);
  const text = JSON.stringify(cfg, null, 2);
  writeFileSync(join(dir, 'config.json'), raw ? raw(text) : text);
  copyFileSync(join(FIX, 'model.safetensors'), join(dir, 'model.safetensors'));
  return dir;
}

async function refused(t: import('ava').ExecutionContext, dir: string, re: RegExp) {
  const t0 = performance.now();
  const e = await t.throwsAsync(Model.load(dir), { instanceOf: ConfigError });
  t.regex(e!.message, /config\.json: /);
  t.regex(e!.message, re);
  t.true(performance.now() - t0 < 5000, 'refused before allocating');
}

test('rope_theta 0 or infinite, rms_norm_eps −1 or infinite (a NaN loss before) → ConfigError', async (t) => {
  await refused(t, variant((c) => { (c.rope_parameters as Record<string, unknown>).rope_theta = 0; }), /rope_theta must be a positive number/);
  await refused(t, variant((c) => { c.rms_norm_eps = -1; }), /rms_norm_eps must be positive/);
  // JSON has no Infinity, but 1e999 parses to it
  await refused(t, variant((c) => { c.rms_norm_eps = 12345; }, (s) => s.replace('12345', '1e999')), /"rms_norm_eps" = .* is not a finite number|number overflow/);
  await refused(t, variant((c) => { (c.rope_parameters as Record<string, unknown>).rope_theta = 12345; }, (s) => s.replace('12345', '1e999')), /rope_theta|number overflow/);
});

test('max_position_embeddings −1, layers/heads/vocab out of range or not dividing → ConfigError', async (t) => {
  await refused(t, variant((c) => { c.max_position_embeddings = -1; }), /"max_position_embeddings" must be positive/);
  await refused(t, variant((c) => { c.num_hidden_layers = 2 ** 31 - 1; }), /parameters, more than the engine's cap/);
  await refused(t, variant((c) => { c.num_hidden_layers = 0; }), /"num_hidden_layers" must be positive/);
  await refused(t, variant((c) => { c.vocab_size = -3; }), /"vocab_size" must be positive/);
  await refused(t, variant((c) => { c.num_key_value_heads = 3; }), /multiple of num_key_value_heads/);
  await refused(t, variant((c) => { delete c.head_dim; c.num_attention_heads = 3; c.num_key_value_heads = 3; }), /divisible by num_attention_heads/);
  await refused(t, variant((c) => { c.hidden_size = 2 ** 40; }), /cap/);
  await refused(t, variant((c) => { c.num_hidden_layers = 1.5; }), /"num_hidden_layers" must be an integer/);
});

test('a null document, an array, a model_type that is not a string → ConfigError', async (t) => {
  for (const text of ['null', '[]', '5']) {
    const dir = variant(() => {}, () => text);
    await refused(t, dir, /not a JSON object/);
  }
  await refused(t, variant((c) => { c.model_type = 5; }), /"model_type" must be a string/);
});
