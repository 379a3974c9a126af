import test from 'ava';
import { crystalBleu, triviallySharedNgrams } from '../../src/eval/crystalbleu.ts';
import { NGRAM_SEP } from '../../src/eval/tokenize.ts';

test('trivially shared n-grams: most frequent first, ties in first-seen order (unigrams before bigrams)', (t) => {
  // counts: a 2, b 2, "a b" 1, "b a" 1
  t.deepEqual([...triviallySharedNgrams(['a b', 'b a'], { k: 2 })], ['a', 'b']);
  t.deepEqual([...triviallySharedNgrams(['x x x'], { k: 2 })], ['x', `x${NGRAM_SEP}x`]);
});

test('CrystalBLEU hand case: ignoring the unigram "x"', (t) => {
  const ignore = triviallySharedNgrams(['x x x'], { k: 1 }); // {x}
  // hyp x y z w v / ref x y z w u. Without x the unigrams are y z w v: 3/4 match;
  // bigrams 3/4, trigrams 2/3, 4-grams 1/2; c = r = 5 ⇒ BP 1 ⇒ (3/4·3/4·2/3·1/2)^(1/4) = 0.658037…
  const v = crystalBleu(['x y z w v'], ['x y z w u'], ignore);
  t.true(Math.abs(v - 100 * ((3 / 4) * (3 / 4) * (2 / 3) * (1 / 2)) ** 0.25) < 1e-9);
  // plain BLEU (nothing ignored) has 4/5 unigrams: 0.2^(1/4) = 0.668740…
  t.true(Math.abs(crystalBleu(['x y z w v'], ['x y z w u'], new Set()) - 100 * 0.2 ** 0.25) < 1e-9);
});

test('CrystalBLEU: identical ⇒ 100; empty prediction ⇒ 0', (t) => {
  const ignore = triviallySharedNgrams(['public void run ( ) { }'], { k: 3 });
  t.is(crystalBleu(['int a = b + c ;'], ['int a = b + c ;'], ignore), 100);
  t.is(crystalBleu([''], ['int a = b ;'], ignore), 0);
});
