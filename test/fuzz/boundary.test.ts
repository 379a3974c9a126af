/**
 * Issue 9, validation at the boundary (TypeScript side, no engine needed): each defect the fuzzer
 * found — garbage accepted, a raw stack trace, or unbounded memory — is now a typed error naming
 * the file and field, checked before anything is allocated for the input.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBatchJson, readBatchJson } from '../../src/data/batch-json.ts';
import { readBoundedLines, streamArtifactJsonl, MAX_JSONL_LINE_BYTES, type Skip } from '../../src/data/artifact-jsonl.ts';
import { assertTokenizerFitsModel, loadModelTokenizer, tokenizerFileVocabSize, tokenizerSpecialIds } from '../../src/model/tokenizer.ts';
import { evaluate } from '../../src/eval/index.ts';
import { readPredictions } from '../../src/cli/commands/eval.ts';
import { readAois } from '../../src/gaze/aois.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const LLAMA3_TOK = fileURLToPath(new URL('../fixtures/hf/tokenizers/llama3/tokenizer.json', import.meta.url));

function tmp(name: string, text: string | Buffer): string {
  const p = join(tempDir(), name);
  writeFileSync(p, text);
  return p;
}

// --- BATCH.json -----------------------------------------------------------------------------------

const batch = (o: unknown) => JSON.stringify(o);
const LIM = { vocabSize: 50, maxPositions: 8 };

test('BATCH.json: ids that an Int32Array would wrap or truncate are refused (2^32+5, 1.5, −1)', (t) => {
  for (const id of [2 ** 32 + 5, 1.5, -1, 2 ** 31]) {
    const e = t.throws(() => parseBatchJson(batch({ input_ids: [[1, id, 3]] }), 'b.json'), { instanceOf: InputError });
    t.regex(e!.message, /^b\.json: field "input_ids" row 0 column 1 = .* is not a token id/);
  }
  t.throws(() => parseBatchJson(batch({ input_ids: [[1, 50, 3]] }), 'b.json', LIM), { instanceOf: InputError, message: /\[0, 50\) \(vocab_size\)/ });
  t.notThrows(() => parseBatchJson(batch({ input_ids: [[1, 49, 3]] }), 'b.json', LIM));
});

test('BATCH.json: labels are ids or −100; 2^32−100 (which wraps to −100 and drops a loss position) is refused', (t) => {
  t.throws(() => parseBatchJson(batch({ input_ids: [[1, 2, 3]], labels: [[1, 2 ** 32 - 100, 3]] }), 'b.json'), { instanceOf: InputError, message: /field "labels" row 0 column 1 = 4294967196 is not a label/ });
  t.throws(() => parseBatchJson(batch({ input_ids: [[1, 2, 3]], labels: [[1, -99, 3]] }), 'b.json'), { instanceOf: InputError, message: /labels/ });
  const b = parseBatchJson(batch({ input_ids: [[1, 2, 3]], labels: [[-100, 2, 3]] }), 'b.json', LIM);
  t.deepEqual([...b.labels], [-100, 2, 3]);
});

test('BATCH.json: masks must be 0 or 1 (0.5 and 256 refused); weights finite and ≥ 0', (t) => {
  const ids = [[1, 2, 3]];
  t.throws(() => parseBatchJson(batch({ input_ids: ids, attention_mask: [[1, 0.5, 1]] }), 'b.json'), { message: /field "attention_mask" row 0 column 1 = 0\.5 must be 0 or 1/ });
  t.throws(() => parseBatchJson(batch({ input_ids: ids, path_mask: [[1, 256, 1]] }), 'b.json'), { message: /field "path_mask" row 0 column 1 = 256 must be 0 or 1/ });
  t.throws(() => parseBatchJson(batch({ input_ids: ids, weights: [[1, -2, 1]] }), 'b.json'), { message: /"weights" row 0 column 1 = -2 is negative/ });
  t.throws(() => parseBatchJson('{"input_ids":[[1,2,3]],"weights":[[1,1e39,1]]}', 'b.json'), { message: /beyond float32/ });
  t.throws(() => parseBatchJson('{"input_ids":[[1,2,3]],"weights":[[1,1e999,1]]}', 'b.json'), { message: /not a finite number/ });
});

test('BATCH.json: rows longer than the model\'s positions are refused before allocation', (t) => {
  const long = Array.from({ length: 20 }, (_, i) => i % 50);
  t.throws(() => parseBatchJson(batch({ input_ids: [long] }), 'b.json', LIM), { instanceOf: InputError, message: /rows hold 20 tokens but the model takes at most 8 \(max_position_embeddings\)/ });
});

test('BATCH.json: null, an array, a directory → typed errors, not stack traces', (t) => {
  t.throws(() => parseBatchJson('null', 'b.json'), { instanceOf: InputError, message: /expected a JSON object/ });
  t.throws(() => parseBatchJson('[[1,2]]', 'b.json'), { instanceOf: InputError, message: /expected a JSON object/ });
  t.throws(() => parseBatchJson('{"input_ids":[5]}', 'b.json'), { instanceOf: InputError, message: /row 0 is not an array/ });
  t.throws(() => readBatchJson(tempDir()), { instanceOf: InputError, message: /not a regular file/ });
});

// --- JSONL lines ----------------------------------------------------------------------------------

test('JSONL: a line over the cap is skipped and reported with its line number, never held whole', async (t) => {
  const big = 'x'.repeat(MAX_JSONL_LINE_BYTES + 10);
  const good = JSON.stringify({ code: 'int a;', content: 'int a;' });
  const p = tmp('t.jsonl', `${good}\n${JSON.stringify({ code: big, content: 'c' })}\r\n${good}`);
  const skips: Skip[] = [];
  const recs = [];
  for await (const r of streamArtifactJsonl(p, (s) => skips.push(s))) recs.push(r);
  t.deepEqual(recs.map((r) => r.line), [1, 3]);
  t.is(skips.length, 1);
  t.is(skips[0].line, 2);
  t.regex(skips[0].reason, /line longer than 4 MiB/);
});

test('JSONL: the bounded reader splits LF/CRLF, keeps multi-byte characters across chunks, reports lengths', async (t) => {
  const line = 'é'.repeat(70000); // 140 kB: crosses the 64 kB stream chunks mid-character
  const p = tmp('l.txt', `a\r\n${line}\n\nlast`);
  const got = [];
  for await (const l of readBoundedLines(p, 200000)) got.push(l);
  t.deepEqual(got.map((l) => l.text), ['a', line, '', 'last']);
  const small = [];
  for await (const l of readBoundedLines(p, 100)) small.push(l.text ?? `<${l.bytes}>`);
  t.deepEqual(small, ['a', '<140000>', '', 'last']);
  await t.throwsAsync(async () => { for await (const _ of readBoundedLines(tempDir())) void _; }, { instanceOf: InputError, message: /not a regular file/ });
});

// --- tokenizers -----------------------------------------------------------------------------------

function tokenizerJson(edit: (j: Record<string, any>) => void): string {
  const j = JSON.parse(readFileSync(LLAMA3_TOK, 'utf8'));
  edit(j);
  const dir = tempDir();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(j));
  return join(dir, 'tokenizer.json');
}

test('tokenizer: a vocab holding id 1,000,000 does not size a mostly empty embedding', (t) => {
  const p = tokenizerJson((j) => { j.model.vocab['zzz_far'] = 1_000_000; });
  t.throws(() => tokenizerFileVocabSize(p), { instanceOf: InputError, message: /token ids reach 1000000 but the tokenizer has only \d+ tokens/ });
  const n = tokenizerFileVocabSize(LLAMA3_TOK);
  t.true(n > 0 && n < 1000);
});

test('tokenizer: a far id is refused against a small model (largest id, not the count)', async (t) => {
  const p = tokenizerJson((j) => { j.model.vocab['zzz_far'] = 1_000_000; });
  writeFileSync(join(p, '..', 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 4096 }));
  const tok = await loadModelTokenizer(join(p, '..'));
  t.throws(() => assertTokenizerFitsModel(tok, 4096), { instanceOf: InputError, message: /largest id is 1000000/ });
});

test('tokenizer: added_tokens 5, a null document, a directory → typed errors naming the file', async (t) => {
  const five = tokenizerJson((j) => { j.added_tokens = 5; });
  t.throws(() => tokenizerFileVocabSize(five), { instanceOf: InputError, message: /not a loadable HF tokenizer\.json/ });
  t.throws(() => tokenizerSpecialIds(five), { instanceOf: InputError, message: /tokenizer\.json/ });
  await t.throwsAsync(loadModelTokenizer(join(five, '..')), { instanceOf: InputError });
  const nul = tmp('tokenizer.json', 'null');
  t.throws(() => tokenizerFileVocabSize(nul), { instanceOf: InputError, message: /expected a JSON object/ });
  t.throws(() => tokenizerSpecialIds(nul), { instanceOf: InputError, message: /expected a JSON object/ });
  t.throws(() => tokenizerFileVocabSize(tempDir()), { instanceOf: InputError });
});

test('tokenizer: special ids come from the library, not the raw JSON (which may disagree with it)', (t) => {
  // An added token whose "id" field is not the next free id: the Rust library (Python's too)
  // appends it after the vocabulary, so the id the raw JSON states is not the one used.
  const j = {
    version: '1.0', truncation: null, padding: null, normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
    added_tokens: [{ id: 7, content: '<|eos|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: { a: 0, b: 1 }, merges: [] },
  };
  const p = tmp('tokenizer.json', JSON.stringify(j));
  const ids = tokenizerSpecialIds(p);
  t.is(ids.eos, 2);
  t.is(tokenizerFileVocabSize(p), 3);
});

// --- eval, AOIs -----------------------------------------------------------------------------------

test('eval: an empty predictions file is an InputError, not zeros', async (t) => {
  await t.throwsAsync(readPredictions(tmp('p.jsonl', '')), { instanceOf: InputError, message: /p\.jsonl: holds no predictions/ });
  await t.throwsAsync(readPredictions(tmp('p.jsonl', '\n  \n')), { instanceOf: InputError, message: /holds no predictions/ });
  await t.throwsAsync(evaluate([], 'translation'), { instanceOf: InputError, message: /no examples to score/ });
});

test('AOIs: a header alone, or only line boxes, is an InputError', async (t) => {
  await t.throwsAsync(readAois(tmp('a.csv', 'kind,name,x,y,width,height,local_id,image,token\n')), { instanceOf: InputError, message: /a\.csv: no AOI rows after the header/ });
  await t.throwsAsync(readAois(tmp('a.csv', 'kind,name,x,y,width,height,local_id,image,token\nline,line 1,0,0,10,10,0,i.jpg,\n')), { instanceOf: InputError, message: /no token boxes/ });
  const ok = await readAois(tmp('a.csv', 'x,y,width,height,token\n1,2,3,4,foo\n'));
  t.is(ok.aois.length, 1);
});

// --- CLI: generate prompts, forward options ---------------------------------------------------------

test('generate: a prompt longer than the model\'s positions is refused before the model loads', async (t) => {
  const { runCli } = await import('../../scripts/fuzz/harness.ts');
  const dir = tempDir();
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(LLAMA3_TOK));
  // no model.safetensors: the refusal must come before any load
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 4096, max_position_embeddings: 16 }));
  const data = join(dir, 'prompts.jsonl');
  writeFileSync(data, JSON.stringify({ id: 'long', input: 'int x = 1; '.repeat(200) }) + '\n');
  const r = await runCli(['generate', '--model', dir, '--data', data]);
  t.is(r.ending, 'typed-error');
  t.regex(r.message, /prompts\.jsonl: example long: the prompt holds \d+ tokens, more than the model's 16 positions/);
  const p = await runCli(['generate', '--model', dir, '--prompt', 'int x = 1; '.repeat(200)]);
  t.is(p.ending, 'typed-error');
  t.regex(p.message, /--prompt: the prompt holds/);
});

test('model forward: --gamma / --beta NaN or Infinity is an OptionError', async (t) => {
  const { runCli } = await import('../../scripts/fuzz/harness.ts');
  for (const [k, v] of [['--gamma', 'NaN'], ['--beta', 'Infinity']]) {
    const r = await runCli(['model', 'forward', '--model', tempDir(), '--batch', 'b.json', '--out', 'o.safetensors', k, v]);
    t.is(r.ending, 'typed-error');
    t.regex(r.message, new RegExp(`${k} must be a finite number`));
  }
});

test('tokenizer encode --file: a file over 16 MiB is refused before it is read', async (t) => {
  const { runCli } = await import('../../scripts/fuzz/harness.ts');
  const { truncateSync } = await import('node:fs');
  const big = tmp('big.txt', '');
  truncateSync(big, 17 * 2 ** 20); // sparse: no 17 MiB written
  const dir = tempDir();
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(LLAMA3_TOK));
  const r = await runCli(['tokenizer', 'encode', '--model', dir, '--file', big]);
  t.is(r.ending, 'typed-error');
  t.regex(r.message, /big\.txt: 17825792 bytes, more than the 16 MiB/);
});
