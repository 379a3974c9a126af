/**
 * Fixation → token box (METHOD.md §2.2).
 *
 * Edges: boxes are half-open, [x, x + width) × [y, y + height): a point on the left/top edge is
 * inside, one on the right/bottom edge is not, so two boxes that share an edge never both contain
 * it (it belongs to the right/lower box). With a margin m > 0 every box grows to
 * [x − m, x + width + m) × [y − m, y + height + m). Choice among several candidates:
 *   1. a box that contains the point without the margin beats any box reached only through it;
 *   2. then the smallest Euclidean distance from the point to the (unexpanded) box;
 *   3. then the nearest box centre;
 *   4. then the lowest id (file order).
 * Rule 1 makes a margin only ever add hits: a fixation inside a box keeps that box.
 */
import type { Aoi, Fixation } from './types.ts';

export function insideBox(a: Aoi, x: number, y: number, margin = 0): boolean {
  return x >= a.x - margin && x < a.x + a.width + margin && y >= a.y - margin && y < a.y + a.height + margin;
}

function distanceToBox(a: Aoi, x: number, y: number): number {
  const dx = Math.max(a.x - x, 0, x - (a.x + a.width));
  const dy = Math.max(a.y - y, 0, y - (a.y + a.height));
  return Math.hypot(dx, dy);
}

function distanceToCentre(a: Aoi, x: number, y: number): number {
  return Math.hypot(a.x + a.width / 2 - x, a.y + a.height / 2 - y);
}

/** The AOI a point falls on, or null. `marginPx` ≥ 0. */
export function hitTest(aois: readonly Aoi[], x: number, y: number, marginPx = 0): Aoi | null {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
  let best: Aoi | null = null;
  let bestKey: [number, number, number, number] | null = null;
  for (const a of aois) {
    if (!insideBox(a, x, y, marginPx)) continue;
    const key: [number, number, number, number] = [insideBox(a, x, y) ? 0 : 1, distanceToBox(a, x, y), distanceToCentre(a, x, y), a.id];
    if (bestKey === null || lexLess(key, bestKey)) {
      best = a;
      bestKey = key;
    }
  }
  return best;
}

function lexLess(p: readonly number[], q: readonly number[]): boolean {
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i] < q[i];
  return false;
}

export interface FixationHits {
  /** One entry per fixation: the AOI hit, or null. */
  hits: (Aoi | null)[];
  mapped: number;
  unmapped: number;
}

export function mapFixations(fixations: readonly Fixation[], aois: readonly Aoi[], marginPx = 0): FixationHits {
  const hits = fixations.map((f) => hitTest(aois, f.x, f.y, marginPx));
  const mapped = hits.filter((h) => h !== null).length;
  return { hits, mapped, unmapped: hits.length - mapped };
}
