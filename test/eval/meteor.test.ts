import test from 'ava';
import { countChunks, meteor, meteorAlign, meteorTokens } from '../../src/eval/meteor.ts';

test('NLTK meteor_score docstring example: 0.6944 (no synonym match is involved)', (t) => {
  const v = meteor(
    'It is a guide to action which ensures that the military always obeys the commands of the party',
    'It is a guide to action that ensures that the military will forever heed Party commands',
  );
  t.is((v / 100).toFixed(4), '0.6944');
});

test('hand case: stem match and NLTK\'s right-to-left greedy alignment', (t) => {
  // hyp  the0 cats1 sat2 on3 mat4 ; ref the0 cat1 sat2 on3 the4 mat5
  // exact stage (hyp right→left, each to the rightmost free ref word): mat4–mat5, on3–on3,
  // sat2–sat2, the0–the4 (not the0!); stem stage: cats1–cat1.
  const al = meteorAlign('the cats sat on mat'.split(' '), 'the cat sat on the mat'.split(' '));
  t.deepEqual(al, [[0, 4], [1, 1], [2, 2], [3, 3], [4, 5]]);
  t.is(countChunks(al), 3);
  // m = 5, P = 1, R = 5/6, Fmean = PR/(0.9P + 0.1R) = 0.847457…; penalty = 0.5·(3/5)^3 = 0.108
  const expected = 100 * ((5 / 6) / (0.9 + 0.1 * (5 / 6))) * (1 - 0.5 * 0.6 ** 3);
  t.true(Math.abs(meteor('the cats sat on mat', 'the cat sat on the mat') - expected) < 1e-9);
  t.is((expected / 100).toFixed(4), '0.7559');
});

test('without stemming, cats ≠ cat', (t) => {
  t.is(meteorAlign(['cats'], ['cat'], false).length, 0);
  t.is(meteorAlign(['cats'], ['cat'], true).length, 1);
});

test('identical input is below 100 (fragmentation penalty γ·(1/m)^β); empty ⇒ 0', (t) => {
  // m = 4 words, one chunk: penalty 0.5·(1/4)^3 = 1/128
  t.true(Math.abs(meteorTokens(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd']) - 100 * (1 - 1 / 128)) < 1e-9);
  t.is(meteor('', 'a b'), 0);
  t.is(meteor('x y', 'a b'), 0);
});

test("METEOR stems with NLTK's default PorterStemmer (as NLTK's meteor_score does)", (t) => {
  // NLTK 3.10.3 single_meteor_score(reference, hypothesis, wordnet=<no synsets>), printed by
  // scripts/fixtures/metric_references.py: arrays/array, care/carefully and day/days match only
  // with NLTK's stems (the npm `stemmer` package gives arrai, carefulli, dai).
  t.true(Math.abs(meteor('handle the arrays with care', 'handles arrays carefully') - 46.875) < 1e-9);
  t.true(Math.abs(meteor('the days are carefully counted', 'each day is counted with care') - 25.423728813559315) < 1e-9);
});
