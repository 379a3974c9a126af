import test from 'ava';
import { join } from 'node:path';
import {
  codexglueBleu,
  codexglueSmoothBleuTokens,
  nltkBleuFromStats,
  nltkBleuStats,
  nltkCorpusBleu,
  smoothedSentenceBleu,
} from '../../src/eval/bleu.ts';
import { codexglueAccuracy } from '../../src/eval/exact.ts';
import { hasSample, readLines, sampleDir } from './helpers.ts';

const sampleTest = hasSample ? test : test.skip;

sampleTest('CodeXGLUE evaluator sample: BLEU 61.08 and accuracy 50.0 (the evaluator\'s own output)', (t) => {
  const preds = readLines(join(sampleDir, 'predictions.txt'));
  const refs = readLines(join(sampleDir, 'references.txt'));
  t.is(preds.length, 10);
  const b = codexglueBleu(preds, refs);
  t.is(Math.round(b.bleu * 100) / 100, 61.08);
  t.is(Math.round(codexglueAccuracy(preds, refs) * 100) / 100, 50.0);
});

// NLTK's published docstring examples (nltk/translate/bleu_score.py; the same text is vendored in
// CodeBLEU's bleu.py / weighted_ngram_match.py).
const hyp1 = 'It is a guide to action which ensures that the military always obeys the commands of the party'.split(' ');
const hyp2 = 'It is to insure the troops forever hearing the activity guidebook that party direct'.split(' ');
const ref1a = 'It is a guide to action that ensures that the military will forever heed Party commands'.split(' ');
const ref1b = 'It is the guiding principle which guarantees the military forces always being under the command of the Party'.split(' ');
const ref1c = 'It is the practical guide for the army always to heed the directions of the party'.split(' ');
const hypB = 'he read the book because he was interested in world history'.split(' ');
const refB = 'he was interested in world history because he read the book'.split(' ');

test('NLTK corpus_bleu docstring: 0.5920…', (t) => {
  t.is(nltkCorpusBleu([hyp1, hypB], [[ref1a, ref1b, ref1c], [refB]]).toFixed(4), '0.5921');
  t.true(Math.abs(nltkCorpusBleu([hyp1, hypB], [[ref1a, ref1b, ref1c], [refB]]) - 0.59207788) < 1e-7);
});

test('NLTK sentence_bleu docstrings: 0.5045…, 0.0 without smoothing, 0.0370… with method1', (t) => {
  const three = [ref1a, ref1b, ref1c];
  t.is(Math.floor(nltkBleuFromStats(nltkBleuStats(hyp1, three), 'method0') * 1e4), 5045);
  t.is(Math.round(nltkBleuFromStats(nltkBleuStats(hyp2, three), 'method0') * 1e4) / 1e4, 0);
  t.is(Math.floor(nltkBleuFromStats(nltkBleuStats(hyp2, three), 'method1') * 1e4), 370);
});

test('NLTK SmoothingFunction docstring: method0/1 0.4118…, 2020 method2 0.4489…; current method2 by hand', (t) => {
  const st = nltkBleuStats(hyp1, [ref1a]);
  t.is(Math.floor(nltkBleuFromStats(st, 'method0') * 1e4), 4118);
  t.is(Math.floor(nltkBleuFromStats(st, 'method1') * 1e4), 4118);
  t.is(Math.floor(nltkBleuFromStats(st, 'method2-all') * 1e4), 4489);
  // Current method2 leaves unigrams alone: matches 11/18, 8/17, 6/16, 4/15 → p = 11/18, 9/18,
  // 7/17, 5/16; c = 18 > r = 16 so BP = 1; (11/18 · 1/2 · 7/17 · 5/16)^(1/4) = 0.445294…
  const byHand = ((11 / 18) * (1 / 2) * (7 / 17) * (5 / 16)) ** 0.25;
  t.true(Math.abs(nltkBleuFromStats(st, 'method2') - byHand) < 1e-12);
  t.is(byHand.toFixed(4), '0.4453');
  t.is(smoothedSentenceBleu(hyp1.join(' '), ref1a.join(' '), { variant: 'nltk-method2' }).toFixed(2), '44.53');
});

test('CodeXGLUE corpus BLEU: identical ⇒ 100, all-empty predictions ⇒ 0, one empty prediction lowers BP', (t) => {
  const refs = ['public int Foo ( int a ) { return a ; }', 'x = y + 1 ;'];
  t.is(codexglueBleu(refs, refs).bleu, 100);
  t.is(codexglueBleu(['', ''], refs).bleu, 0);
  const partial = codexglueBleu([refs[0], ''], refs);
  // 12 + 6 reference tokens; matches = possible = 12, 11, 10, 9 (precisions 1 after +1),
  // c = 12, r = 18 ⇒ BP = e^(1 − 18/12)
  t.true(Math.abs(partial.bleu - 100 * Math.exp(1 - 18 / 12)) < 1e-9);
});

test('CodeXGLUE compute_bleu: smoothing adds one to every order, unigrams included (hand case)', (t) => {
  // hyp "a b c", ref "a b d": matches 2,1,0,0; possible 3,2,1,0 ⇒ (3/4, 2/3, 1/2, 1/1); c = r ⇒ BP 1
  const b = codexglueBleu(['a b c'], ['a b d']);
  t.deepEqual(b.precisions, [3 / 4, 2 / 3, 1 / 2, 1]);
  t.true(Math.abs(b.bleu - 100 * ((3 / 4) * (2 / 3) * (1 / 2)) ** 0.25) < 1e-9);
});

test('CodeXGLUE smoothed sentence BLEU (code-to-text bleu.py): hand cases incl. the empty prediction', (t) => {
  // "the cat sat" vs "the cat sat down": 1-grams 3/3; 2..4-grams (2+1)/(2+1), (1+1)/(1+1), (0+1)/(0+1)
  // ⇒ log-precision sum 0; BP = min(0, 1 − (4+1)/(3+1)) = −0.25 ⇒ e^−0.25 = 0.778800…
  t.is(smoothedSentenceBleu('The cat sat', 'the cat sat down').toFixed(4), (100 * Math.exp(-0.25)).toFixed(4));
  // Empty prediction: every order contributes log(0+add+tiny) − log(0+add+tiny) = 0, BP = 1 − 5/1
  // ⇒ e^−4 = 1.83 (a quirk of the reference code, kept for comparability).
  t.is(smoothedSentenceBleu('', 'the cat sat down').toFixed(6), (100 * Math.exp(-4)).toFixed(6));
  // lower-cased splitPuncts tokens: "Returns the name." ≡ "returns the name ."
  t.is(codexglueSmoothBleuTokens(['a'], [['a']]), 100);
  t.is(smoothedSentenceBleu('Returns the name.', 'returns the name .'), 100);
});

test('nltk-method2 sentence BLEU: hand case with a short hypothesis', (t) => {
  // "the cat sat" vs "the cat sat down": p1 = 3/3, p2 = (2+1)/(2+1), p3 = (1+1)/(1+1),
  // p4 = (0+1)/(max(1,0)+1) = 1/2; BP = e^(1 − 4/3) ⇒ e^(−1/3)·(1/2)^(1/4) = 0.602528…
  const v = smoothedSentenceBleu('the cat sat', 'the cat sat down', { variant: 'nltk-method2' });
  t.true(Math.abs(v - 100 * Math.exp(-1 / 3) * 0.5 ** 0.25) < 1e-9);
  t.is(smoothedSentenceBleu('', 'the cat', { variant: 'nltk-method2' }), 0);
});
