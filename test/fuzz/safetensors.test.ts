/**
 * Issue 9, safetensors at the boundary: each defect the fuzzer found is refused with a typed error
 * by the TS header reader (`model info`) and by the engine's loader (cpp/safetensors.cpp), and a
 * valid file (also one with padding spaces after the JSON) is read the same by both.
 */
import test from 'ava';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../../src/model/safetensors-header.ts';
import { parseStrictJson, StrictJsonError } from '../../src/model/strict-json.ts';
import { InputError } from '../../src/util/errors.ts';
import { native } from '../../src/native/index.ts';
import { Model } from '../../src/model/model.ts';
import { SafetensorsError } from '../../src/native/errors.ts';
import { tempDir, TINY } from '../helpers/tiny-model.ts';

/** A safetensors file from a header text and a data section (header padded to 8 bytes with spaces, as writers do). */
function file(headerText: string, data: Buffer, opts: { pad?: boolean; length?: (n: number) => bigint } = {}): Buffer {
  let h = headerText;
  if (opts.pad !== false) while ((h.length + 8) % 8 !== 0) h += ' ';
  const hb = Buffer.from(h, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.length ? opts.length(hb.length) : BigInt(hb.length));
  return Buffer.concat([len, hb, data]);
}

const DATA = Buffer.alloc(32, 7);
const GOOD = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}';

function write(bytes: Buffer): string {
  const p = join(tempDir(), 'x.safetensors');
  writeFileSync(p, bytes);
  return p;
}

/** Refused by the TS reader and the engine's reader, both messages matching `re`. */
function refused(t: import('ava').ExecutionContext, bytes: Buffer, re: RegExp) {
  const p = write(bytes);
  const ts = t.throws(() => readSafetensorsHeader(p), { instanceOf: InputError });
  t.regex(ts!.message, re, 'TS reader');
  t.true(ts!.message.startsWith(p), 'names the file');
  const cpp = t.throws(() => native().readSafetensors(p));
  t.is((cpp as { code?: string }).code, 'EYEMULATOR_SAFETENSORS');
  t.regex(cpp!.message, re, 'engine');
}

test('a valid file reads the same in TS and the engine', (t) => {
  const p = write(file(GOOD, DATA));
  const h = readSafetensorsHeader(p);
  t.deepEqual(h.metadata, { format: 'pt' });
  t.deepEqual(h.tensors.map((x) => [x.name, x.shape, x.dataOffsets]), [['a', [2, 2], [0, 16]], ['b', [4], [16, 32]]]);
  const st = native().readSafetensors(p);
  t.deepEqual(Object.keys(st.tensors).sort(), ['a', 'b']);
});

test('header length one byte short (padding cut off): every tensor would read one byte off → refused', (t) => {
  // GOOD is padded with spaces to a multiple of 8: dropping one pad byte still parses as JSON.
  refused(t, file(GOOD, DATA, { length: (n) => BigInt(n - 1) }), /trailing bytes|belong to no tensor/);
});

test('header length one byte long → refused', (t) => {
  refused(t, file(GOOD, DATA, { length: (n) => BigInt(n + 1) }), /not valid JSON|past the end/);
});

test('header length past the end of the file, or absurd → refused', (t) => {
  refused(t, file(GOOD, DATA, { length: () => 1n << 62n }), /header length \d+ runs past the end/);
});

test('a header that is not a JSON object (null, array, number) → refused', (t) => {
  refused(t, file('null', Buffer.alloc(0)), /does not start with '\{'/);
  refused(t, file('[1,2]', Buffer.alloc(0)), /does not start with '\{'/);
  refused(t, file('{}', DATA), /trailing bytes/);
});

test('__metadata__ must be a string map', (t) => {
  refused(t, file(GOOD.replace('"format":"pt"', '"format":5'), DATA), /__metadata__ field "format" is not a string/);
  refused(t, file(GOOD.replace('{"format":"pt"}', 'null'), DATA), /__metadata__ is not an object/);
});

test('unknown dtype, non-integer or negative dimension, fractional offsets → refused', (t) => {
  refused(t, file(GOOD.replace('"dtype":"F32","shape":[4]', '"dtype":"F31","shape":[4]'), DATA), /"b".*unknown dtype "F31"/);
  refused(t, file(GOOD.replace('[2,2]', '[2,-2]'), DATA), /"a".*negative dimension/);
  refused(t, file(GOOD.replace('[2,2]', '[2,2.0]'), DATA), /"a".*non-integer/);
  refused(t, file(GOOD.replace('[16,32]', '[16,32.5]'), DATA), /"b".*data_offsets must be two non-negative integers/);
  refused(t, file(GOOD.replace('[16,32]', '[16]'), DATA), /"b".*data_offsets must be two/);
});

test('dtype × shape ≠ byte length, also when the product overflows 64 bits', (t) => {
  refused(t, file(GOOD.replace('[4]', '[5]'), DATA), /"b".*needs 20 bytes but data_offsets span 16/);
  // 2^32 × 2^32 × 4 bytes wraps to 0 in 64-bit arithmetic: must not match a 0-byte range.
  refused(t, file(GOOD.replace('"shape":[4],"data_offsets":[16,32]', '"shape":[4294967296,4294967296],"data_offsets":[32,32]'), DATA), /"b".*(overflow|needs \d+ bytes)/);
});

test('offsets past the end, overlaps, gaps → refused', (t) => {
  refused(t, file(GOOD.replace('[16,32]', '[16,48]').replace('[4]', '[8]'), DATA), /"b".*past the end of the data section/);
  refused(t, file(GOOD.replace('[16,32]', '[8,24]'), DATA), /"a".*"b".*overlap/);
  refused(t, file(GOOD.replace('[0,16]', '[16,32]').replace('[16,32]', '[16,32]'), DATA), /overlap|belong to no tensor/);
  refused(t, file(GOOD.replace('"shape":[4],"data_offsets":[16,32]', '"shape":[2],"data_offsets":[24,32]'), DATA), /bytes \[16, 24\) of the data section belong to no tensor/);
});

test('truncated file → refused naming the tensor', (t) => {
  const bytes = file(GOOD, DATA);
  refused(t, bytes.subarray(0, bytes.length - 5), /"b".*past the end of the data section.*truncated/);
  refused(t, bytes.subarray(0, 5), /truncated file: 5 bytes/);
});

test('repeated keys at any depth (JSON keeps the last silently) → refused', (t) => {
  refused(t, file(GOOD.replace('"b":{', '"a":{'), DATA), /"a" appears twice/);
  refused(t, file(GOOD.replace('"dtype":"F32","shape":[4]', '"dtype":"F32","dtype":"F16","shape":[4]'), DATA), /"dtype" appears twice/);
});

test('a directory or invalid UTF-8 where the file is expected → typed error', (t) => {
  const d = tempDir();
  t.throws(() => readSafetensorsHeader(d), { instanceOf: InputError });
  t.throws(() => native().readSafetensors(d), { message: new RegExp(d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
  const bytes = file(GOOD, DATA);
  bytes[bytes.indexOf('"a"') + 1] = 0xff; // invalid UTF-8 inside a key
  const p = write(bytes);
  t.throws(() => readSafetensorsHeader(p), { instanceOf: InputError, message: /UTF-8|JSON/ });
  t.throws(() => native().readSafetensors(p), { message: /JSON|UTF-8/ });
});

test('strict JSON: integers stay exact as bigint, repeated keys and deep nesting are refused', (t) => {
  t.deepEqual(parseStrictJson('{"a":[9007199254740993, 1.5, -0, true, null, "x\\u00e9"]}'), Object.assign(Object.create(null), { a: [9007199254740993n, 1.5, 0n, true, null, 'xé'] }));
  t.throws(() => parseStrictJson('{"a":1,"a":2}'), { instanceOf: StrictJsonError, message: /"a" appears twice/ });
  t.throws(() => parseStrictJson('['.repeat(100) + ']'.repeat(100)), { instanceOf: StrictJsonError, message: /nesting/ });
  t.throws(() => parseStrictJson('{"a":1} x'), { instanceOf: StrictJsonError });
  t.throws(() => parseStrictJson('01'), { instanceOf: StrictJsonError });
});

test('a model saved by the engine still loads (its files tile the data section)', async (t) => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const m = await Model.create(dir, TINY, { seed: 3 });
  m.dispose();
  t.notThrows(() => readSafetensorsHeader(join(dir, 'model.safetensors')));
  const again = await Model.load(dir);
  again.dispose();
  // and the engine's loader refuses a header-length shift in a real model file
  const p = join(dir, 'model.safetensors');
  const buf = readFileSync(p);
  const n = buf.readBigUInt64LE(0);
  if (buf[8 + Number(n) - 1] === 0x20) {
    buf.writeBigUInt64LE(n - 1n, 0);
    writeFileSync(p, buf);
    await t.throwsAsync(Model.load(dir), { instanceOf: SafetensorsError, message: /trailing bytes|belong to no tensor/ });
  }
});
