import test from 'ava';
import { Rng } from '../../src/util/rng.ts';

test('same seed gives the same stream; different seeds differ', (t) => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 20 }, () => a.next());
  const xb = Array.from({ length: 20 }, () => b.next());
  const xc = Array.from({ length: 20 }, () => c.next());
  t.deepEqual(xa, xb);
  t.notDeepEqual(xa, xc);
  t.true(xa.every((x) => x >= 0 && x < 1));
});

test('uniform moments and int range', (t) => {
  const r = new Rng(7);
  const n = 200_000;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const x = r.next(); s += x; s2 += x * x; }
  t.true(Math.abs(s / n - 0.5) < 0.005);
  t.true(Math.abs(s2 / n - 1 / 3) < 0.005);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
  for (const c of counts) t.true(Math.abs(c - 10_000) < 500);
});

test('beta sampler matches the Beta mean and variance', (t) => {
  const r = new Rng(1);
  for (const [a, b] of [[2, 5], [0.5, 0.5], [30, 70], [300, 120]]) {
    const n = 100_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { const x = r.beta(a, b); s += x; s2 += x * x; }
    const mean = s / n, v = s2 / n - mean * mean;
    const m0 = a / (a + b), v0 = (a * b) / ((a + b) ** 2 * (a + b + 1));
    t.true(Math.abs(mean - m0) < 4 * Math.sqrt(v0 / n) + 1e-4, `mean ${mean} vs ${m0}`);
    t.true(Math.abs(v - v0) / v0 < 0.05, `var ${v} vs ${v0}`);
  }
});

test('fork gives independent, reproducible streams and does not advance the parent', (t) => {
  const p = new Rng(9);
  const f1 = p.fork('paths').next();
  const f2 = new Rng(9).fork('paths').next();
  t.is(f1, f2);
  t.not(p.fork('order').next(), f1);
  t.is(p.next(), new Rng(9).next());
});

test('sampleIndices draws distinct indices', (t) => {
  const r = new Rng(3);
  const s = r.sampleIndices(50, 20);
  t.is(new Set(s).size, 20);
  t.true(s.every((i) => i >= 0 && i < 50));
  t.throws(() => r.sampleIndices(3, 4));
});
