import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonLine, parseJsonText, readJsonFile, readJsonFileIfExists, stripBom, writeJsonAtomic } from '../../src/util/json.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

test('a leading UTF-8 BOM is stripped; only one, only at the start', (t) => {
  t.is(stripBom('\uFEFF{"a":1}'), '{"a":1}');
  t.is(stripBom('{"a":1}'), '{"a":1}');
  t.deepEqual(parseJsonText('\uFEFF{"a":1}'), { a: 1 });
  t.throws(() => parseJsonText('\uFEFF\uFEFF{}', { file: 'x.json' }), { instanceOf: InputError, message: /^x\.json: not valid JSON/ });
});

test('readJsonFile: BOM file (bytes EF BB BF) parses; bad JSON and missing files are InputErrors naming the file', (t) => {
  const dir = tempDir();
  const f = join(dir, 'config.json');
  writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"eos_token_id": [1, 2]}')]));
  t.deepEqual(readJsonFile(f), { eos_token_id: [1, 2] });
  writeFileSync(join(dir, 'bad.json'), '{"a": ');
  t.throws(() => readJsonFile(join(dir, 'bad.json')), { instanceOf: InputError, message: /bad\.json: not valid JSON/ });
  t.throws(() => readJsonFile(join(dir, 'none.json')), { instanceOf: InputError, message: /none\.json: no such file/ });
  t.is(readJsonFileIfExists(join(dir, 'none.json')), null);
});

test('parseJsonLine names file:line and accepts a BOM on line 1', (t) => {
  t.deepEqual(parseJsonLine('\uFEFF{"id":1}', 'd.jsonl', 1), { id: 1 });
  t.throws(() => parseJsonLine('{', 'd.jsonl', 3), { instanceOf: InputError, message: /^d\.jsonl:3: not valid JSON/ });
});

test('writeJsonAtomic writes pretty JSON + newline and leaves no temp file', (t) => {
  const dir = tempDir();
  const f = join(dir, 'g.json');
  writeJsonAtomic(f, { a: 1 });
  writeJsonAtomic(f, { b: [1, 2] });
  t.is(readFileSync(f, 'utf8'), '{\n  "b": [\n    1,\n    2\n  ]\n}\n');
  t.deepEqual(readdirSync(dir), ['g.json']);
});
