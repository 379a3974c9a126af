import test from 'ava';
import { readSmi, stimulusOfMessage } from '../../src/gaze/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempFile } from './helpers.ts';

const COLS = ['Time', 'Type', 'Trial', 'L POR X [px]', 'L POR Y [px]', 'R POR X [px]', 'R POR Y [px]', 'Timing', 'L Validity', 'R Validity'];
const HEADER = [
  '## [iView]',
  '## Sample Rate:\t250',
  '## Subject: \t99',
  '## Calibration Area:\t1920\t1080',
  '## [Geometry]',
  '## Stimulus Dimension [mm]:\t344\t194',
  '## Head Distance [mm]:\t700',
  '## ',
  COLS.join('\t'),
];
const smp = (timeUs: number, lx: string, ly: string, rx: string, ry: string, lv = '1', rv = '1') => [timeUs, 'SMP', 1, lx, ly, rx, ry, 0, lv, rv].join('\t');
const msg = (timeUs: number, text: string) => [timeUs, 'MSG', 1, `# Message: ${text}`].join('\t');

// File lines: 1–9 header; data from line 10.
const BODY = [
  smp(1_000_000, '5', '5', '5', '5'), // 10: before any stimulus
  msg(2_000_000, 'a.jpg'), // 11
  smp(2_004_000, '100', '200', '110', '210'), // 12: both eyes → (105, 205), t = 4 ms
  smp(2_008_000, '100', '200', '500', '500', '1', '0'), // 13: right eye invalid → left only
  smp(2_012_000, '0.00', '0.00', '0.00', '0.00', '0', '0'), // 14: lost
  smp(2_016_000, 'NaN', 'NaN', '', ''), // 15: lost
  msg(2_018_000, 'UE-mouseclick left x=1 y=2'), // 16: not a stimulus
  smp(2_020_000, '300', '300', '0', '0', '1', '1'), // 17: right eye at 0,0 → left only
  msg(3_000_000, 'b.jpg'), // 18
  smp(3_001_500, '1', '2', '1', '2'), // 19
  msg(4_000_000, 'a.jpg'), // 20: second showing of a.jpg
  smp(4_002_000, '7', '8', '7', '8'), // 21
];

test('SMI reader: header, stimuli from image messages, eye averaging, invalid samples, counts', async (t) => {
  const file = tempFile('fixture.tsv', [...HEADER, ...BODY].join('\n') + '\n');
  const r = await readSmi(file);
  t.is(r.sampleRate, 250);
  t.is(r.subject, '99');
  t.deepEqual(r.screen, { widthPx: 1920, heightPx: 1080, widthMm: 344, heightMm: 194, distanceMm: 700 });
  t.deepEqual(r.stimuli.map((s) => [s.stimulus, s.onsetMs, s.samples.length, s.invalid]), [
    ['a.jpg', 2000, 5, 2],
    ['b.jpg', 3000, 1, 0],
    ['a.jpg#2', 4000, 1, 0],
  ]);
  const a = r.stimuli[0].samples;
  t.deepEqual(a[0], { t: 4, x: 105, y: 205, valid: true });
  t.deepEqual(a[1], { t: 8, x: 100, y: 200, valid: true });
  t.false(a[2].valid);
  t.false(a[3].valid);
  t.deepEqual(a[4], { t: 20, x: 300, y: 300, valid: true });
  t.is(r.stimuli[1].samples[0].t, 1.5);
  t.deepEqual(r.counts, { rows: 12, samples: 7, invalid: 2, messages: 4, outsideStimulus: 1, malformed: 0, otherStimulus: 0 });
});

test('SMI reader: --eyes right, and the stimulus filter counts what it leaves out', async (t) => {
  const file = tempFile('fixture.tsv', [...HEADER, ...BODY].join('\n') + '\n');
  const right = await readSmi(file, { eyes: 'right' });
  t.deepEqual(right.stimuli[0].samples.map((s) => s.valid), [true, false, false, false, false]);
  t.is(right.stimuli[0].samples[0].x, 110);
  const onlyA = await readSmi(file, { stimulus: 'a.jpg' });
  t.deepEqual(onlyA.stimuli.map((s) => s.stimulus), ['a.jpg', 'a.jpg#2']);
  t.is(onlyA.counts.otherStimulus, 1);
  const second = await readSmi(file, { stimulus: 'a.jpg#2' });
  t.deepEqual(second.stimuli.map((s) => s.stimulus), ['a.jpg#2']);
  t.is(second.counts.otherStimulus, 6);
});

test('SMI reader: malformed rows are InputErrors naming file:line, or skipped and counted', async (t) => {
  const cases: Array<[string, RegExp]> = [
    [smp(2_030_000, 'abc', '1', '1', '1'), /bad\.tsv:18: gaze coordinate "abc" is not a number/],
    [[2_030_000, 'SMP', 1, '5', '5'].join('\t'), /bad\.tsv:18: sample row has 5 fields/],
    [smp(NaN, '1', '1', '1', '1').replace('NaN', 'x12'), /bad\.tsv:18: Time "x12" is not a number/],
    [smp(1_500_000, '1', '1', '1', '1'), /bad\.tsv:18: Time 1500000 µs goes backwards/],
    [[2_030_000, 'XYZ', 1].join('\t'), /bad\.tsv:18: Type "XYZ" is neither SMP nor MSG/],
  ];
  for (const [row, re] of cases) {
    const lines = [...HEADER, ...BODY.slice(0, 8), row, ...BODY.slice(8)];
    const file = tempFile('bad.tsv', lines.join('\n') + '\n');
    const err = await t.throwsAsync(readSmi(file), { instanceOf: InputError });
    t.regex(err!.message, re);
    t.is((err as InputError).line, 18);
    const skipped = await readSmi(file, { onMalformed: 'skip' });
    t.is(skipped.counts.malformed, 1);
    t.is(skipped.issues[0].line, 18);
    t.is(skipped.counts.samples, 7); // the good rows are all still there
  }
});

test('SMI reader: files that are not SMI exports fail with a file:line message', async (t) => {
  const noCols = tempFile('nocols.tsv', '## Sample Rate:\t60\nfoo\tbar\n1\t2\n');
  t.regex((await t.throwsAsync(readSmi(noCols), { instanceOf: InputError }))!.message, /nocols\.tsv:2: column header row lacks "Time" and "Type"/);
  const noPor = tempFile('nopor.tsv', 'Time\tType\tTrial\n1\tSMP\t1\n');
  t.regex((await t.throwsAsync(readSmi(noPor), { instanceOf: InputError }))!.message, /nopor\.tsv:1: no "L POR X/);
  const empty = tempFile('empty.tsv', '## Sample Rate:\t60\n');
  t.regex((await t.throwsAsync(readSmi(empty), { instanceOf: InputError }))!.message, /empty\.tsv: no column header row/);
  await t.throwsAsync(readSmi('/nonexistent/x.tsv'), { instanceOf: InputError, message: /x\.tsv: cannot read/ });
});

test('stimulusOfMessage finds image names only', (t) => {
  t.is(stimulusOfMessage('# Message: rectangle_java2.jpg'), 'rectangle_java2.jpg');
  t.is(stimulusOfMessage('# Message: C:\\stimuli\\vehicle_java.JPG'), 'vehicle_java.JPG');
  t.is(stimulusOfMessage('# Message: UE-mouseclick left x=420 y=370'), null);
});
