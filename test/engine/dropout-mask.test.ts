// The LoRA-dropout mask (cpp/dropout.h): a counter-based SplitMix64 stream filled in parallel.
// Checked against an independent re-computation of the same stream in BigInt arithmetic, and for
// the statistics a dropout mask must have whatever its generator.
import test from 'ava';
import { native } from '../../src/native/index.ts';

const M64 = (1n << 64n) - 1n;
/** SplitMix64's output for state z (Steele, Lea & Flood 2014), in BigInt. */
function splitmix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** MT19937 (Matsumoto & Nishimura 1998), the engine of ATen's CPU generator, 32-bit outputs. */
function mt19937(seed: number): () => number {
  const mt = new Uint32Array(624);
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i) >>> 0;
  let idx = 624;
  return () => {
    if (idx >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      idx = 0;
    }
    let y = mt[idx++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

test('the mask is re-computed independently: seed = the generator’s first random64(), element i from SplitMix64 draw ⌊i/2⌋ (low half even, high half odd), kept iff u ≥ round(p·2^32)', (t) => {
  const n = 1001, p = 0.3, seed = 1234;
  const m = native().dropoutMask(n, p, seed, 2);
  const next = mt19937(seed);
  const hi = BigInt(next()), lo = BigInt(next());
  const s64 = (hi << 32n) | lo;  // ATen's random64(): the first 32-bit draw is the high half
  const thr = BigInt(Math.round(p * 2 ** 32));
  const keep = Math.fround(1 / (1 - p));
  const want = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = splitmix64((s64 + BigInt(i >> 1) * 0x9e3779b97f4a7c15n) & M64);
    const u = i % 2 === 0 ? z & 0xffffffffn : z >> 32n;
    want[i] = u >= thr ? keep : 0;
  }
  t.deepEqual(m, want);
  t.deepEqual(native().dropoutMask(n, p, seed, 1), m);  // same generator seed → same mask
  t.notDeepEqual(native().dropoutMask(n, p, seed + 1, 1), m);
});

test('the mask does not depend on the thread count (counter-based, not a shared sequential stream)', (t) => {
  const n = 1 << 20;
  const one = native().dropoutMask(n, 0.1, 7, 1);
  const two = native().dropoutMask(n, 0.1, 7, 2);
  t.deepEqual(two, one);
});

test('dropped fraction ≈ p (binomial, 6σ), mean ≈ 1 (inverted dropout), no lag-1 correlation; p = 0 keeps everything', (t) => {
  const n = 1 << 20;
  for (const p of [0.05, 0.5, 0.9]) {
    const m = native().dropoutMask(n, p, 99, 2);
    let dropped = 0, sum = 0, both = 0;
    for (let i = 0; i < n; i++) {
      if (m[i] === 0) dropped++;
      sum += m[i];
      if (i > 0 && m[i] === 0 && m[i - 1] === 0) both++;
    }
    const sd = Math.sqrt(n * p * (1 - p));
    t.true(Math.abs(dropped - n * p) < 6 * sd, `p=${p}: dropped ${dropped} of ${n}`);
    t.true(Math.abs(sum / n - 1) < 6 * Math.sqrt(p / (1 - p) / n), `p=${p}: mean ${sum / n}`);
    // Adjacent pairs come from the two halves of one 64-bit draw: they must be independent too.
    const pairSd = Math.sqrt((n - 1) * p * p * (1 - p * p));
    t.true(Math.abs(both - (n - 1) * p * p) < 6 * pairSd, `p=${p}: adjacent drops ${both}`);
  }
  t.true(native().dropoutMask(1000, 0, 1, 1).every((v) => v === 1));
});

test('a probability outside [0, 1) is a typed error', (t) => {
  for (const p of [1, -0.1, Number.NaN]) {
    const e = t.throws(() => native().dropoutMask(10, p, 1, 1));
    t.is((e as { code?: string }).code, 'EYEMULATOR_ARGUMENT');
  }
});
