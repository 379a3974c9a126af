/**
 * Real EMIP data (Bednarik et al. 2020, CC-BY-4.0): pins the fixation count of one trial so that
 * any change to the reader or the detector shows up. Skips, saying why, when the data is absent.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { detectIdt, mapFixations, pixelsPerDegree, readAois, readSmi, stimulusOfAoiFile } from '../../src/gaze/index.ts';
import { dataRoot } from './helpers.ts';

const emip = join(dataRoot, 'emip');
const have = existsSync(join(emip, 'rawdata', '134_rawdata.tsv'));
const real = have ? test : test.skip;
if (!have) console.log(`EMIP data not found under ${emip} (set EYEMULATOR_DATA): skipping the real-data gaze tests`);

real('EMIP participant 134 on rectangle_java2.jpg: samples, invalid and I-DT fixations pinned (D = 40 px, 100 ms, gap 75 ms)', async (t) => {
  const rec = await readSmi(join(emip, 'rawdata', '134_rawdata.tsv'), { stimulus: 'rectangle_java2.jpg' });
  t.is(rec.sampleRate, 250);
  t.is(rec.subject, '134');
  t.is(rec.stimuli.length, 1);
  const s = rec.stimuli[0];
  t.is(s.samples.length, 5060);
  t.is(s.invalid, 66);
  t.is(rec.counts.malformed, 0);
  const r = detectIdt(s.stimulus, s.samples, { dispersionPx: 40, minDurationMs: 100, maxGapMs: 75 });
  t.is(r.fixations.length, 96);
  t.true(r.fixations.every((f) => f.durationMs >= 100));
  // Mapped to the token boxes with a 0.5° margin (34 px on this screen).
  const margin = Math.round(0.5 * pixelsPerDegree(rec.screen!));
  t.is(margin, 34);
  const aois = await readAois(join(emip, 'aois', 'aois_rectangle_java2.csv'));
  t.is(aois.aois.length, 142);
  t.is(stimulusOfAoiFile(aois), 'rectangle_java2.jpg');
  t.is(mapFixations(r.fixations, aois.aois, margin).mapped, 86);
});

real('EMIP participant 46 (60 Hz) on rectangle_java2.jpg: fixations pinned', async (t) => {
  const rec = await readSmi(join(emip, 'rawdata', '46_rawdata.tsv'), { stimulus: 'rectangle_java2.jpg' });
  t.is(rec.sampleRate, 60);
  const s = rec.stimuli[0];
  t.deepEqual([s.samples.length, s.invalid], [2390, 77]);
  t.is(detectIdt(s.stimulus, s.samples, { dispersionPx: 40, minDurationMs: 100 }).fixations.length, 146);
});

real('EMIP text-less AOI file gets its text from Vehicle.java through the labeller', async (t) => {
  const { labelCode } = await import('../../src/code/index.ts');
  const { readFileSync } = await import('node:fs');
  const { alignAoisToCode } = await import('../../src/gaze/index.ts');
  const aois = await readAois(join(emip, 'aois', 'aois_vehicle_java2.csv'));
  t.false(aois.hasText);
  const code = await labelCode(readFileSync(join(emip, 'programs', 'Vehicle.java'), 'utf8'), 'java');
  const { stats, byAoi } = alignAoisToCode(aois.aois, code);
  t.is(stats.synthesised, aois.aois.length);
  t.is(stats.unaligned, 0);
  t.is(byAoi[0].text, 'public');
  t.true(byAoi.some((a) => a.text === 'this.currentSpeed'));
});
