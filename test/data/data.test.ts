import test from 'ava';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { byteTokenizerJson, BYTE_BOS, BYTE_EOS, BYTE_PAD } from '../../src/tokenizer/byte.ts';
import { buildPrompt, codeOffsetInPrompt } from '../../src/data/prompt.ts';
import { collate, makeCausalExample } from '../../src/data/causal-example.ts';
import { readCodexglueSplit } from '../../src/data/codexglue.ts';
import { parseBatchJson } from '../../src/data/batch-json.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

function byteTok(): Tokenizer {
  const dir = tempDir();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  return Tokenizer.fromFile(join(dir, 'tokenizer.json'));
}

test('the byte-level tokenizer.json loads in HF tokenizers and maps text to its UTF-8 bytes, with code-point offsets', async (t) => {
  const tok = byteTok();
  const text = 'int x = 1; // é😀\n\tret';
  const enc = await tok.encode(text, null, { addSpecialTokens: false });
  t.deepEqual(enc.getIds(), [...Buffer.from(text, 'utf8')]);
  const offs = enc.getOffsets();
  const cps = [...text];
  // every byte token's span is the code point it belongs to
  let k = 0;
  cps.forEach((ch, i) => {
    for (let b = 0; b < Buffer.byteLength(ch); b++, k++) t.deepEqual(offs[k], [i, i + 1], `byte ${k} of ${JSON.stringify(ch)}`);
  });
  t.is(await tok.decode([...Buffer.from(text, 'utf8')], false), text);
  t.is(await tok.decode([BYTE_BOS, 104, 105, BYTE_EOS], true), 'hi');
});

test('prompt template and causal example: loss only on target + EOS', async (t) => {
  const p = buildPrompt('translation', 'int f() { return 1; }');
  t.is(p, '### Instruction:\nTranslate the following Java code into C#.\n\n### Input Code:\nint f() { return 1; }\n\n### Output:\n');
  t.is(p.slice(codeOffsetInPrompt('translation')).startsWith('int f()'), true);
  const tok = byteTok();
  const e = await makeCausalExample(tok as never, 7, 'ab', 'xyz', { bos: BYTE_BOS, eos: BYTE_EOS });
  t.deepEqual([...e.ids], [BYTE_BOS, 97, 98, 120, 121, 122, BYTE_EOS]);
  t.is(e.targetStart, 3);
  t.deepEqual([...e.targetOffsets], [0, 1, 1, 2, 2, 3]);
  const e2 = await makeCausalExample(tok as never, 8, 'a', 'q', { bos: BYTE_BOS, eos: BYTE_EOS });
  const b = collate([e, e2], BYTE_PAD, (x) => (x.id === 7 ? new Float32Array([2, 3, 4]) : undefined));
  t.is(b.seqLen, 7);
  t.deepEqual([...b.labels.subarray(0, 7)], [-100, -100, -100, 120, 121, 122, BYTE_EOS]);
  t.deepEqual([...b.labels.subarray(7)], [-100, -100, 113, BYTE_EOS, -100, -100, -100]);
  t.deepEqual([...b.inputIds.subarray(7)], [BYTE_BOS, 97, 113, BYTE_EOS, BYTE_PAD, BYTE_PAD, BYTE_PAD]);
  t.deepEqual([...b.attentionMask!.subarray(7)], [1, 1, 1, 1, 0, 0, 0]);
  t.deepEqual([...b.weights!.subarray(0, 7)], [1, 1, 1, 2, 3, 4, 1]);
});

test('CodeXGLUE reader: line-aligned pairs, errors name file and line', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'train.java-cs.txt.java'), 'int a() {}\nint b() {}\n');
  writeFileSync(join(dir, 'train.java-cs.txt.cs'), 'int A() {}\nint B() {}\n');
  t.deepEqual(readCodexglueSplit(dir, 'train').map((p) => p.cs), ['int A() {}', 'int B() {}']);
  writeFileSync(join(dir, 'train.java-cs.txt.cs'), 'int A() {}\n   \n');
  t.throws(() => readCodexglueSplit(dir, 'train'), { instanceOf: InputError, message: /train\.java-cs\.txt\.cs:2: empty C# function/ });
  writeFileSync(join(dir, 'train.java-cs.txt.cs'), 'int A() {}\n');
  t.throws(() => readCodexglueSplit(dir, 'train'), { instanceOf: InputError, message: /line-aligned/ });
  mkdirSync(join(dir, 'x'));
  t.throws(() => readCodexglueSplit(join(dir, 'x'), 'valid'), { instanceOf: InputError, message: /missing CodeXGLUE file/ });
});

test('BATCH.json: rows become [B,T] arrays; ragged or non-numeric rows name the field and row', (t) => {
  const b = parseBatchJson('{"input_ids": [[1,2,3],[4,5,6]], "weights": [[1,2,3],[1,1,1]]}', 'b.json');
  t.is(b.batchSize, 2); t.is(b.seqLen, 3);
  t.deepEqual([...b.labels], [1, 2, 3, 4, 5, 6]);
  t.deepEqual([...b.weights!], [1, 2, 3, 1, 1, 1]);
  t.throws(() => parseBatchJson('{"input_ids": [[1,2,3],[4,5]]}', 'b.json'), { message: /b\.json: field "input_ids" row 1 has 2 entries, expected 3/ });
  t.throws(() => parseBatchJson('{"input_ids": [[1,2]], "labels": [[1,"x"]]}', 'b.json'), { message: /field "labels" row 0 column 1 is not a finite number/ });
  t.throws(() => parseBatchJson('{"labels": [[1]]}', 'b.json'), { message: /"input_ids" is required/ });
  t.throws(() => parseBatchJson('{', 'b.json'), { instanceOf: InputError, message: /not valid JSON/ });
});
