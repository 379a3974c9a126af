import test from 'ava';
import { codePointLength, isPairTail } from '../../src/util/code-points.ts';
import { Rng } from '../../src/util/rng.ts';

// The reference: what JS itself counts as code points (string iteration).
const reference = (s: string, a = 0, b = s.length): number => Array.from(s.slice(a, b)).length;

test('codePointLength counts astral characters once and lone surrogates once, like Array.from', (t) => {
  const cases = ['', 'abc', 'a😀é', '😀😀', '\ud83d', '\ude00', 'x\ud83dy', '\ude00\ud83d', 'é́', '𝔘𝔫𝔦'];
  for (const s of cases) t.is(codePointLength(s), reference(s), JSON.stringify(s));
  t.is(codePointLength('a😀é'), 3);
});

test('codePointLength over a range equals Array.from of the slice, on random strings with pairs cut at the bounds', (t) => {
  const rng = new Rng(7);
  const alphabet = ['a', '\n', 'é', '😀', '\ud83d', '\ude00', '中', '𝔘'];
  for (let k = 0; k < 300; k++) {
    let s = '';
    const n = Math.floor(rng.next() * 12);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
    const a = Math.floor(rng.next() * (s.length + 1));
    const b = a + Math.floor(rng.next() * (s.length - a + 1));
    t.is(codePointLength(s, a, b), reference(s, a, b), `${JSON.stringify(s)} [${a}, ${b})`);
  }
});

test('isPairTail marks exactly the UTF-16 units that do not start a code point', (t) => {
  const rng = new Rng(11);
  const alphabet = ['a', '😀', '\ud83d', '\ude00', 'é'];
  for (let k = 0; k < 200; k++) {
    let s = '';
    for (let i = 0; i < 8; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
    // Starts of code points, from the language's own iteration.
    const starts = new Set<number>();
    let at = 0;
    for (const ch of s) { starts.add(at); at += ch.length; }
    for (let i = 0; i < s.length; i++) t.is(isPairTail(s, i), !starts.has(i), `${JSON.stringify(s)} at ${i}`);
  }
  t.false(isPairTail('😀', 0));
  t.false(isPairTail('😀', 2));
});
