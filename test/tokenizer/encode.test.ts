/**
 * `tokenizer encode` and the training / generation layouts built from the same ModelTokenizer,
 * on the HF fixtures (scripts/fixtures/make_tokenizers.py).
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import tokenizerCommand from '../../src/cli/commands/tokenizer.ts';
import { loadModelTokenizer, tokenizerSpecialIds } from '../../src/model/tokenizer.ts';
import { prepareTrainExamples } from '../../src/train/examples.ts';
import { buildPrompt } from '../../src/data/prompt.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const ROOT = join(import.meta.dirname, '..', 'fixtures', 'hf', 'tokenizers');
const expected = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Record<string, any>;

async function runCli(args: string[]): Promise<string> {
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  try {
    await yargs().command(tokenizerCommand).strict().fail((m, e) => { throw e ?? new Error(m); }).parseAsync(args);
  } finally {
    console.log = log;
  }
  return out.join('\n');
}

test.serial('tokenizer encode --json: ids as AutoTokenizer, BOS/EOS/stop ids named (llama3)', async (t) => {
  const e = expected.llama3.encode[0];
  const r = JSON.parse(await runCli(['tokenizer', 'encode', '--model', join(ROOT, 'llama3'), '--text', e.text, '--json']));
  t.deepEqual(r.ids, e.with_special);
  t.deepEqual(r.tokens, e.tokens);
  t.deepEqual(r.prompt_ids, e.with_special, 'generation feeds exactly tokenizer(text)');
  t.is(r.offsets.length, r.ids.length);
  t.deepEqual(r.bos, { id: 0, token: '<|begin_of_text|>' });
  t.deepEqual(r.training_eos, { id: 2, token: '<|eot_id|>' });
  t.deepEqual(r.stop_ids.map((s: { id: number }) => s.id), expected.llama3.hf_stop_ids);
  const ns = JSON.parse(await runCli(['tokenizer', 'encode', '--model', join(ROOT, 'llama3'), '--text', e.text, '--json', '--no-special']));
  t.deepEqual(ns.ids, e.without_special);
});

test.serial('tokenizer encode (text) on qwen2 says no BOS; --file reads the file (BOM dropped)', async (t) => {
  const dir = tempDir();
  const e = expected.qwen2.encode[0];
  writeFileSync(join(dir, 'in.txt'), '\uFEFF' + e.text);
  const out = await runCli(['tokenizer', 'encode', '--model', join(ROOT, 'qwen2'), '--file', join(dir, 'in.txt')]);
  t.true(out.startsWith(`${e.with_special.length} tokens`));
  t.true(out.includes(JSON.stringify(e.with_special)));
  t.regex(out, /BOS added: none/);
  t.regex(out, /stop ids: 2 "<\|im_end\|>" \(generation_config\.json\), 0 "<\|endoftext\|>"/);
});

test.serial('tokenizer encode prints the note when tokenizer_config.json and tokenizer.json disagree (llama2)', async (t) => {
  const out = await runCli(['tokenizer', 'encode', '--model', join(ROOT, 'llama2'), '--text', 'x']);
  t.regex(out, /note: .*add_eos_token: true.*transformers 5 follows tokenizer\.json/);
});

for (const name of ['llama3', 'qwen2', 'llama2'] as const) {
  test(`${name}: a training sequence is tokenizer(prompt) · target · EOS with HF's special tokens`, async (t) => {
    const tok = await loadModelTokenizer(join(ROOT, name));
    const ex = { id: 'a', input: 'int a = 1;', target: 'var a = 1;' } as never;
    const { examples } = await prepareTrainExamples(tok.tokenizer as never, [ex], {
      task: 'translation', maxLength: 512, lossOn: 'output', special: { bos: tok.bosId, eos: tok.eosId! }, label: false,
    });
    const e = examples[0];
    const prompt = buildPrompt('translation', 'int a = 1;');
    const withSpecial = (await tok.encodeText(prompt)).ids;
    const target = (await tok.encodeText('var a = 1;', { addSpecialTokens: false })).ids;
    t.deepEqual([...e.ids], [...withSpecial, ...target, tok.eosId!], 'prefix and prompt exactly as tokenizer(prompt) in HF, then target, then EOS');
    t.deepEqual([...e.ids.subarray(0, e.targetStart)], await tok.encode(prompt), 'generation feeds the same prompt ids');
    t.is(e.promptStart, name === 'qwen2' ? 0 : 1);
    t.is(e.ids[0] === expected[name].tokenizer_bos_id, name !== 'qwen2');
    t.true(tok.eosIds.includes(e.ids[e.ids.length - 1]), 'generation stops on the EOS training supervises');
    t.deepEqual([...e.lossMask.subarray(e.targetStart)].every((x) => x === 1), true, 'the EOS is supervised');
  });
}

test('tokenizerSpecialIds: from tokenizer_config.json (qwen2: bos null), else our <|bos|>/<|eos|>/<|pad|>', (t) => {
  t.deepEqual(tokenizerSpecialIds(join(ROOT, 'qwen2', 'tokenizer.json')), { bos: null, eos: 2, pad: 0 });
  t.deepEqual(tokenizerSpecialIds(join(ROOT, 'llama3', 'tokenizer.json')), { bos: 0, eos: 2, pad: null });
  const dir = tempDir();
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(ROOT, 'bom', 'tokenizer.json')));
  t.deepEqual(tokenizerSpecialIds(join(dir, 'tokenizer.json')), { bos: 0, eos: 1, pad: 2 });
});

test('a tokenizer trained by an older eyemulator (no post-processor, <|bos|> at 0) adds no BOS, and a note says so', async (t) => {
  const dir = tempDir();
  const j = JSON.parse(readFileSync(join(ROOT, 'bom', 'tokenizer.json'), 'utf8'));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...j, post_processor: null }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<|bos|>', eos_token: '<|eos|>', pad_token: '<|pad|>', add_bos_token: false, add_eos_token: false }));
  const tok = await loadModelTokenizer(dir);
  t.is(tok.bosId, null);
  t.deepEqual(await tok.encode('x'), (await tok.encodeText('x', { addSpecialTokens: false })).ids);
  t.true(tok.notes.some((n) => /retrain the tokenizer/.test(n)));
  t.deepEqual(tok.eosIds, [1], 'no config.json: the tokenizer EOS, which training appends');
});

test('a post-processor that appends EOS ("<s> $A </s>"): training ends with that one EOS, generation prompts leave it out', async (t) => {
  const dir = tempDir();
  for (const f of ['config.json', 'tokenizer_config.json']) writeFileSync(join(dir, f), readFileSync(join(ROOT, 'llama2', f)));
  const j = JSON.parse(readFileSync(join(ROOT, 'llama2', 'tokenizer.json'), 'utf8'));
  j.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(j));
  const tok = await loadModelTokenizer(dir);
  const plain = (await tok.encodeText('int a', { addSpecialTokens: false })).ids;
  t.deepEqual((await tok.encodeText('int a')).ids, [1, ...plain, 2]);
  t.deepEqual(tok.layout.suffix, [2]);
  t.is(tok.eosId, 2);
  t.deepEqual(await tok.encode('int a'), [1, ...plain]);
  t.deepEqual(tok.notes, [], 'tokenizer_config.json add_bos/add_eos true agree with this post-processor');
  const { examples } = await prepareTrainExamples(tok.tokenizer as never, [{ id: 'a', input: 'x', target: 'y' } as never], {
    task: 'translation', maxLength: 512, lossOn: 'output', special: { bos: tok.bosId, eos: tok.eosId! }, label: false,
  });
  const ids = [...examples[0].ids];
  t.is(ids.filter((x) => x === 2).length, 1);
  t.is(ids[ids.length - 1], 2);
});
