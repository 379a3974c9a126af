import test from 'ava';
import { degPerSecToPxPerMs, detectFixations, detectIvt, parseGeometry, pixelsPerDegree } from '../../src/gaze/index.ts';
import { OptionError } from '../../src/util/errors.ts';
import { samples } from './helpers.ts';

// 100 Hz. Fixation 1 at (100,100) t = 0..100 with an invalid sample at t = 50; saccade samples at
// t = 110 (200,100) and t = 120 (300,100), 10 px/ms each; fixation 2 at (300,100) t = 130..250;
// then a dwell at (500,100) (t = 270..320) whose slow samples span only t = 280..320 (40 ms):
// t = 270 arrives at 10 px/ms.
const rows: Array<[number, number, number]> = [];
for (let t = 0; t <= 100; t += 10) rows.push([t, t === 50 ? NaN : 100, t === 50 ? NaN : 100]);
rows.push([110, 200, 100], [120, 300, 100]);
for (let t = 130; t <= 250; t += 10) rows.push([t, 300, 100]);
rows.push([260, 400, 100]);
for (let t = 270; t <= 320; t += 10) rows.push([t, 500, 100]);
const trace = samples(rows);

test('I-VT: hand-computed fixations at 1 px/ms', (t) => {
  const r = detectIvt('s', trace, { velocityPxPerMs: 1, minDurationMs: 100 });
  t.deepEqual(r.counts, { samples: trace.length, invalid: 1, fixations: 2 });
  const [f1, f2] = r.fixations;
  t.deepEqual([f1.startMs, f1.endMs, f1.durationMs, f1.x, f1.y, f1.samples], [0, 100, 100, 100, 100, 10]);
  // t = 120 arrives at 10 px/ms, so it is a saccade sample; the fixation starts at 130.
  t.deepEqual([f2.startMs, f2.endMs, f2.durationMs, f2.x, f2.y, f2.samples], [130, 250, 120, 300, 100, 13]);
});

test('I-VT: threshold above the saccade speed merges everything into runs; min duration still applies', (t) => {
  const r = detectIvt('s', trace, { velocityPxPerMs: 20, minDurationMs: 100 });
  t.is(r.fixations.length, 1);
  t.deepEqual([r.fixations[0].startMs, r.fixations[0].endMs], [0, 320]);
  const short = detectIvt('s', trace, { velocityPxPerMs: 1, minDurationMs: 40 });
  t.is(short.fixations.length, 3);
  t.deepEqual([short.fixations[2].startMs, short.fixations[2].endMs, short.fixations[2].x], [280, 320, 500]);
  t.is(detectIvt('s', trace, { velocityPxPerMs: 1, minDurationMs: 41 }).fixations.length, 2);
});

test('degrees ↔ pixels for the EMIP screen (1920 px / 344 mm at 700 mm)', (t) => {
  const g = parseGeometry('1920,1080,344,194,700');
  const expected = (2 * 700 * Math.tan(Math.PI / 360)) / (344 / 1920);
  t.true(Math.abs(pixelsPerDegree(g) - expected) < 1e-9);
  t.true(Math.abs(pixelsPerDegree(g) - 68.19) < 0.01);
  t.true(Math.abs(degPerSecToPxPerMs(30, g) - 2.0457) < 0.001);
  t.throws(() => parseGeometry('1920,1080,344'), { instanceOf: OptionError });
});

test('I-VT through detectFixations needs a threshold', (t) => {
  t.throws(() => detectFixations([{ stimulus: 's', onsetMs: 0, samples: trace, invalid: 1 }], { algorithm: 'ivt', dispersionPx: 0, minDurationMs: 100 }), { instanceOf: OptionError });
  t.is(detectFixations([{ stimulus: 's', onsetMs: 0, samples: trace, invalid: 1 }], { algorithm: 'ivt', dispersionPx: 0, minDurationMs: 100, velocityPxPerMs: 1 }).counts.fixations, 2);
});
