// The fused cross-entropy (cpp/cross_entropy.h) against an independent float64 re-computation in
// JS: ce_i = log Σ_v e^(x_iv) − x_i,t and ∂(Σ g_i·ce_i)/∂x_iv = g_i·(softmax_iv − [v = t_i]).
// Row lengths around the 16-wide vector steps and the 2048 summing blocks, extreme logits
// (e^x below float range), rows with NaN/±inf, float32 and float64.
import test from 'ava';
import { native } from '../../src/native/index.ts';
import { Rng } from '../../src/util/rng.ts';

function oracle(x: ArrayLike<number>, n: number, v: number, t: Int32Array, g: ArrayLike<number>): { ce: number[]; d: number[] } {
  const ce: number[] = [], d: number[] = new Array(n * v);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < v; j++) m = Math.max(m, x[i * v + j]);
    let s = 0;
    for (let j = 0; j < v; j++) s += Math.exp(x[i * v + j] - m);
    const lse = m + Math.log(s);
    ce.push(lse - x[i * v + t[i]]);
    for (let j = 0; j < v; j++) d[i * v + j] = g[i] * (Math.exp(x[i * v + j] - lse) - (j === t[i] ? 1 : 0));
  }
  return { ce, d };
}

function rows(seed: number, n: number, v: number, scale: number, f32: boolean) {
  const rng = new Rng(seed);
  const x = f32 ? new Float32Array(n * v) : new Float64Array(n * v);
  for (let k = 0; k < n * v; k++) x[k] = (rng.next() * 2 - 1) * scale;
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.floor(rng.next() * v);
  const g = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = rng.next() * 3 - 1;
  return { x, t, g };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / Math.max(Math.abs(b[k]), floor));
  return worst;
}

for (const v of [1, 7, 16, 17, 255, 2000, 2048, 2049, 5000]) {
  test(`float32 rows of ${v}: ce and its gradient match float64 within float32 rounding`, (t) => {
    const n = 37;
    const { x, t: tg, g } = rows(v, n, v, 8, true);
    const r = native().crossEntropyRows(x as Float32Array, n, v, tg, g as Float32Array, 2);
    const o = oracle(x, n, v, tg, g);
    // |Δce| ≤ a few ulp of lse (exp ≤ 2 ulp, the sum in float within 2048-element blocks).
    t.true(maxRel(r.ce, o.ce, 1) < 2e-6, `ce off by ${maxRel(r.ce, o.ce, 1)}`);
    // Gradient entries are g·p (p ≤ 1): absolute error against |g|.
    t.true(maxRel(r.dlogits, o.d, 1e-3) < 5e-5, `dlogits off by ${maxRel(r.dlogits, o.d, 1e-3)}`);
  });
}

test('float64 rows take std::exp: ce and gradient within 1e-12 of the re-computation', (t) => {
  const n = 9, v = 2049;
  const { x, t: tg, g } = rows(5, n, v, 30, false);
  const r = native().crossEntropyRows(x as Float64Array, n, v, tg, g as Float64Array, 2);
  const o = oracle(x, n, v, tg, g);
  t.true(maxRel(r.ce, o.ce, 1) < 1e-12);
  t.true(maxRel(r.dlogits, o.d, 1e-9) < 1e-9);
});

test('extreme logits: a dominant entry and entries 200 below it (e^x under float range) give the exact limits', (t) => {
  const v = 40, n = 2;
  const x = new Float32Array(n * v).fill(-200);
  x[3] = 50; // row 0: one dominant logit, the target → ce ≈ 0, gradient ≈ 0
  x[v + 10] = 50; // row 1: target elsewhere → ce = 250, gradient −g at the target, +g at the dominant entry
  const tg = Int32Array.from([3, 0]);
  const g = Float32Array.from([1, 2]);
  const r = native().crossEntropyRows(x, n, v, tg, g, 1);
  t.true(Math.abs(r.ce[0]) < 1e-6);
  t.true(Math.abs(r.ce[1] - 250) < 1e-4);
  t.true(Math.abs(r.dlogits[v + 10] - 2) < 1e-6);
  t.true(Math.abs(r.dlogits[v] + 2) < 1e-6);
  for (let j = 1; j < v; j++) if (j !== 10) t.true(Math.abs(r.dlogits[v + j]) < 1e-30);
});

test('a row holding NaN gives NaN (as torch), a +inf row NaN, and the other rows stay exact', (t) => {
  const n = 3, v = 33;
  const { x, t: tg, g } = rows(9, n, v, 4, true);
  x[5] = NaN;
  x[v + 7] = Infinity;
  const r = native().crossEntropyRows(x as Float32Array, n, v, tg, g as Float32Array, 1);
  t.true(Number.isNaN(r.ce[0]));
  t.true(Number.isNaN(r.ce[1]));
  const o = oracle(x.subarray(2 * v), 1, v, tg.subarray(2), g.subarray(2));
  t.true(Math.abs(r.ce[2] - o.ce[0]) < 1e-5);
});

test('a −inf logit is probability 0, not NaN', (t) => {
  const v = 20;
  const x = new Float32Array(v).map((_, j) => j / 10);
  x[4] = -Infinity;
  const r = native().crossEntropyRows(x, 1, v, Int32Array.from([2]), Float32Array.from([1]), 1);
  const o = oracle(x, 1, v, Int32Array.from([2]), [1]);
  t.true(Math.abs(r.ce[0] - o.ce[0]) < 1e-6);
  t.is(r.dlogits[4], 0);
});

test('thread count does not change a bit (rows are independent)', (t) => {
  const n = 64, v = 3001;
  const { x, t: tg, g } = rows(11, n, v, 6, true);
  const a = native().crossEntropyRows(x as Float32Array, n, v, tg, g as Float32Array, 1);
  const b = native().crossEntropyRows(x as Float32Array, n, v, tg, g as Float32Array, 2);
  t.deepEqual(Buffer.from(a.ce.buffer), Buffer.from(b.ce.buffer));
  t.deepEqual(Buffer.from(a.dlogits.buffer), Buffer.from(b.dlogits.buffer));
});

test('bad arguments are refused by name', (t) => {
  const e = t.throws(() => native().crossEntropyRows(new Float32Array(6), 2, 3, Int32Array.from([0, 3]), new Float32Array(2), 1));
  t.regex(e!.message, /outside the vocabulary/);
  t.throws(() => native().crossEntropyRows(new Float32Array(5), 2, 3, Int32Array.from([0, 1]), new Float32Array(2), 1), { message: /n·v/ });
});
