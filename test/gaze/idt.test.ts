import test from 'ava';
import { detectIdt, detectFixations } from '../../src/gaze/index.ts';
import { OptionError } from '../../src/util/errors.ts';
import { samples } from './helpers.ts';

// 50 Hz synthetic trace. A: 7 samples near (100,100), dispersion (103−99)+(102−99) = 7.
// Two saccade samples. B: 8 samples near (400,400) with one invalid (0,0) at t=240.
// C: 4 samples at (600,600) lasting only 60 ms (too short).
const A: Array<[number, number, number]> = [
  [0, 100, 100], [20, 102, 101], [40, 101, 99], [60, 99, 100], [80, 100, 102], [100, 103, 100], [120, 100, 101],
];
const SACCADE: Array<[number, number, number]> = [[140, 200, 200], [160, 300, 300]];
const B: Array<[number, number, number]> = [
  [180, 400, 400], [200, 401, 400], [220, 400, 401], [240, 0, 0], [260, 402, 401], [280, 401, 402], [300, 400, 400], [320, 401, 401],
];
const C: Array<[number, number, number]> = [[340, 600, 600], [360, 601, 600], [380, 600, 601], [400, 601, 601]];
const trace = samples([...A, ...SACCADE, ...B, ...C]);

test('I-DT finds the hand-computed fixations (centroid, start, end, duration), skipping the invalid sample', (t) => {
  const r = detectIdt('s.jpg', trace, { dispersionPx: 10, minDurationMs: 100 });
  t.deepEqual(r.counts, { samples: 21, invalid: 1, fixations: 2 });
  const [f1, f2] = r.fixations;
  t.is(f1.stimulus, 's.jpg');
  t.is(f1.startMs, 0);
  t.is(f1.endMs, 120);
  t.is(f1.durationMs, 120);
  t.is(f1.samples, 7);
  t.true(Math.abs(f1.x - 705 / 7) < 1e-9);
  t.true(Math.abs(f1.y - 703 / 7) < 1e-9);
  t.is(f2.startMs, 180);
  t.is(f2.endMs, 320);
  t.is(f2.durationMs, 140);
  t.is(f2.samples, 7); // the invalid sample is not averaged in (0,0 would drag the centroid to ~350)
  t.true(Math.abs(f2.x - 2805 / 7) < 1e-9);
  t.true(Math.abs(f2.y - 2805 / 7) < 1e-9);
});

test('I-DT dispersion threshold is inclusive: D = 7 keeps fixation A, D = 6 loses it', (t) => {
  t.is(detectIdt('s', trace, { dispersionPx: 7, minDurationMs: 100 }).fixations.length, 2);
  const r6 = detectIdt('s', trace, { dispersionPx: 6, minDurationMs: 100 });
  t.is(r6.fixations.length, 1);
  t.is(r6.fixations[0].startMs, 180);
});

test('I-DT minimum duration: 60 ms window C becomes a fixation only when min duration ≤ 60', (t) => {
  const r = detectIdt('s', trace, { dispersionPx: 10, minDurationMs: 60 });
  t.is(r.fixations.length, 3);
  t.deepEqual([r.fixations[2].startMs, r.fixations[2].endMs, r.fixations[2].durationMs], [340, 400, 60]);
});

test('I-DT never bridges a gap of lost samples longer than maxGapMs', (t) => {
  // Lose 3 samples in B (t = 240..280): the valid neighbours are 80 ms apart > 75 ms.
  const gappy = samples([...A, ...SACCADE, [180, 400, 400], [200, 401, 400], [220, 400, 401], [240, NaN, NaN], [260, 0, 0], [280, NaN, NaN], [300, 400, 400], [320, 401, 401]]);
  const r = detectIdt('s', gappy, { dispersionPx: 10, minDurationMs: 100 });
  t.is(r.counts.invalid, 3);
  t.is(r.fixations.length, 1); // B split into 40 ms + 20 ms pieces, both too short
  t.is(detectIdt('s', gappy, { dispersionPx: 10, minDurationMs: 100, maxGapMs: 100 }).fixations.length, 2);
});

test('I-DT rejects bad options with OptionError', (t) => {
  t.throws(() => detectIdt('s', trace, { dispersionPx: -1, minDurationMs: 100 }), { instanceOf: OptionError });
  t.throws(() => detectIdt('s', trace, { dispersionPx: 10, minDurationMs: NaN }), { instanceOf: OptionError });
});

test('detectFixations runs each stimulus separately and sums counts', (t) => {
  const r = detectFixations(
    [
      { stimulus: 'a.jpg', onsetMs: 0, samples: trace, invalid: 1 },
      { stimulus: 'b.jpg', onsetMs: 1000, samples: samples(A), invalid: 0 },
    ],
    { algorithm: 'idt', dispersionPx: 10, minDurationMs: 100 },
  );
  t.deepEqual(r.counts, { samples: 28, invalid: 1, fixations: 3 });
  t.deepEqual(r.fixations.map((f) => f.stimulus), ['a.jpg', 'a.jpg', 'b.jpg']);
});
