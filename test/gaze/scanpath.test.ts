import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildScanPath, collapseRepeats, formatScanPathLine, readScanPaths, type Aoi, type Alignment, type Fixation } from '../../src/gaze/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir, tempFile } from './helpers.ts';

test('collapseRepeats merges only consecutive repeats', (t) => {
  t.deepEqual(collapseRepeats([3, 3, 5, 3, 3]), [3, 5, 3]);
  t.deepEqual(collapseRepeats([1, 1, 1]), [1]);
  t.deepEqual(collapseRepeats([1, 2, 1, 2]), [1, 2, 1, 2]);
  t.deepEqual(collapseRepeats([]), []);
});

const aois: Aoi[] = [
  { id: 0, x: 0, y: 0, width: 50, height: 20, text: 'int', line: 1, part: 1, name: 'line 1 part 1', image: null },
  { id: 1, x: 60, y: 0, width: 50, height: 20, text: 'x', line: 1, part: 2, name: 'line 1 part 2', image: null },
  { id: 2, x: 0, y: 40, width: 50, height: 20, text: 'return', line: 2, part: 1, name: 'line 2 part 1', image: null },
];
const fx = (startMs: number, x: number, y: number): Fixation => ({ stimulus: 's.jpg', startMs, endMs: startMs + 100, durationMs: 100, x, y });

test('buildScanPath: unmapped fixations dropped and counted, repeats collapsed, every token listed with its label', (t) => {
  const alignment: Alignment = {
    byAoi: [
      { aoiId: 0, text: 'int', codeTokens: [0], label: 'variable declaration', labelId: 20, matchedChars: 3, totalChars: 3 },
      { aoiId: 1, text: 'x', codeTokens: [1], label: 'variable declaration', labelId: 20, matchedChars: 1, totalChars: 1 },
      { aoiId: 2, text: 'return', codeTokens: [2], label: 'return', labelId: 17, matchedChars: 6, totalChars: 6 },
    ],
    stats: {} as Alignment['stats'],
  };
  // Given out of order on purpose: the builder orders by start time.
  const fixations = [fx(500, 10, 45), fx(0, 10, 5), fx(100, 20, 10), fx(200, 500, 500), fx(300, 30, 15), fx(400, 70, 10)];
  const r = buildScanPath({ participant: '7', stimulus: 's.jpg', mode: 'reading', aois, alignment, fixations });
  t.is(r.fixations, 6);
  t.is(r.mapped, 5);
  t.is(r.unmapped, 1);
  // hits in time order: 0, 0, (miss), 0, 1, 2 → visits 0, 1, 2
  t.deepEqual(r.scanPath.visits, [0, 1, 2]);
  t.deepEqual(r.scanPath.tokens, [
    { id: 0, text: 'int', label: 'variable declaration', line: 1 },
    { id: 1, text: 'x', label: 'variable declaration', line: 1 },
    { id: 2, text: 'return', label: 'return', line: 2 },
  ]);
  const noLabels = buildScanPath({ participant: '7', stimulus: 's.jpg', mode: 'writing', aois, alignment: null, fixations });
  t.true(noLabels.scanPath.tokens.every((tok) => tok.label === null));
  t.is(noLabels.scanPath.mode, 'writing');
});

test('scan-path JSONL round trip, fixed key order, and file:line errors for bad lines', async (t) => {
  const p = { participant: '7', stimulus: 's.jpg', mode: 'reading' as const, tokens: [{ id: 0, text: 'int', label: null, line: 1 }], visits: [0, 0] };
  const line = formatScanPathLine(p);
  t.is(line, '{"participant":"7","stimulus":"s.jpg","mode":"reading","tokens":[{"id":0,"text":"int","label":null,"line":1}],"visits":[0,0]}');
  const dir = tempDir();
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, line + '\n\n' + line + '\n');
  t.deepEqual(await readScanPaths(good), [p, p]);
  const bad = tempFile('bad.jsonl', line + '\n{"participant":"7"}\n');
  const e1 = await t.throwsAsync(readScanPaths(bad), { instanceOf: InputError });
  t.regex(e1!.message, /bad\.jsonl:2: not a scan path/);
  const stray = tempFile('stray.jsonl', line.replace('"visits":[0,0]', '"visits":[0,9]') + '\n');
  const e2 = await t.throwsAsync(readScanPaths(stray), { instanceOf: InputError });
  t.regex(e2!.message, /stray\.jsonl:1: visit 9 names no token/);
  const notJson = tempFile('nj.jsonl', '{oops\n');
  t.regex((await t.throwsAsync(readScanPaths(notJson)))!.message, /nj\.jsonl:1: not JSON/);
});
