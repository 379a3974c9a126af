import test from 'ava';
import { hitTest, mapFixations, type Aoi, type Fixation } from '../../src/gaze/index.ts';

function box(id: number, x: number, y: number, width: number, height: number, text = `t${id}`): Aoi {
  return { id, x, y, width, height, text, line: 1, part: id + 1, name: `line 1 part ${id + 1}`, image: null };
}

// A covers x 10..30, B (adjacent) x 30..40; both y 10..20.
const A = box(0, 10, 10, 20, 10);
const B = box(1, 30, 10, 10, 10);
const AB = [A, B];

test('half-open boxes: left/top edges are inside, right/bottom edges are not; a shared edge belongs to the right box', (t) => {
  t.is(hitTest(AB, 10, 10)?.id, 0);
  t.is(hitTest(AB, 29.999, 19.999)?.id, 0);
  t.is(hitTest(AB, 30, 15)?.id, 1);
  t.is(hitTest(AB, 40, 15), null);
  t.is(hitTest(AB, 20, 20), null);
  t.is(hitTest(AB, 9.999, 15), null);
  t.is(hitTest(AB, NaN, 15), null);
});

test('margin grows boxes on every side (half-open too), and a direct hit beats a margin hit', (t) => {
  t.is(hitTest(AB, 42, 15, 5)?.id, 1);
  t.is(hitTest(AB, 45, 15, 5), null); // x + width + margin = 45 is outside
  t.is(hitTest(AB, 20, 24.9, 5)?.id, 0);
  t.is(hitTest(AB, 20, 5, 5)?.id, 0); // top edge minus margin is inside
  // x = 30 is inside B and on A's closed edge (distance 0): B contains it without margin, so B.
  t.is(hitTest(AB, 30, 15, 5)?.id, 1);
  t.is(hitTest(AB, 29, 15, 5)?.id, 0);
});

test('in a gap reached by two margins the nearer box wins; exact ties go to the nearer centre, then the lower id', (t) => {
  const C = box(0, 0, 0, 10, 10);
  const D = box(1, 20, 0, 10, 10);
  t.is(hitTest([C, D], 15, 5), null);
  t.is(hitTest([C, D], 14, 5, 6)?.id, 0); // 4 px from C, 6 from D
  t.is(hitTest([C, D], 16.5, 5, 6)?.id, 1); // outside C's grown box
  t.is(hitTest([C, D], 15, 5, 6)?.id, 0); // 5 px from both, centres 10 px from both: lower id
  t.is(hitTest([D, C], 15, 5, 6)?.id, 0); // order of the array does not matter, the id does
  // Equal distance to both boxes but unequal centres: a wide box E and a narrow one F.
  const E = box(0, 0, 0, 40, 10);
  const F = box(1, 50, 0, 4, 10);
  t.is(hitTest([E, F], 45, 5, 6)?.id, 1); // 5 px from each; F's centre (52) is nearer than E's (20)
});

test('mapFixations counts mapped and unmapped fixations', (t) => {
  const fx = (x: number, y: number): Fixation => ({ stimulus: 's', startMs: 0, endMs: 100, durationMs: 100, x, y });
  const r = mapFixations([fx(15, 15), fx(35, 15), fx(100, 100), fx(41, 15)], AB);
  t.deepEqual(r.hits.map((h) => h?.id ?? null), [0, 1, null, null]);
  t.is(r.mapped, 2);
  t.is(r.unmapped, 2);
  t.is(mapFixations([fx(41, 15)], AB, 2).mapped, 1);
});
