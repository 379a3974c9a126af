import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distillFiles, loadPriors, savePriors } from '../../src/priors/index.ts';
import { InputError } from '../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'eyemulator-distill-'));
const VD = 'variable declaration';
const L = 'loop';
const CS = 'conditional statement';
const R = 'return';

const records = [
  {
    participant: 'p1', stimulus: 's1', mode: 'reading',
    tokens: [
      { id: 1, text: 'int', label: VD, line: 1 },
      { id: 2, text: 'x', label: VD, line: 1 },
      { id: 3, text: '=', label: VD, line: 1 },
      { id: 4, text: 'for', label: L, line: 2 },
      { id: 5, text: 'i', label: L, line: 2 },
      { id: 6, text: '// c', label: 'comment', line: 3 },
      { id: 7, text: ';', label: null, line: 1 },
    ],
    // one consecutive repeat (2, 2) to collapse; 7 is unlabelled
    visits: [1, 2, 2, 4, 7, 1, 5],
  },
  {
    participant: 'p2', stimulus: 's2', mode: 'writing',
    tokens: [
      { id: 'u1', text: 'if', label: CS, line: 1 },
      { id: 'u2', text: 'x', label: CS, line: 1 },
      { id: 'u3', text: 'return', label: R, line: 2 },
      { id: 'u4', text: 'x', label: R, line: 2 },
    ],
    visits: ['u1', 'u3', 'u1', 'u3'],
  },
  {
    participant: 'p2', stimulus: 's3', mode: 'writing',
    tokens: [
      { id: 1, text: 'y', label: VD, line: 1 },
      { id: 2, text: 'while', label: L, line: 2 },
    ],
    visits: [1, 2],
  },
];
const file = join(dir, 'paths.jsonl');
writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n\n');

const k = (...labels: string[]) => labels.join('|');

test('distil: hand-computed α, β and n-gram counts per mode (minCount 1)', (t) => {
  const { priors, report } = distillFiles([file], { minCount: 1 });
  const { reading, writing, combined } = priors.modes;
  // reading: VD shown 3, fixated 2 (int, x); loop shown 2, fixated 2; comment shown 1, fixated 0
  t.deepEqual(reading!.labels, {
    comment: { alpha: 1, beta: 2, fixated: 0, shown: 1 },
    loop: { alpha: 3, beta: 1, fixated: 2, shown: 2 },
    [VD]: { alpha: 3, beta: 2, fixated: 2, shown: 3 },
  });
  // label sequence of reading visits: VD VD L (unlabelled skipped) VD L
  t.deepEqual(reading!.ngrams, {
    '1': { loop: 2, [VD]: 3 },
    '2': { [k(L, VD)]: 1, [k(VD, L)]: 2, [k(VD, VD)]: 1 },
    '3': { [k(L, VD, L)]: 1, [k(VD, L, VD)]: 1, [k(VD, VD, L)]: 1 },
  });
  t.deepEqual(writing!.labels, {
    [CS]: { alpha: 2, beta: 2, fixated: 1, shown: 2 },
    loop: { alpha: 2, beta: 1, fixated: 1, shown: 1 },
    return: { alpha: 2, beta: 2, fixated: 1, shown: 2 },
    [VD]: { alpha: 2, beta: 1, fixated: 1, shown: 1 },
  });
  t.deepEqual(writing!.ngrams['2'], { [k(CS, R)]: 2, [k(R, CS)]: 1, [k(VD, L)]: 1 });
  // combined = reading + writing
  t.deepEqual(combined!.labels[VD], { alpha: 4, beta: 2, fixated: 3, shown: 4 });
  t.deepEqual(combined!.labels.loop, { alpha: 4, beta: 1, fixated: 3, shown: 3 });
  t.is(combined!.ngrams['2'][k(VD, L)], 3);
  t.is(combined!.ngrams['1'][VD], 4);
  t.is(report.collapsedVisits, 1);
  t.is(report.unlabelledVisits, 1);
  t.is(report.unlabelledTokensShown, 1);
  t.deepEqual(report.usedByMode, { reading: 1, writing: 2 });
});

test('distil: minCount prunes each mode, combined is pruned after summing', (t) => {
  const { priors, report } = distillFiles([file], { minCount: 2 });
  t.deepEqual(priors.modes.reading!.ngrams['2'], { [k(VD, L)]: 2 });
  t.deepEqual(priors.modes.reading!.ngrams['3'], {});
  t.deepEqual(priors.modes.writing!.ngrams['2'], { [k(CS, R)]: 2 });
  // VD→L: 2 in reading + 1 in writing = 3, kept although writing's own 1 was pruned
  t.deepEqual(priors.modes.combined!.ngrams['2'], { [k(CS, R)]: 2, [k(VD, L)]: 3 });
  t.is(report.pruned.reading!.removed['2'].ngrams, 2);
  t.is(report.pruned.reading!.removed['3'].ngrams, 3);
  // the written file loads back and validates
  const out = join(dir, 'distilled.json');
  savePriors(priors, out);
  t.deepEqual(loadPriors(out), priors);
});

test('distil: --mode-filter keeps one mode; sorted n-gram keys merge orders', (t) => {
  const { priors, report } = distillFiles([file], { minCount: 1, modeFilter: 'reading', ngramOrder: 'sorted' });
  t.deepEqual(Object.keys(priors.modes).sort(), ['combined', 'reading']);
  t.is(report.skippedByFilter, 2);
  // VD→L (2) and L→VD (1) are one label set
  t.is(priors.modes.reading!.ngrams['2'][k(L, VD)], 3);
  t.is(priors.modes.reading!.ngrams['2'][k(VD, L)] as number | undefined, undefined);
  t.is(priors.ngramOrder, 'sorted');
});

function badFile(name: string, lines: string[]): string {
  const f = join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

const good = JSON.stringify(records[2]);

test('malformed scan-path rows give file:line errors naming the field', (t) => {
  const cases: [string, string[], RegExp][] = [
    ['json.jsonl', [good, '{"participant": ', good], /json\.jsonl:2: not valid JSON/],
    ['visit.jsonl', [good, good, JSON.stringify({ ...records[2], visits: [1, 9] })], /visit\.jsonl:3: field visits\[1\]: token id 9 is not among the tokens/],
    ['label.jsonl', [JSON.stringify({ ...records[2], tokens: [records[2].tokens[0], { id: 2, text: 'w', label: 'loops', line: 2 }] })], /label\.jsonl:1: field tokens\[1\]\.label: not a semantic label/],
    ['mode.jsonl', [good, JSON.stringify({ ...records[2], mode: 'skimming' })], /mode\.jsonl:2: field mode/],
    ['line.jsonl', [JSON.stringify({ ...records[2], tokens: [{ id: 1, text: 'y', label: VD, line: 0 }, records[2].tokens[1]] })], /line\.jsonl:1: field tokens\[0\]\.line/],
    ['dup.jsonl', [JSON.stringify({ ...records[2], tokens: [records[2].tokens[0], records[2].tokens[0]] })], /dup\.jsonl:1: field tokens\[1\]\.id: token id 1 appears twice/],
  ];
  for (const [name, lines, re] of cases) {
    const f = badFile(name, lines);
    const err = t.throws(() => distillFiles([f]), { instanceOf: InputError });
    t.regex(err!.message, re, name);
    t.is((err as InputError).file, f);
  }
});

test('distil: no usable scan paths is an error, not empty priors', (t) => {
  const f = badFile('empty.jsonl', ['', '']);
  t.throws(() => distillFiles([f]), { instanceOf: InputError, message: /no scan paths/ });
});
