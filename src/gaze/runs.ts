/**
 * Splits a stimulus's samples into runs of valid samples for the fixation detectors. Invalid
 * samples are dropped (and counted); a run also ends where consecutive valid samples are more than
 * `maxGapMs` apart, so that a fixation never bridges a blink or a tracking loss. Short gaps (one or
 * two lost samples) are bridged, as in Tobii's "gap fill-in" (max 75 ms by default; Olsen 2012).
 */
import type { GazeSample } from './types.ts';

export const DEFAULT_MAX_GAP_MS = 75;

export interface SampleRuns {
  runs: GazeSample[][];
  valid: number;
  invalid: number;
}

export function validRuns(samples: readonly GazeSample[], maxGapMs = DEFAULT_MAX_GAP_MS): SampleRuns {
  const runs: GazeSample[][] = [];
  let run: GazeSample[] = [];
  let invalid = 0;
  let valid = 0;
  for (const s of samples) {
    if (!s.valid || !Number.isFinite(s.x) || !Number.isFinite(s.y) || !Number.isFinite(s.t)) {
      invalid++;
      continue;
    }
    valid++;
    if (run.length > 0 && s.t - run[run.length - 1].t > maxGapMs) {
      runs.push(run);
      run = [];
    }
    run.push(s);
  }
  if (run.length > 0) runs.push(run);
  return { runs, valid, invalid };
}

/** Centroid fixation over samples[i..j] (inclusive). */
export function fixationOf(stimulus: string, samples: readonly GazeSample[], i: number, j: number) {
  let sx = 0;
  let sy = 0;
  for (let k = i; k <= j; k++) {
    sx += samples[k].x;
    sy += samples[k].y;
  }
  const n = j - i + 1;
  const startMs = samples[i].t;
  const endMs = samples[j].t;
  return { stimulus, startMs, endMs, durationMs: endMs - startMs, x: sx / n, y: sy / n, samples: n };
}
