import test from 'ava';
import { join } from 'node:path';
import { evaluate, headline, pairedBootstrap } from '../../src/eval/index.ts';
import { existsSync } from 'node:fs';
import { dataDir, hasSample, readLines, sampleDir } from './helpers.ts';

const trainCs = join(dataDir, 'codexglue', 'java-cs', 'train.java-cs.txt.cs');

const sampleTest = hasSample ? test : test.skip;

sampleTest('evaluate(translation) on the CodeXGLUE sample: BLEU 61.08, accuracy 50.0, all metrics present', async (t) => {
  const preds = readLines(join(sampleDir, 'predictions.txt'));
  const refs = readLines(join(sampleDir, 'references.txt'));
  // CrystalBLEU's frequent n-grams from CodeXGLUE's C# training targets when present (with only the
  // ten references as "training corpus", k = 500 would ignore nearly every n-gram)
  const trainTargets = existsSync(trainCs) ? readLines(trainCs).slice(0, 3000) : ['unrelated training target'];
  const r = await evaluate(preds.map((p, i) => ({ prediction: p, reference: refs[i] })), 'translation', { trainTargets });
  t.is(r.n, 10);
  t.is(r.bleu!.toFixed(2), '61.08');
  t.is(r.codexglueAccuracy, 50);
  t.is(r.exact, 50); // the five equal lines are also equal after normalisation, the others are not
  for (const k of ['codebleu', 'chrf', 'crystalbleu', 'meteor', 'rougeL'] as const) {
    const v = r[k];
    t.true(typeof v === 'number' && v > 0 && v < 100, k);
  }
  t.is(r.perExample.meteor.length, 10);
  t.is(r.samples.bleu?.kind, 'corpus');
  t.is(r.samples.meteor?.kind, 'mean');
});

test('identical outputs: 100 where the definition allows it', async (t) => {
  const code = 'int f(int a){int b = a + 1; return b * 2;}';
  const ex = [
    { prediction: code, reference: code },
    { prediction: 'void g(int x){ int y = x; y++; }', reference: 'void g(int x){ int y = x; y++; }' },
  ];
  const r = await evaluate(ex, 'completion', { trainTargets: ['return a ;'] });
  for (const k of ['exact', 'contain', 'hExact', 'bleu', 'codebleu', 'chrf', 'crystalbleu', 'rougeL'] as const) t.is(r[k], 100, k);
  t.true(r.meteor! < 100 && r.meteor! > 95); // METEOR's fragmentation penalty never vanishes
});

test('summarization: CodeBLEU and CrystalBLEU are null; BLEU is corpus BLEU-4, not a mean of sentence BLEU', async (t) => {
  const ex = [
    { prediction: 'Returns the value of the given key.', reference: 'Returns the value for the given key.' },
    { prediction: 'Gets the name.', reference: 'Returns the name of this object.' },
  ];
  const r = await evaluate(ex, 'summarization', { trainTargets: ['x'] });
  t.is(r.codebleu, null);
  t.is(r.crystalbleu, null);
  // CodeXGLUE compute_bleu (smooth=True) on lower-cased splitPuncts tokens, written out in
  // scripts/fixtures/metric_references.py (checked there on the evaluator sample: 61.078…):
  // 39.82469063711686. The former mean of smoothed sentence BLEU was (59.46 + 27.44)/2 = 43.45.
  t.true(Math.abs(r.bleu! - 39.82469063711686) < 1e-9, String(r.bleu));
  t.is(r.samples.bleu?.kind, 'corpus');
  const meanSentence = r.perExample.sentenceBleu.reduce((s, x) => s + x, 0) / 2;
  t.true(Math.abs(meanSentence - 43.45) < 0.01);
  // ROUGE-L for English: rouge-score F1 with Porter stemming (same script: 66.67 on a stem pair)
  const rg = await evaluate([{ prediction: 'Returns the values.', reference: 'return a value' }], 'summarization');
  t.true(Math.abs(rg.rougeL! - 66.66666666666666) < 1e-9);
  t.deepEqual(Object.keys(headline(r)), ['n', 'exact', 'contain', 'hExact', 'bleu', 'codebleu', 'chrf', 'crystalbleu', 'meteor', 'rougeL']);
});

test('code targets: ROUGE-L F1 on splitPuncts tokens, case and operators kept', async (t) => {
  // tokens `return a + b ;` vs `return a - b ;`: LCS 4 of 5 ⇒ P = R = 0.8 ⇒ F1 80 (rouge-score's
  // tokenizer would drop the operators and give 100)
  const r = await evaluate([{ prediction: 'return a + b;', reference: 'return a - b;' }], 'completion');
  t.true(Math.abs(r.rougeL! - 80) < 1e-9);
  const c = await evaluate([{ prediction: 'String s;', reference: 'string s;' }], 'translation');
  t.true(Math.abs(c.rougeL! - 100 * (2 / 3)) < 1e-9);
});

test('CrystalBLEU is null without training targets; empty predictions score 0', async (t) => {
  const r = await evaluate([{ prediction: '', reference: 'int f(int a){int b = a; return b;}' }], 'completion');
  t.is(r.crystalbleu, null);
  for (const k of ['exact', 'contain', 'bleu', 'codebleu', 'chrf', 'meteor', 'rougeL'] as const) t.is(r[k], 0, k);
});

test('evaluate feeds the paired bootstrap (corpus metric resampled from its statistics)', async (t) => {
  const refs = ['int a = b + c ;', 'return x * y ;', 'foo ( bar , baz ) ;', 'if ( p ) q ( ) ;'];
  const a = await evaluate(refs.map((r) => ({ prediction: r, reference: r })), 'translation');
  const b = await evaluate(refs.map((r) => ({ prediction: r.replace(';', ''), reference: r })), 'translation');
  const cmp = pairedBootstrap(a.samples.bleu!, b.samples.bleu!, { B: 500, seed: 11 });
  t.true(Math.abs(cmp.meanA - a.bleu!) < 1e-9);
  t.true(Math.abs(cmp.meanB - b.bleu!) < 1e-9);
  t.true(cmp.delta > 0);
  t.is(cmp.p, 0);
  const ex = pairedBootstrap(a.samples.exact!, b.samples.exact!, { B: 500, seed: 11 });
  t.is(ex.delta, 100);
});

test('an empty corpus is an InputError, not scores of 0 (issue 9: an empty predictions file scored 0 everywhere)', async (t) => {
  await t.throwsAsync(() => evaluate([], 'translation'), { message: /no examples to score/ });
});

test('unknown task is an OptionError', async (t) => {
  await t.throwsAsync(() => evaluate([], 'nope' as never), { message: /unknown task/ });
});
