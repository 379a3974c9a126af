/**
 * Velocity-threshold fixation identification, I-VT (Salvucci & Goldberg 2000), the METHOD's second
 * option. Each valid sample gets the point-to-point velocity from the previous valid sample of its
 * run (px/ms; the first sample of a run takes the velocity to the next one). Consecutive samples
 * slower than the threshold form a fixation (centroid, duration = end − start) if it lasts
 * ≥ minDurationMs. Invalid samples are dropped and counted; long gaps split runs (runs.ts).
 */
import { checkPositive, type DetectionResult } from './idt.ts';
import { DEFAULT_MAX_GAP_MS, fixationOf, validRuns } from './runs.ts';
import type { Fixation, GazeSample } from './types.ts';

export interface IvtOptions {
  /** Velocity threshold in px/ms (use degPerSecToPxPerMs for °/s). Samples strictly slower are fixation samples. */
  velocityPxPerMs: number;
  /** Minimum fixation duration in ms. */
  minDurationMs: number;
  maxGapMs?: number;
}

function speed(a: GazeSample, b: GazeSample): number {
  const d = Math.hypot(b.x - a.x, b.y - a.y);
  const dt = b.t - a.t;
  if (dt <= 0) return d === 0 ? 0 : Infinity;
  return d / dt;
}

export function detectIvt(stimulus: string, samples: readonly GazeSample[], options: IvtOptions): DetectionResult {
  checkPositive('velocity threshold', options.velocityPxPerMs);
  checkPositive('min duration', options.minDurationMs, true);
  const { runs, invalid } = validRuns(samples, options.maxGapMs ?? DEFAULT_MAX_GAP_MS);
  const fixations: Fixation[] = [];
  for (const s of runs) {
    const n = s.length;
    const slow = (k: number) => (n === 1 ? true : speed(s[k === 0 ? 0 : k - 1], s[k === 0 ? 1 : k]) < options.velocityPxPerMs);
    let start = -1;
    for (let k = 0; k <= n; k++) {
      const isSlow = k < n && slow(k);
      if (isSlow && start < 0) start = k;
      if (!isSlow && start >= 0) {
        if (s[k - 1].t - s[start].t >= options.minDurationMs) fixations.push(fixationOf(stimulus, s, start, k - 1));
        start = -1;
      }
    }
  }
  return { fixations, counts: { samples: samples.length, invalid, fixations: fixations.length } };
}
