import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLabelName } from '../../src/code/labels.ts';
import { formatImportReport, importArtifactPriors, parsePriors, parsePythonTuple } from '../../src/priors/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { dataRoot as sharedDataRoot } from '../../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = sharedDataRoot();
const artifact = join(dataRoot, 'eyemulator');
const haveArtifact = existsSync(join(artifact, 'priors', 'combined', 'monogram_counts.json'));
if (!haveArtifact) console.warn(`import tests on the real artifact skipped: ${artifact} is absent (set EYEMULATOR_DATA)`);
const withArtifact = haveArtifact ? test : test.skip;

test('parsePythonTuple reads stringified tuples and rejects other text', (t) => {
  t.deepEqual(parsePythonTuple("('parameter', 'loop')"), ['parameter', 'loop']);
  t.deepEqual(parsePythonTuple("('a',)"), ['a']);
  t.deepEqual(parsePythonTuple(`("it's", 'b')`), ["it's", 'b']);
  t.deepEqual(parsePythonTuple("('()', 'argument')"), ['()', 'argument']);
  t.deepEqual(parsePythonTuple("('a\\'b', 'c')"), ["a'b", 'c']);
  t.is(parsePythonTuple('parameter'), null);
  t.is(parsePythonTuple("('a', 'b'"), null);
  t.is(parsePythonTuple("('a' 'b')"), null);
  t.is(parsePythonTuple("('a', 'b') x"), null);
});

withArtifact('the artifact import drops the single-character keys, reports them, and prunes', (t) => {
  const { priors, report } = importArtifactPriors(artifact);
  t.deepEqual(report.modes, ['combined', 'reading', 'writing']);
  const raw = JSON.parse(readFileSync(join(artifact, 'priors', 'combined', 'monogram_counts.json'), 'utf8')) as Record<string, number>;
  const nonLabels = Object.keys(raw).filter((k) => !isLabelName(k));
  t.true(nonLabels.includes('e') && nonLabels.includes(' ') && nonLabels.includes('x'));
  const drop = report.dropped.find((d) => d.mode === 'combined' && d.file.endsWith('monogram_counts.json'))!;
  t.is(drop.dropped, nonLabels.length);
  t.is(drop.occurrences, nonLabels.reduce((s, k) => s + raw[k], 0));
  t.true(drop.examples.includes('"e"'));
  // what is left are labels only, with the artifact's counts where not pruned
  for (const mode of ['combined', 'reading', 'writing'] as const) {
    const mp = priors.modes[mode]!;
    for (const n of ['1', '2', '3'] as const) {
      for (const [key, c] of Object.entries(mp.ngrams[n])) {
        t.true(key.split('|').every(isLabelName), key);
        t.true(c! >= 5, `${mode} ${key} ${c}`);
      }
    }
  }
  t.is(priors.modes.combined!.ngrams['1']['variable declaration'], raw['variable declaration']);
  t.is(priors.modes.combined!.ngrams['1']['index operation'] as number | undefined, undefined); // 4 < minCount 5: pruned
  // pruning is reported with the numbers of the raw files
  const bi = JSON.parse(readFileSync(join(artifact, 'priors', 'combined', 'bigram_counts.json'), 'utf8')) as Record<string, number>;
  const labelBi = Object.entries(bi).filter(([k]) => parsePythonTuple(k)!.every(isLabelName));
  t.is(report.pruned.combined!.removed['2'].ngrams, labelBi.filter(([, c]) => c < 5).length);
  t.is(report.pruned.combined!.removed['2'].kept, labelBi.filter(([, c]) => c >= 5).length);
  t.is(report.ngramOrder, 'sorted');
  const text = formatImportReport(report);
  t.regex(text, /dropped from combined\/monogram_counts\.json: \d+ keys \(\d+ occurrences\), key is not a semantic label; e\.g\. "e"/);
  t.regex(text, /pruned combined: minCount 5/);
  t.regex(text, /combined = reading \+ writing/);
  // the result is a valid priors file; with --min-count 0 nothing but non-labels is lost
  t.notThrows(() => parsePriors(priors, 'imported'));
  const all = importArtifactPriors(artifact, { minCount: 0 });
  t.is(Object.keys(all.priors.modes.combined!.ngrams['2']).length, labelBi.length);
});

function fakeArtifact(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'eyemulator-artifact-'));
  for (const [rel, value] of Object.entries(files)) {
    const f = join(root, 'priors', rel);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return root;
}

const beta = [
  { semantic_label: 'loop', saccades_count: 2, word_count: 6, alpha: 3, beta: 5 },
  { semantic_label: 'return', saccades_count: 0, word_count: 2, alpha: 1, beta: 3 },
  { semantic_label: 'None', saccades_count: 1, word_count: 4, alpha: 2, beta: 4 },
];

test('import of a hand-made artifact: drops, pruning, order detection', (t) => {
  const root = fakeArtifact({
    'reading/beta_distribution.json': beta,
    'reading/monogram_counts.json': { loop: 9, return: 4, e: 100, ' ': 7 },
    'reading/bigram_counts.json': { "('return', 'loop')": 6, "('loop', 'return')": 5, "('()', 'loop')": 8, "('loop', 'loop')": 2 },
    'reading/trigram_counts.json': { "('loop', 'return', 'loop')": 5 },
  });
  const { priors, report } = importArtifactPriors(root, { minCount: 5 });
  t.deepEqual(report.modes, ['reading']);
  t.deepEqual(report.missingModes, ['combined', 'writing']);
  const mp = priors.modes.reading!;
  t.deepEqual(mp.labels, { loop: { alpha: 3, beta: 5, fixated: 2, shown: 6 }, return: { alpha: 1, beta: 3, fixated: 0, shown: 2 } });
  t.deepEqual(mp.ngrams, { '1': { loop: 9 }, '2': { 'return|loop': 6, 'loop|return': 5 }, '3': { 'loop|return|loop': 5 } });
  t.is(priors.ngramOrder, 'sequence'); // ('return', 'loop') is not sorted
  const drops = Object.fromEntries(report.dropped.map((d) => [d.file.split('/').pop(), d]));
  t.is(drops['beta_distribution.json'].dropped, 1);
  t.deepEqual(drops['beta_distribution.json'].examples, ['None']);
  t.is(drops['monogram_counts.json'].dropped, 2);
  t.is(drops['monogram_counts.json'].occurrences, 107);
  t.is(drops['bigram_counts.json'].dropped, 1);
  t.is(report.pruned.reading!.removed['1'].ngrams, 1); // return: 4
  t.is(report.pruned.reading!.removed['2'].ngrams, 1); // loop, loop: 2
  // forcing sorted keys merges the two orders of {loop, return}
  const sorted = importArtifactPriors(root, { minCount: 5, ngramOrder: 'sorted' });
  t.deepEqual(sorted.priors.modes.reading!.ngrams['2'], { 'loop|return': 11 });
});

test('malformed artifact files are errors naming the file and field', (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ 'reading/beta_distribution.json': [{ ...beta[0], alpha: 'x' }] }, /beta_distribution\.json: field \[0\]\.alpha: expected a positive number/],
    [{ 'reading/beta_distribution.json': [{ ...beta[0], saccades_count: 9 }] }, /beta_distribution\.json: field \[0\]: saccades_count 9 exceeds word_count 6/],
    [{ 'reading/beta_distribution.json': beta, 'reading/monogram_counts.json': { loop: -3 } }, /monogram_counts\.json: field "loop": expected a non-negative integer/],
    [{ 'reading/beta_distribution.json': beta, 'reading/monogram_counts.json': {}, 'reading/bigram_counts.json': { 'loop, return': 3 } }, /bigram_counts\.json: field "loop, return": not a Python tuple/],
    [{ 'reading/beta_distribution.json': beta, 'reading/monogram_counts.json': {}, 'reading/bigram_counts.json': '{"a": ' }, /bigram_counts\.json: not valid JSON/],
    [{ 'reading/beta_distribution.json': beta, 'reading/monogram_counts.json': {}, 'reading/bigram_counts.json': {} }, /trigram_counts\.json: cannot read/],
  ];
  for (const [files, re] of cases) {
    const root = fakeArtifact(files);
    const err = t.throws(() => importArtifactPriors(root), { instanceOf: InputError });
    t.regex(err!.message, re);
  }
  t.throws(() => importArtifactPriors(tmpdir()), { instanceOf: InputError, message: /no artifact priors found/ });
});
