/**
 * Agreement floors against the artifact's labels (METHOD.md §1): ≥ 97% token accuracy on each
 * corpus valid file, ≥ 95% on every structural label (rules 1–6). Plus the aligner itself.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agreement, alignTokens, readArtifactJsonl, STRUCTURAL_LABELS } from '../../src/code/agreement.ts';
import { initLabeller, labelCodeSync } from '../../src/code/index.ts';
import { dataRoot as sharedDataRoot } from '../../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = sharedDataRoot();
const corpus = join(dataRoot, 'eyemulator', 'corpus');

test.before(async () => {
  await initLabeller(['java']);
});

test('aligner: merges, null/nan, dropped punctuation and tokens moved to the end', async (t) => {
  const code = '@Override public int f(int[] a) { if (a == null) { return -1; } while (x) { break; } Foo.bar(a); }';
  const ours = labelCodeSync(code, 'java');
  const theirs = ['public', 'int', 'f', 'int', '[]', 'a', 'if', 'a', '==', 'nan', 'return', '-', '1', 'while', 'x', 'break;', 'bar', 'a', 'Override', 'Foo'];
  const map = alignTokens(ours, theirs);
  t.true(map.every((i) => i >= 0), `unaligned: ${theirs.filter((_, j) => map[j] < 0).join(' ')}`);
  const at = (j: number): string => ours[map[j]].text;
  t.is(at(4), '['); // `[]` ← `[` `]`
  t.is(at(9), 'null');
  t.is(at(15), 'break'); // `break;` ← `break` `;`
  t.is(at(18), 'Override'); // moved to the end by the artifact
  t.is(at(19), 'Foo');
  t.is(new Set(map).size, map.length, 'no token of ours used twice');
});

for (const name of ['translation_valid', 'summarization_valid']) {
  const file = join(corpus, `${name}.jsonl`);
  if (!existsSync(file)) {
    test.skip(`agreement floors on ${name}: SKIPPED, data file ${file} absent (set EYEMULATOR_DATA)`, () => {});
    continue;
  }
  test(`agreement floors on ${name}: ≥ 97% overall, ≥ 95% per structural label`, (t) => {
    const ag = new Agreement();
    for (const ex of readArtifactJsonl(file)) ag.add(labelCodeSync(ex.code, 'java'), ex.tokens, ex.labels);
    t.log(`${name}: ${ag.compared} tokens compared, ${ag.unaligned} unaligned, accuracy ${(100 * ag.accuracy).toFixed(2)}%`);
    t.true(ag.examples > 400);
    // Nearly every artifact token must find a partner, or the accuracy would be measured on a subset.
    t.true(ag.unaligned / ag.total < 0.05, `unaligned ${ag.unaligned} of ${ag.total}`);
    t.true(ag.accuracy >= 0.97, `overall ${(100 * ag.accuracy).toFixed(2)}%`);
    for (const label of STRUCTURAL_LABELS) {
      const acc = ag.labelAccuracy(label);
      t.not(acc, null, `no ${label} tokens compared`);
      t.true(acc! >= 0.95, `${label}: ${(100 * acc!).toFixed(2)}%`);
    }
  });
}
