import test from 'ava';
import { detectIdt, readSampleCsv } from '../../src/gaze/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempFile } from './helpers.ts';

test('generic CSV: t_ms,x,y in any column order; missing / NaN / 0,0 / valid=0 are invalid samples', async (t) => {
  const file = tempFile('trace.csv', ['y,t_ms,x,valid', '10,0,20,1', '11,10,21,', ',20,22,1', 'NaN,30,NaN,1', '0,40,0,1', '12,50,23,0', '13,60,24,true'].join('\n'));
  const r = await readSampleCsv(file);
  t.is(r.stimuli.length, 1);
  t.is(r.stimuli[0].stimulus, 'trace.csv');
  t.deepEqual(r.stimuli[0].samples.map((s) => s.valid), [true, true, false, false, false, false, true]);
  t.deepEqual(r.stimuli[0].samples[1], { t: 10, x: 21, y: 11, valid: true });
  t.is(r.counts.invalid, 4);
  t.is(r.sampleRate, null);
});

test('generic CSV: a stimulus column splits showings; malformed rows give file:line', async (t) => {
  const file = tempFile('s.csv', ['t_ms,x,y,stimulus', '0,1,1,a.jpg', '10,1,1,a.jpg', '0,2,2,b.jpg', '5,3,3,a.jpg'].join('\n'));
  const r = await readSampleCsv(file, { defaultStimulus: 'unused' });
  t.deepEqual(r.stimuli.map((s) => [s.stimulus, s.samples.length]), [['a.jpg', 2], ['b.jpg', 1], ['a.jpg#2', 1]]);
  const bad = tempFile('bad.csv', ['t_ms,x,y', '0,1,1', '10,one,1', '20,1'].join('\n'));
  t.regex((await t.throwsAsync(readSampleCsv(bad), { instanceOf: InputError }))!.message, /bad\.csv:3: x\/y "one", "1" is not a number/);
  const skipped = await readSampleCsv(bad, { onMalformed: 'skip' });
  t.is(skipped.counts.malformed, 2);
  t.deepEqual(skipped.issues.map((i) => i.line), [3, 4]);
  t.regex(skipped.issues[1].message, /row has 2 fields, the header has 3/);
  const noHeader = tempFile('nh.csv', 'a,b\n1,2\n');
  t.regex((await t.throwsAsync(readSampleCsv(noHeader)))!.message, /nh\.csv:1: header row must name columns t_ms, x, y/);
});

test('generic CSV feeds I-DT like any recording', async (t) => {
  const rows = ['t_ms,x,y'];
  for (let k = 0; k <= 10; k++) rows.push(`${k * 20},${500 + (k % 2)},${300}`);
  const r = await readSampleCsv(tempFile('f.csv', rows.join('\n')));
  const det = detectIdt(r.stimuli[0].stimulus, r.stimuli[0].samples, { dispersionPx: 5, minDurationMs: 100 });
  t.is(det.fixations.length, 1);
  t.is(det.fixations[0].durationMs, 200);
});
