/**
 * Dispersion-threshold fixation identification, I-DT (Salvucci & Goldberg 2000; METHOD.md §2.1).
 *
 * Over the valid samples (invalid ones dropped and counted; see runs.ts for gaps): take the
 * shortest window starting at sample i that lasts ≥ minDurationMs (last.t − first.t). If its
 * dispersion D = (max x − min x) + (max y − min y) ≤ dispersionPx, grow it one sample at a time
 * while D stays ≤ dispersionPx; the window is a fixation (centroid, duration = end − start) and the
 * search resumes after it. Otherwise drop sample i and try again from i + 1.
 */
import { OptionError } from '../util/errors.ts';
import { DEFAULT_MAX_GAP_MS, fixationOf, validRuns } from './runs.ts';
import type { DetectionCounts, Fixation, GazeSample } from './types.ts';

export interface IdtOptions {
  /** Dispersion threshold in px: (max x − min x) + (max y − min y). */
  dispersionPx: number;
  /** Minimum fixation duration in ms (METHOD: 100). */
  minDurationMs: number;
  /** Longest gap between consecutive valid samples inside one fixation, ms. */
  maxGapMs?: number;
}

export interface DetectionResult {
  fixations: Fixation[];
  counts: DetectionCounts;
}

export function checkPositive(name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new OptionError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${v}`);
}

export function detectIdt(stimulus: string, samples: readonly GazeSample[], options: IdtOptions): DetectionResult {
  checkPositive('dispersion', options.dispersionPx, true);
  checkPositive('min duration', options.minDurationMs, true);
  const { runs, invalid } = validRuns(samples, options.maxGapMs ?? DEFAULT_MAX_GAP_MS);
  const fixations: Fixation[] = [];
  for (const run of runs) idtRun(stimulus, run, options.dispersionPx, options.minDurationMs, fixations);
  return { fixations, counts: { samples: samples.length, invalid, fixations: fixations.length } };
}

function idtRun(stimulus: string, s: GazeSample[], maxDispersion: number, minDuration: number, out: Fixation[]): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && s[j].t - s[i].t < minDuration) j++;
    if (j >= n) return; // what is left is too short to be a fixation
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let k = i; k <= j; k++) {
      const p = s[k];
      if (p.x < minX) minX = p.x;
      if (p.x > maxX) maxX = p.x;
      if (p.y < minY) minY = p.y;
      if (p.y > maxY) maxY = p.y;
    }
    if (maxX - minX + (maxY - minY) > maxDispersion) {
      i++;
      continue;
    }
    while (j + 1 < n) {
      const p = s[j + 1];
      const nMinX = Math.min(minX, p.x), nMaxX = Math.max(maxX, p.x);
      const nMinY = Math.min(minY, p.y), nMaxY = Math.max(maxY, p.y);
      if (nMaxX - nMinX + (nMaxY - nMinY) > maxDispersion) break;
      minX = nMinX; maxX = nMaxX; minY = nMinY; maxY = nMaxY;
      j++;
    }
    out.push(fixationOf(stimulus, s, i, j));
    i = j + 1;
  }
}
