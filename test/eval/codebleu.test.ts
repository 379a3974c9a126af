import test from 'ava';
import {
  codebleu,
  codebleuFromStats,
  dataflowMatchStats,
  subtreeSexps,
  syntaxMatchStats,
  weightedNgramFromStats,
  weightedNgramStats,
} from '../../src/eval/codebleu.ts';
import { JAVA_KEYWORDS } from '../../src/eval/codebleu-keywords.ts';
import { extractDataflow, normalizeDataflow } from '../../src/eval/dataflow.ts';
import { withTree } from '../../src/eval/parsers.ts';

test('identical code (≥ 4 tokens, with data flow) ⇒ 100 in every component, Java and C#', async (t) => {
  const java = 'int f(int a){int b = a + 1; for (int i = 0; i < b; i++) { b = b - i; } return b;}';
  const cs = 'public int F(int a){int b = a; foreach (var v in xs) { b += v; } return b;}';
  for (const [code, lang] of [[java, 'java'], [cs, 'c_sharp']] as const) {
    const r = await codebleu([code], [code], lang);
    t.is(r.codebleu, 100, lang);
    t.is(r.ngram, 100);
    t.is(r.weightedNgram, 100);
    t.is(r.syntax, 100);
    t.is(r.dataflow, 100);
  }
});

test('AST match: subtrees are S-expressions of node types (hand-enumerated)', async (t) => {
  // `int f(){return 1;}` has six nodes with children (the root included):
  const sexps = await withTree('java', 'int f(){return 1;}', (tree) => subtreeSexps(tree.rootNode));
  t.deepEqual(sexps, [
    '(program (method_declaration type: (integral_type) name: (identifier) parameters: (formal_parameters) body: (block (return_statement (decimal_integer_literal)))))',
    '(method_declaration type: (integral_type) name: (identifier) parameters: (formal_parameters) body: (block (return_statement (decimal_integer_literal))))',
    '(block (return_statement (decimal_integer_literal)))',
    '(return_statement (decimal_integer_literal))',
    '(formal_parameters)',
    '(integral_type)',
  ]);
  // literals carry no text in an S-expression: `return 2` matches all six
  t.deepEqual(await syntaxMatchStats('int f(){return 2;}', 'int f(){return 1;}', 'java'), [6, 6]);
  // `return x` changes the four subtrees that contain the return value; (formal_parameters) and
  // (integral_type) still match ⇒ 2/6
  t.deepEqual(await syntaxMatchStats('int f(){return x;}', 'int f(){return 1;}', 'java'), [2, 6]);
  // comments are removed before parsing
  t.deepEqual(await syntaxMatchStats('int f(){ /* c */ return 2; // d\n}', 'int f(){return 1;}', 'java'), [6, 6]);
});

test('data-flow match: normalised def-use edges (hand case)', async (t) => {
  // ref `int f(int a){int b = a; return b;}`: a(param) ; b ← a ; a(use) ← a(param) ; b(use) ← b
  // in token order, names renamed in order of appearance (a = var_0, b = var_1):
  const ref = await withTree('java', 'int f(int a){int b = a; return b;}', (tr) => normalizeDataflow(extractDataflow(tr.rootNode, 'java')));
  t.deepEqual(ref, [
    '["var_0","comesFrom",[]]',
    '["var_1","comesFrom",["var_0"]]',
    '["var_0","comesFrom",["var_0"]]',
    '["var_1","comesFrom",["var_1"]]',
  ]);
  // cand `int b = 0`: the unused parameter drops out; b ← 0 makes the literal a node: 0 = var_0,
  // b = var_1 ⇒ edges var_1←var_0, var_0 (no parent), var_1←var_1: three of the four reference
  // edges are found (names are normalised, so `0` stands in for `a`) ⇒ 3/4.
  t.deepEqual(await dataflowMatchStats('int f(int a){int b = 0; return b;}', 'int f(int a){int b = a; return b;}', 'java'), [3, 4]);
});

test('weighted n-gram match: keywords weigh 1, other tokens 0.2 (hand case)', (t) => {
  t.true(JAVA_KEYWORDS.includes('public') && JAVA_KEYWORDS.includes('static'));
  const kw = new Set(JAVA_KEYWORDS);
  // ref [public static foo], hyp [public bar foo]:
  // unigram recall: (1·1 + 0·1 + 1·0.2)/(1 + 1 + 0.2) = 1.2/2.2; bigrams 0/2; trigrams 0/1;
  // 4-grams 0/max(1,0) = 0/1. method1: zero counts → 0.1/den. BP = 1 (3 vs 3 tokens).
  const st = weightedNgramStats(['public', 'bar', 'foo'], ['public', 'static', 'foo'], kw);
  t.deepEqual(st.map((x) => Math.round(x * 1e9) / 1e9), [1.2, 0, 0, 0, 2.2, 2, 1, 1, 3, 3]);
  const expected = ((1.2 / 2.2) * (0.1 / 2) * (0.1 / 1) * (0.1 / 1)) ** 0.25;
  t.true(Math.abs(weightedNgramFromStats(st) - expected) < 1e-12);
});

test('CodeBLEU = 0.25·(BLEU + weighted + AST + data flow); empty prediction ⇒ 0', async (t) => {
  const r = await codebleu(['int f(int a){int b = 0; return b;}'], ['int f(int a){int b = a; return b;}'], 'java');
  t.is(r.dataflow, 75);
  t.true(Math.abs(r.codebleu - 0.25 * (r.ngram + r.weightedNgram + r.syntax + (r.dataflow ?? 0))) < 1e-9);
  const e = await codebleu([''], ['int f(int a){int b = a; return b;}'], 'java');
  t.is(e.codebleu, 0);
});

test('no reference data flow: renormalised by default, 0 as in the reference code on request', async (t) => {
  // `return 0;` → tokens [return, 0;]: NLTK corpus BLEU with method1 = (1·1·0.1·0.1)^(1/4) = 0.316…
  // (BLEU-4 of a 2-token snippet is not 1 even when identical); AST 1; no data-flow edge.
  const r = await codebleu(['return 0;'], ['return 0;'], 'java');
  const b = 0.01 ** 0.25;
  t.true(Math.abs(r.ngram / 100 - b) < 1e-12);
  t.is(r.dataflow, null);
  t.true(Math.abs(r.codebleu / 100 - (b + b + 1) / 3) < 1e-12);
  const z = await codebleu(['return 0;'], ['return 0;'], 'java', { emptyDataflow: 'zero' });
  t.true(Math.abs(z.codebleu / 100 - 0.25 * (b + b + 1)) < 1e-12);
  t.is(codebleuFromStats(new Array(24).fill(0)).codebleu, 0);
});
