import test from 'ava';
import { codexglueAccuracy, exactMatch, exactScores, normalizeForExact } from '../../src/eval/exact.ts';
import { codeTokens, stripComments, whitespaceTokens } from '../../src/eval/tokenize.ts';

test('Exact ignores comments and all whitespace', (t) => {
  t.deepEqual(exactScores('int a = 1; // set a\n/* done */', 'int a=1;'), { exact: 1, contain: 1, hExact: 1 });
  t.is(normalizeForExact('a /* x */ b\n\t c'), 'abc');
});

test('comment markers inside string literals are kept', (t) => {
  t.is(stripComments('s = "http://x"; // c'), 's = "http://x";  ');
  t.is(exactScores('s = "http://x";', 's = "http://y";').exact, 0);
});

test('Contain: a non-empty substring either way; H-Exact is the mean', (t) => {
  t.deepEqual(exactScores('return x;', 'if (y) return x;'), { exact: 0, contain: 1, hExact: 0.5 });
  t.deepEqual(exactScores('if (y) return x; else return z;', 'return x;'), { exact: 0, contain: 1, hExact: 0.5 });
  t.deepEqual(exactScores('return y;', 'return x;'), { exact: 0, contain: 0, hExact: 0 });
});

test('empty prediction: neither Exact nor Contain; two empty strings are Exact but not Contain', (t) => {
  t.deepEqual(exactScores('', 'return x;'), { exact: 0, contain: 0, hExact: 0 });
  t.deepEqual(exactScores('  // only a comment', 'return x;'), { exact: 0, contain: 0, hExact: 0 });
  // METHOD.md §7: Contain = "one is a NON-EMPTY substring of the other"; Exact = equal after
  // normalisation. Both empty (also after stripping comments/whitespace): Exact 1, Contain 0.
  t.deepEqual(exactScores('', ''), { exact: 1, contain: 0, hExact: 0.5 });
  t.deepEqual(exactScores(' // c', '/* d */'), { exact: 1, contain: 0, hExact: 0.5 });
  t.deepEqual(exactScores('x', 'x'), { exact: 1, contain: 1, hExact: 1 });
});

test('corpus values are means × 100', (t) => {
  const r = exactMatch(['a', 'b c', 'x', ''], ['a', 'bc', 'xy', 'z']);
  t.is(r.exact, 50);
  t.is(r.contain, 75);
  t.is(r.hExact, 62.5);
});

test('natural language: comments are not stripped when asked', (t) => {
  t.is(exactScores('see http://a', 'see  http://a', { stripComments: false }).exact, 1);
  t.is(normalizeForExact('see // this', { stripComments: false }), 'see//this');
});

test('CodeXGLUE accuracy compares stripped lines only', (t) => {
  t.is(codexglueAccuracy(['  a b ', 'a  b'], ['a b', 'a b']), 50);
});

test('tokenisers', (t) => {
  t.deepEqual(whitespaceTokens('  a\tb  c\n'), ['a', 'b', 'c']);
  t.deepEqual(whitespaceTokens('   '), []);
  t.deepEqual(codeTokens('foo.bar(x_1, "s");'), ['foo', '.', 'bar', '(', 'x_1', ',', '"', 's', '"', ')', ';']);
});
