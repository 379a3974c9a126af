/**
 * Pixels ↔ degrees of visual angle, for thresholds given in degrees (I-VT in °/s). Uses the size
 * of one degree at the screen centre: px/° = 2·d·tan(0.5°) / (mm per px), d = eye–screen distance.
 * EMIP (SMI header: 1920 px over 344 mm at 700 mm) gives ≈ 68 px per degree.
 */
import { OptionError } from '../util/errors.ts';
import type { ScreenGeometry } from './types.ts';

export function pixelsPerDegree(g: ScreenGeometry): number {
  for (const [k, v] of Object.entries(g)) {
    if (!Number.isFinite(v) || v <= 0) throw new OptionError(`screen geometry ${k} must be positive, got ${v}`);
  }
  const mmPerPx = g.widthMm / g.widthPx;
  return (2 * g.distanceMm * Math.tan((0.5 * Math.PI) / 180)) / mmPerPx;
}

/** A velocity threshold in °/s as px/ms for the given screen. */
export function degPerSecToPxPerMs(degPerSec: number, g: ScreenGeometry): number {
  return (degPerSec * pixelsPerDegree(g)) / 1000;
}

/** Parses "WPX,HPX,WMM,HMM,DISTMM" (a CLI flag). */
export function parseGeometry(text: string): ScreenGeometry {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== 5 || v.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new OptionError(`screen geometry must be "widthPx,heightPx,widthMm,heightMm,distanceMm" (positive numbers), got "${text}"`);
  }
  return { widthPx: v[0], heightPx: v[1], widthMm: v[2], heightMm: v[3], distanceMm: v[4] };
}
