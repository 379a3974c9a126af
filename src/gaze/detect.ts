/**
 * Runs a fixation detector over every stimulus of a recording and adds up the counts. Fixations
 * never span two stimuli: each showing is detected on its own.
 */
import { OptionError } from '../util/errors.ts';
import { detectIdt, type DetectionResult } from './idt.ts';
import { detectIvt } from './ivt.ts';
import { DEFAULT_MAX_GAP_MS } from './runs.ts';
import type { StimulusSamples } from './types.ts';

export type FixationAlgorithm = 'idt' | 'ivt';

export interface DetectOptions {
  algorithm: FixationAlgorithm;
  /** I-DT dispersion threshold, px. */
  dispersionPx: number;
  minDurationMs: number;
  /** I-VT velocity threshold, px/ms. */
  velocityPxPerMs?: number;
  maxGapMs?: number;
}

/**
 * Defaults for EMIP-like set-ups (1920×1080 over 344 mm at 700 mm: ≈ 68 px per degree; code in a
 * ~10 px-per-character font with ~36 px line pitch). docs/gaze.md gives the reasoning.
 */
export const DEFAULT_DETECT: Readonly<DetectOptions> = {
  algorithm: 'idt',
  dispersionPx: 40,
  minDurationMs: 100,
  velocityPxPerMs: 2,
  maxGapMs: DEFAULT_MAX_GAP_MS,
};

export function detectFixations(stimuli: readonly StimulusSamples[], options: DetectOptions): DetectionResult {
  const all: DetectionResult = { fixations: [], counts: { samples: 0, invalid: 0, fixations: 0 } };
  for (const s of stimuli) {
    let r: DetectionResult;
    if (options.algorithm === 'idt') {
      r = detectIdt(s.stimulus, s.samples, options);
    } else if (options.algorithm === 'ivt') {
      if (options.velocityPxPerMs === undefined) throw new OptionError('I-VT needs a velocity threshold (px/ms or °/s with screen geometry)');
      r = detectIvt(s.stimulus, s.samples, { velocityPxPerMs: options.velocityPxPerMs, minDurationMs: options.minDurationMs, maxGapMs: options.maxGapMs });
    } else {
      throw new OptionError(`unknown fixation algorithm "${String(options.algorithm)}" (idt or ivt)`);
    }
    all.fixations.push(...r.fixations);
    all.counts.samples += r.counts.samples;
    all.counts.invalid += r.counts.invalid;
    all.counts.fixations += r.counts.fixations;
  }
  return all;
}
