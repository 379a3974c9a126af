import test from 'ava';
import { bootstrapCi, ci95Mean, mean, median, pairedBootstrap, quantileSorted, sampleStd, studentTQuantile, type MetricSample } from '../../src/eval/stats.ts';
import { corpusScorer, evaluate } from '../../src/eval/index.ts';
import { OptionError } from '../../src/util/errors.ts';
import { codexglueBleu, codexglueBleuFromStats, codexglueBleuStats } from '../../src/eval/bleu.ts';
import { whitespaceTokens } from '../../src/eval/tokenize.ts';

test('mean and sample std', (t) => {
  t.is(mean([1, 2, 3, 4, 5]), 3);
  t.true(Math.abs(sampleStd([1, 2, 3, 4, 5]) - Math.sqrt(2.5)) < 1e-12);
  t.is(sampleStd([7]), 0);
});

test('Student t quantiles match printed tables', (t) => {
  t.is(studentTQuantile(0.975, 1).toFixed(4), '12.7062');
  t.is(studentTQuantile(0.975, 4).toFixed(4), '2.7764');
  t.is(studentTQuantile(0.975, 9).toFixed(4), '2.2622');
  t.is(studentTQuantile(0.975, 30).toFixed(4), '2.0423');
  t.is(studentTQuantile(0.025, 9).toFixed(4), '-2.2622');
});

test('t-based 95% CI of a mean', (t) => {
  // 3 ± 2.776445·√2.5/√5 = 3 ± 1.963243
  const s = ci95Mean([1, 2, 3, 4, 5]);
  t.is(s.ci95[0].toFixed(4), '1.0368');
  t.is(s.ci95[1].toFixed(4), '4.9632');
  t.deepEqual(ci95Mean([4]).ci95, [4, 4]);
});

test('type-7 quantiles', (t) => {
  // position q·(n−1): 0.075 → 0 + 0.075·0.5; 2.925 → 0.5 + 0.925·0.5
  t.true(Math.abs(quantileSorted([0, 0.5, 0.5, 1], 0.025) - 0.0375) < 1e-12);
  t.true(Math.abs(quantileSorted([0, 0.5, 0.5, 1], 0.975) - 0.9625) < 1e-12);
  t.is(quantileSorted([3, 5], 0.5), 4);
});

const m = (values: number[]): MetricSample => ({ kind: 'mean', values });

test('paired bootstrap, fully enumerated: n = 2, all 4 resamples', (t) => {
  // A = [1, 0], B = [0, 0]; resamples {00, 01, 10, 11} give δ = 1, .5, .5, 0 (sorted 0, .5, .5, 1).
  // delta = .5; CI = type-7 quantiles [0.0375, 0.9625]; δ ≤ 0 once ⇒ p = 2·1/4 = 0.5.
  const r = pairedBootstrap(m([1, 0]), m([0, 0]), { resamples: [[0, 0], [0, 1], [1, 0], [1, 1]] });
  t.is(r.delta, 0.5);
  t.is(r.meanA, 0.5);
  t.is(r.meanB, 0);
  t.true(Math.abs(r.ci95[0] - 0.0375) < 1e-12 && Math.abs(r.ci95[1] - 0.9625) < 1e-12);
  t.is(r.p, 0.5);
  t.is(r.B, 4);
});

test('paired bootstrap: A better on every example ⇒ p = 0 and the CI excludes 0', (t) => {
  const a = [50, 60, 70, 80, 90, 55, 65, 75];
  const r = pairedBootstrap(m(a), m(a.map((x) => x - 3)), { B: 2000, seed: 7 });
  t.is(r.n, 8);
  t.true(Math.abs(r.delta - 3) < 1e-12);
  t.is(r.p, 0);
  t.true(r.ci95[0] > 0);
  t.true(Math.abs(r.ci95[0] - 3) < 1e-9 && Math.abs(r.ci95[1] - 3) < 1e-9); // every δ_b is exactly 3
  // sign flips: p stays 0 for the reversed comparison, delta is −3
  const rev = pairedBootstrap(m(a.map((x) => x - 3)), m(a), { B: 500, seed: 7 });
  t.is(rev.p, 0);
  t.true(rev.ci95[1] < 0);
});

test('paired bootstrap: identical systems ⇒ delta 0, p = 1, CI [0, 0]', (t) => {
  const v = [1, 0, 1, 1, 0];
  const r = pairedBootstrap(m(v), m([...v]), { B: 300, seed: 1 });
  t.is(r.delta, 0);
  t.is(r.p, 1);
  t.deepEqual(r.ci95, [0, 0]);
});

test('paired bootstrap recomputes a corpus metric on each resample', (t) => {
  const refs = ['a b c d e', 'f g h i j', 'k l m n o'];
  const hypsA = ['a b c d e', 'f g h i x', 'k l m n o'];
  const hypsB = ['a b c d e', 'f x h i x', 'k l x n o'];
  const sample = (hyps: string[]): MetricSample => ({
    kind: 'corpus',
    stats: hyps.map((h, i) => codexglueBleuStats(whitespaceTokens(h), [whitespaceTokens(refs[i])])),
    score: (s) => codexglueBleuFromStats(s).bleu,
  });
  // on the resample [0, 0, 0] both systems are perfect on example 0 ⇒ δ = 0
  const one = pairedBootstrap(sample(hypsA), sample(hypsB), { resamples: [[0, 0, 0]] });
  t.is(one.ci95[0], 0);
  const r = pairedBootstrap(sample(hypsA), sample(hypsB), { B: 1000, seed: 3 });
  t.true(r.delta > 0);
  t.true(Math.abs(r.meanA - codexglueBleu(hypsA, refs).bleu) < 1e-9); // full-sample corpus BLEU
  t.true(Math.abs(r.meanB - codexglueBleu(hypsB, refs).bleu) < 1e-9);
  t.true(r.ci95[0] >= 0); // A is never worse on any example, so no resample favours B
  // deterministic for a fixed seed
  t.deepEqual(pairedBootstrap(sample(hypsA), sample(hypsB), { B: 1000, seed: 3 }), r);
});

test('paired bootstrap rejects mismatched samples', (t) => {
  t.throws(() => pairedBootstrap(m([1]), m([1, 2])));
});

test('paired bootstrap: an exact tie lost to floating point (+5.6e-17) is a tie: delta 0, p 1', (t) => {
  // Per-example values: A − B per example is 0.1, 0.2, −0.3, exactly 0 in total; in floating point
  // mean(A) − mean(B) = 2.8e-17 and Σ(a_i − b_i) = 0.1 + 0.2 − 0.3 = 5.551115123125783e-17
  // (Python prints the same, metric_references.py), which used to count as "A better".
  t.true(0.1 + 0.2 - 0.3 > 0);
  const r = pairedBootstrap(m([0.1, 0.2, 0]), m([0, 0, 0.3]), { B: 200, seed: 1 });
  t.is(r.delta, 0);
  t.is(r.p, 1);
  // Corpus kind: the score is a sum of statistics, 0.30000000000000004 vs 0.3 (δ = +5.6e-17).
  const corpus = (xs: number[]): MetricSample => ({ kind: 'corpus', stats: xs.map((x) => [x]), score: (s) => s[0] });
  t.is(0.1 + 0.2 + 0 - 0.3, 5.551115123125783e-17); // what the naive corpus δ on [0, 1, 2] was
  const rc = pairedBootstrap(corpus([0.1, 0.2, 0]), corpus([0, 0, 0.3]), { resamples: [[0, 1, 2], [2, 1, 0]] });
  t.is(rc.delta, 0);
  t.is(rc.p, 1);
  t.deepEqual(rc.ci95, [0, 0]);
});

test('paired bootstrap: resamples that tie exactly count against the observed sign', (t) => {
  // A − B per example: 0.1, 0.2, −0.3, 0, 5 ⇒ delta = 1. Resample 01233 ties exactly (naive float
  // δ_b = +1.4e-17, which escaped the δ_b ≤ 0 count); the others give 5, 0.1, 0.2, −0.3.
  const resamples = [[0, 1, 2, 3, 3], [4, 4, 4, 4, 4], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2]];
  const r = pairedBootstrap(m([0.1, 0.2, 0, 0, 5]), m([0, 0, 0.3, 0, 0]), { resamples });
  t.true(Math.abs(r.delta - 1) < 1e-12);
  t.is(r.p, (2 * 2) / 5); // two resamples (the tie and −0.3) do not favour A
  // with the tolerance switched off the tie escapes again (documents why it exists)
  t.is(pairedBootstrap(m([0.1, 0.2, 0, 0, 5]), m([0, 0, 0.3, 0, 0]), { resamples, tieTolerance: 0 }).p, (2 * 1) / 5);
  // the tolerance scales with the metric: 1e-9 · max |value|
  const big = pairedBootstrap(m([100, 50]), m([100, 50 - 1e-8]), { resamples: [[0, 1]] });
  t.is(big.delta, 0);
  t.true(pairedBootstrap(m([100, 50]), m([100, 50 - 1e-6]), { resamples: [[0, 1]] }).delta > 0);
});

test('median: middle value, mean of the two middle ones for an even count, NaN for none', (t) => {
  t.is(median([5, 40, 12, 33, 8, 60]), 22.5);
  t.is(median([3, 1, 2]), 2);
  t.true(Number.isNaN(median([])));
});

test('bootstrapCi: seeded percentile interval of the resampled score; constant values give a point; no examples give NaNs', (t) => {
  const s: MetricSample = { kind: 'mean', values: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] };
  const a = bootstrapCi(s, 500, 3);
  t.deepEqual(bootstrapCi(s, 500, 3), a, 'same seed, same interval');
  t.true(a[0] < 45 && 45 < a[1] && a[0] >= 0 && a[1] <= 90, `CI ${a} brackets the mean 45`);
  t.deepEqual(bootstrapCi({ kind: 'mean', values: [7, 7, 7] }, 50, 0), [7, 7]);
  const empty = bootstrapCi({ kind: 'mean', values: [] }, 10, 0);
  t.true(Number.isNaN(empty[0]) && Number.isNaN(empty[1]));
});

test('corpusScorer is the scorer evaluate attaches to each corpus metric, and refuses a mean-kind metric', async (t) => {
  const r = await evaluate([
    { prediction: 'int a = 1 ;', reference: 'int a = 1 ;' },
    { prediction: 'return x ;', reference: 'return x + y ;' },
  ], 'translation', { trainTargets: ['int b = 2 ;'] });
  for (const m of ['bleu', 'chrf', 'codebleu', 'crystalbleu'] as const) {
    const s = r.samples[m];
    if (s?.kind !== 'corpus') return t.fail(`${m} is not a corpus sample`);
    const sum = s.stats[0].map((_, k) => s.stats[0][k] + s.stats[1][k]);
    t.is(corpusScorer(m)(sum), s.score(sum), m);
    t.is(corpusScorer(m)(sum), r[m] as number, m);
  }
  t.throws(() => corpusScorer('exact'), { instanceOf: OptionError, message: /not a corpus metric/ });
});
