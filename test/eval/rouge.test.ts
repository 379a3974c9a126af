import test from 'ava';
import { codeRougeTokens, corpusRougeL, lcsLength, rougeL, rougeScoreTokens } from '../../src/eval/rouge.ts';
import { porterStem } from '../../src/eval/porter.ts';
import { stemmer } from 'stemmer';

// Reference values: scripts/fixtures/metric_references.py (rouge-score's algorithm with NLTK 3.10.3
// PorterStemmer(), the default NLTK_EXTENSIONS mode rouge-score constructs; rouge-score itself is
// not installable offline).

test('ROUGE-L is F1 (METHOD.md §7), not pycocoevalcap F_1.2: "a b c d" vs "a b"', (t) => {
  // P = 2/4, R = 2/2: F1 = 66.67 (rouge-score); F_1.2 = 70.93 (the former default)
  t.true(Math.abs(rougeL('a b c d', 'a b') - 66.66666666666666) < 1e-9);
  t.true(Math.abs(rougeL('a b c d', 'a b', { beta: 1.2 }) - 70.93023255813954) < 1e-9);
});

test('ROUGE-L hand case: LCS, F1 and F_1.2', (t) => {
  // cand a b c d, ref a c e d f: LCS = a c d = 3, P = 3/4, R = 3/5
  t.is(lcsLength(['a', 'c', 'e', 'd', 'f'], ['a', 'b', 'c', 'd']), 3);
  t.true(Math.abs(rougeL('a b c d', 'a c e d f') - (100 * 2) / 3) < 1e-9);
  // (1 + 1.44)·0.45 / (0.6 + 1.44·0.75) = 1.098/1.68
  t.true(Math.abs(rougeL('a b c d', 'a c e d f', { beta: 1.2 }) - (100 * 1.098) / 1.68) < 1e-9);
});

test('rouge-score tokens: lower-case, [a-z0-9] runs, Porter stems of tokens longer than 3', (t) => {
  // metric_references.py: ['return', 'the', 'valu'] / ['return', 'a', 'valu'], F1 66.67
  t.deepEqual(rougeScoreTokens('Returns the values.'), ['return', 'the', 'valu']);
  t.deepEqual(rougeScoreTokens('return a value'), ['return', 'a', 'valu']);
  t.true(Math.abs(rougeL('Returns the values.', 'return a value') - 66.66666666666666) < 1e-9);
  t.deepEqual(rougeScoreTokens('Gets the sized generalizations of x'), ['get', 'the', 'size', 'gener', 'of', 'x']);
  t.true(Math.abs(rougeL('Gets the sized generalizations of x', 'get generalization sizes of the x') - 66.66666666666666) < 1e-9);
  // stemmer-sensitive: NLTK default stems carefully → care, arrays → array (ORIGINAL / the npm
  // stemmer: carefulli, arrai, which would give F1 50)
  t.deepEqual(rougeScoreTokens('Handle the arrays with care'), ['handl', 'the', 'array', 'with', 'care']);
  t.deepEqual(rougeScoreTokens('handles arrays carefully'), ['handl', 'array', 'care']);
  t.true(Math.abs(rougeL('Handle the arrays with care', 'handles arrays carefully') - 74.99999999999999) < 1e-9);
  t.deepEqual(rougeScoreTokens('a.b(c); ÄÖ x_y 3.14'), ['a', 'b', 'c', 'x', 'y', '3', '14']);
  t.deepEqual(rougeScoreTokens('Returns', false), ['returns']);
  t.deepEqual(rougeScoreTokens('   '), []);
});

test('Porter stems: NLTK default (rouge-score) and ORIGINAL_ALGORITHM; the npm stemmer is a third variant', (t) => {
  // NLTK 3.10.3: word → PorterStemmer() / ORIGINAL_ALGORITHM / MARTIN_EXTENSIONS (metric_references.py)
  const ref: [string, string, string, string][] = [
    ['returns', 'return', 'return', 'return'], ['values', 'valu', 'valu', 'valu'],
    ['generalizations', 'gener', 'gener', 'gener'], ['possibly', 'possibl', 'possibli', 'possibl'],
    ['archaeology', 'archaeolog', 'archaeologi', 'archaeolog'], ['geology', 'geolog', 'geologi', 'geologi'],
    ['arrays', 'array', 'arrai', 'arrai'], ['days', 'day', 'dai', 'dai'], ['carefully', 'care', 'carefulli', 'carefulli'],
    ['skies', 'sky', 'ski', 'ski'], ['dying', 'die', 'dy', 'dy'], ['flies', 'fli', 'fli', 'fli'], ['dies', 'die', 'di', 'di'],
    ['spied', 'spi', 'spi', 'spi'], ['enjoy', 'enjoy', 'enjoi', 'enjoi'], ['happily', 'happili', 'happili', 'happili'],
    ['ponies', 'poni', 'poni', 'poni'], ['ties', 'tie', 'ti', 'ti'], ['controlling', 'control', 'control', 'control'],
    ['hopping', 'hop', 'hop', 'hop'], ['filing', 'file', 'file', 'file'], ['agreed', 'agre', 'agre', 'agre'],
    ['proceed', 'proceed', 'proce', 'proce'], ['relational', 'relat', 'relat', 'relat'],
    ['sensibility', 'sensibl', 'sensibl', 'sensibl'],
  ];
  for (const [w, nltk, orig, martin] of ref) {
    t.is(porterStem(w), nltk, w);
    t.is(porterStem(w, 'original'), orig, `original ${w}`);
    t.is(stemmer(w), martin, `npm stemmer ${w}`); // the npm package is Martin Porter's revision
  }
  t.is(porterStem('Returns'), 'return'); // lower-cased first, as NLTK's stem()
  t.is(porterStem('y'.repeat(5000)).length, 5000); // a run of y's: linear, no deep recursion
});

test('ROUGE-L: identical ⇒ 100, empty ⇒ 0; corpus = mean; code tokens keep case and punctuation', (t) => {
  t.is(rougeL('return a.b();', 'return a.b();'), 100);
  t.is(rougeL('', 'x'), 0);
  t.is(rougeL('', ''), 0);
  t.is(rougeL('...', 'x'), 0); // no rouge-score token
  t.is(rougeL('Returns X', 'returns x'), 100);
  const c = corpusRougeL(['a', 'b'], ['a', 'c']);
  t.is(c.score, 50);
  t.deepEqual(c.perExample, [100, 0]);
  t.deepEqual(codeRougeTokens('a.B(c);'), ['a', '.', 'B', '(', 'c', ')', ';']);
  t.true(Math.abs(rougeL('a + b', 'a - b', { tokenize: 'code' }) - (100 * 2) / 3) < 1e-9);
  t.is(rougeL('a + b', 'a - b'), 100); // rouge-score's tokenizer drops operators: why code uses 'code'
});
