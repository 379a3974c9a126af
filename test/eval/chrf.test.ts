import test from 'ava';
import { chrfFromStats, chrfStats, chrfWords, corpusChrf, sentenceChrf } from '../../src/eval/chrf.ts';
import { join } from 'node:path';
import { hasSample, readLines, sampleDir } from './helpers.ts';

const sampleTest = hasSample ? test : test.skip;

// Published values: HuggingFace `chrf` metric card (sacreBLEU underneath), word_order = 0.
test('chrF (char 6, β 2) reproduces the HF/sacreBLEU metric-card examples', (t) => {
  const s = sentenceChrf(
    'The relationship between Obama and Netanyahu is not exactly friendly.',
    'The ties between Obama and Netanyahu are not particularly friendly.',
    { wordOrder: 0 },
  );
  t.true(Math.abs(s - 61.576379378113785) < 1e-9);
  const c = corpusChrf(
    ['The relationship between cats and dogs is not exactly friendly.', 'a good bookshop is just a genteel black hole that knows how to read.'],
    ['The relationship between dogs and cats is not exactly friendly.', 'A good bookshop is just a genteel Black Hole that knows how to read.'],
    { wordOrder: 0 },
  );
  t.true(Math.abs(c - 84.64214891738334) < 1e-9);
});

test('chrF++ hand case: "ab c" vs "ab d"', (t) => {
  // chars (spaces removed) "abc"/"abd": 1-grams 2/3 both ways, 2-grams 1/2, 3-grams 0/1, 4..6 none;
  // words [ab, c]/[ab, d]: unigrams 1/2, bigrams 0/1. Five effective orders:
  // P = R = (2/3 + 1/2 + 0 + 1/2 + 0)/5 = 1/3 ⇒ F2 = 1/3.
  t.true(Math.abs(sentenceChrf('ab c', 'ab d') - 100 / 3) < 1e-9);
  // plain chrF: (2/3 + 1/2 + 0)/3 = 7/18
  t.true(Math.abs(sentenceChrf('ab c', 'ab d', { wordOrder: 0 }) - (100 * 7) / 18) < 1e-9);
});

test('corpus chrF++ sums statistics (not the mean of sentence scores)', (t) => {
  // add the identical pair "xyz"/"xyz": summed per-order P = R = 5/6, 3/4, 1/2, 2/3, 0 ⇒ mean 0.55
  const c = corpusChrf(['ab c', 'xyz'], ['ab d', 'xyz']);
  t.true(Math.abs(c - 55) < 1e-9);
  t.not(c.toFixed(3), ((sentenceChrf('ab c', 'ab d') + 100) / 2).toFixed(3));
});

test('chrF++: identical ⇒ 100; empty prediction ⇒ 0; whitespace ignored in char n-grams', (t) => {
  t.is(sentenceChrf('int x = a.b(c);', 'int x = a.b(c);'), 100);
  t.is(sentenceChrf('', 'int x;'), 0);
  t.is(sentenceChrf('', ''), 0);
  const st = chrfStats('a  b', 'ab', { wordOrder: 0 });
  t.deepEqual(st.slice(0, 6), [2, 2, 2, 1, 1, 1]);
  t.is(chrfFromStats([0, 0, 0]), 0);
});

test('sacreBLEU word splitting: one punctuation mark split off, trailing first', (t) => {
  t.deepEqual(chrfWords('foo(bar); x'), ['foo(bar)', ';', 'x']);
  t.deepEqual(chrfWords('(hi)'), ['(hi', ')']);
  t.deepEqual(chrfWords('(hi ;'), ['(', 'hi', ';']);
});

// sacreBLEU 2.6.0 CHRF(word_order=2), printed by scripts/fixtures/metric_references.py.
test('chrF++ matches sacreBLEU: a reference without n-grams of an order counts no hypothesis n-grams', (t) => {
  // "a" has no 2-gram: sacreBLEU's _get_match_statistics reports hyp count 0 for that order, so the
  // corpus sum is not charged with "ab"'s bigram (86.45; counting it gave 84.46).
  t.true(Math.abs(corpusChrf(['ab', 'abc'], ['a', 'abc']) - 86.45209580838323) < 1e-9);
  t.true(Math.abs(sentenceChrf('ab', 'a') - 41.66666666666667) < 1e-9);
  t.deepEqual(chrfStats('ab', 'a', { wordOrder: 0 }).slice(0, 6), [2, 1, 1, 0, 0, 0]);
});

sampleTest('chrF++ matches sacreBLEU on the CodeXGLUE evaluator sample', (t) => {
  const preds = readLines(join(sampleDir, 'predictions.txt'));
  const refs = readLines(join(sampleDir, 'references.txt'));
  t.true(Math.abs(corpusChrf(preds, refs) - 78.92918254243565) < 1e-9);
  t.true(Math.abs(sentenceChrf(preds[1], refs[1]) - 93.40957329858497) < 1e-9);
});
