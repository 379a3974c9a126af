import test from 'ava';
import { corpusRougeL, lcsLength, rougeL } from '../../src/eval/rouge.ts';

test('ROUGE-L hand case, β = 1.2 (default) and β = 1', (t) => {
  // cand a b c d, ref a c e d f: LCS = a c d = 3, P = 3/4, R = 3/5
  t.is(lcsLength(['a', 'c', 'e', 'd', 'f'], ['a', 'b', 'c', 'd']), 3);
  // (1 + 1.44)·0.45 / (0.6 + 1.44·0.75) = 1.098/1.68 = 0.653571…
  t.true(Math.abs(rougeL('a b c d', 'a c e d f') - (100 * 1.098) / 1.68) < 1e-9);
  t.true(Math.abs(rougeL('a b c d', 'a c e d f', { beta: 1 }) - (100 * 2) / 3) < 1e-9);
});

test('ROUGE-L: identical ⇒ 100, empty ⇒ 0, case-insensitive code tokens; corpus = mean', (t) => {
  t.is(rougeL('return a.b();', 'return a.b();'), 100);
  t.is(rougeL('', 'x'), 0);
  t.is(rougeL('Returns X', 'returns x'), 100);
  const c = corpusRougeL(['a', 'b'], ['a', 'c']);
  t.is(c.score, 50);
  t.deepEqual(c.perExample, [100, 0]);
});
