import test from 'ava';
import { labelId, type LabelName } from '../../src/code/labels.ts';
import { Rng } from '../../src/util/rng.ts';
import {
  allocateQuotas,
  compilePriorTables,
  drawPseudoPath,
  groupPicked,
  PathWorkspace,
  prepareCode,
} from '../../src/weights/index.ts';
import { layout, modePriors, priorsOf } from './_helpers.ts';

const A: LabelName = 'argument';
const B: LabelName = 'loop';
const C: LabelName = 'return';
const D: LabelName = 'comment';

test('quotas: proportional to E[θ]·n by largest remainder (hand cases)', (t) => {
  // weights E·n = 2, 2, 1 → exact shares
  t.deepEqual([...allocateQuotas(10, [0, 2, 2, 1], [0, 4, 8, 10])], [0, 4, 4, 2]);
  // m = 7: ideals 2.8, 2.8, 1.4 → floors 2, 2, 1 and the two units left go to the .8 remainders
  t.deepEqual([...allocateQuotas(7, [0, 2, 2, 1], [0, 4, 8, 10])], [0, 3, 3, 1]);
  // remainder tie, equal weights → lower label id; remainder tie, unequal weights → larger weight
  t.deepEqual([...allocateQuotas(1, [1, 1], [5, 5])], [1, 0]);
  t.deepEqual([...allocateQuotas(2, [1, 3], [5, 5])], [0, 2]);
  // caps: E·n = 1.8 (n=2), 2.0 (n=20), 5.0 (n=10); m = 10 → first label's ideal 2.05 ≥ 2: capped at
  // 2, the 8 left are shared 2:5 → 2.29, 5.71 → 2, 5 + the last unit to the larger remainder
  t.deepEqual([...allocateQuotas(10, [1.8, 2.0, 5.0], [2, 20, 10])], [2, 2, 6]);
  // a cap freeing units that push another label over its cap (cascade)
  t.deepEqual([...allocateQuotas(9, [5, 4, 1], [1, 3, 100])], [1, 3, 5]);
  // more than the capacity: everyone at their cap; zero weight: nothing
  t.deepEqual([...allocateQuotas(50, [1.8, 2.0, 5.0], [2, 20, 10])], [2, 20, 10]);
  t.deepEqual([...allocateQuotas(3, [0, 1], [4, 4])], [0, 3]);
  t.deepEqual([...allocateQuotas(0, [1, 1], [4, 4])], [0, 0]);
});

// A long snippet: 3 labels cycling over lines, with punctuation and unlabelled tokens interleaved.
function bigSnippet(n: number) {
  const spec: Parameters<typeof layout>[0] = [];
  for (let i = 0; i < n; i++) {
    spec.push([`t${i}`, [A, B, C][i % 3], 1 + Math.floor(i / 4)]);
    if (i % 5 === 0) spec.push([';', B, 1 + Math.floor(i / 4), true]);
    if (i % 7 === 0) spec.push(['@', null, 1 + Math.floor(i / 4)]);
  }
  return layout(spec);
}

const smallPriors = priorsOf({
  combined: modePriors({ [A]: [2, 1], [B]: [1, 1], [C]: [1, 3] }, { '1': { [A]: 5 }, '2': { [`${A}|${B}`]: 9 }, '3': { [`${A}|${B}|${C}`]: 4 } }),
});

test('same seed ⇒ same path; different seeds ⇒ different paths', (t) => {
  const code = prepareCode(bigSnippet(300).tokens);
  const tables = compilePriorTables(smallPriors, 'combined');
  const p1 = drawPseudoPath(code, tables, new Rng(11));
  const p2 = drawPseudoPath(code, tables, new Rng(11));
  t.deepEqual([...p1.picked], [...p2.picked]);
  t.deepEqual([...p1.groupOf], [...p2.groupOf]);
  t.is(p1.rho, p2.rho);
  const others = [12, 13, 14].map((s) => [...drawPseudoPath(code, tables, new Rng(s)).picked].join());
  for (const o of others) t.not(o, [...p1.picked].join());
  // a workspace gives the same path as fresh arrays
  const ws = new PathWorkspace(4);
  const p3 = drawPseudoPath(code, tables, new Rng(11), {}, ws);
  t.deepEqual([...p3.picked.subarray(0, p3.nPicked)], [...p1.picked]);
});

test('path density over many draws matches E[ρ] = α_agg/(α_agg+β_agg) within 2%', (t) => {
  const code = prepareCode(bigSnippet(600).tokens);
  const tables = compilePriorTables(smallPriors, 'combined');
  const expected = 4 / (4 + 5); // α_agg = 2+1+1, β_agg = 1+1+3
  const rng = new Rng(2024);
  const ws = new PathWorkspace(code.n);
  const draws = 20_000;
  let density = 0;
  for (let i = 0; i < draws; i++) {
    const p = drawPseudoPath(code, tables, rng, {}, ws);
    t.is(p.n, 600);
    density += p.nPicked / p.n;
  }
  const mean = density / draws;
  t.true(Math.abs(mean - expected) / expected < 0.02, `mean density ${mean} vs E[ρ] ${expected}`);
});

test('a drawn path picks exactly the quotas, never non-candidates, uniformly within a label', (t) => {
  const { tokens } = bigSnippet(90);
  // a label without a prior in this mode: never a candidate
  tokens.push({ ...tokens[tokens.length - 1], text: '/* c */', label: D, labelId: labelId(D), punct: false, startCp: 10_000, endCp: 10_007 });
  const code = prepareCode(tokens);
  const tables = compilePriorTables(smallPriors, 'combined');
  const ns = [A, B, C].map((l) => tokens.filter((x) => x.label === l && !x.punct).length);
  const hits = new Float64Array(tokens.length);
  const rng = new Rng(5);
  const draws = 4000;
  for (let d = 0; d < draws; d++) {
    const p = drawPseudoPath(code, tables, rng);
    t.is(p.n, ns[0] + ns[1] + ns[2]);
    const expected = allocateQuotas(p.m, [0, 2 / 3 * ns[0], 1 / 2 * ns[1], 1 / 4 * ns[2]], [0, ns[0], ns[1], ns[2]]);
    const got = [0, 0, 0, 0];
    for (let i = 0; i < p.nPicked; i++) {
      const tok = tokens[p.picked[i]];
      t.false(tok.punct || tok.labelId === 0 || tok.label === D);
      got[([A, B, C] as string[]).indexOf(tok.label!) + 1]++;
      hits[p.picked[i]]++;
      if (i > 0) t.true(p.picked[i] > p.picked[i - 1]); // source order
    }
    t.deepEqual(got, [...expected]);
  }
  // uniform within a label: every token of label A is picked about equally often
  const aHits = tokens.flatMap((x, j) => (x.label === A && !x.punct ? [hits[j]] : []));
  const mean = aHits.reduce((s, h) => s + h, 0) / aHits.length;
  for (const h of aHits) t.true(Math.abs(h - mean) / mean < 0.15, `${h} vs ${mean}`);
});

test('grouping: greedy tri → bi → mono, within the vocabulary and L source lines', (t) => {
  const { tokens } = layout([
    ['a1', A, 1], ['b1', B, 2], ['c1', C, 3], // trigram A B C, lines 1–3
    ['a2', A, 4], ['b2', B, 8], ['c2', C, 9], // A B C spans 6 lines; A B spans 5: neither
    ['a3', A, 9], // B C A is not a trigram; B C is a bigram; then A alone
    ['a4', A, 12], ['b4', B, 15], // bigram spanning exactly L = 4 lines
    ['a5', A, 20], ['b5', B, 24], // 5 lines: monograms
  ]);
  const code = prepareCode(tokens);
  const priors = priorsOf({
    combined: modePriors(
      { [A]: [2, 2], [B]: [2, 2], [C]: [2, 2] },
      { '1': { [A]: 5, [B]: 6, [C]: 7 }, '2': { [`${A}|${B}`]: 20, [`${B}|${C}`]: 30 }, '3': { [`${A}|${B}|${C}`]: 10 } },
    ),
  });
  const tables = compilePriorTables(priors, 'combined');
  const picked = Int32Array.from(tokens.map((_, j) => j));
  const ws = new PathWorkspace(tokens.length);
  const groups = (opts = {}) => {
    const g = groupPicked(picked, picked.length, code.labelIds, code.lines, tables, opts, ws);
    return Array.from({ length: g }, (_, i) => [ws.groupSize[i], ws.groupCount[i]]);
  };
  t.deepEqual(groups(), [[3, 10], [1, 5], [2, 30], [1, 5], [2, 20], [1, 5], [1, 6]]);
  t.deepEqual([...ws.groupOf.subarray(0, 3)], [0, 0, 0]);
  // a wider L lets the second A B C be a trigram and the last A B a bigram
  t.deepEqual(groups({ maxLines: 10 }), [[3, 10], [3, 10], [1, 5], [2, 20], [2, 20]]);
  // monogram grouping (no-rarity/flow)
  t.deepEqual(groups({ grouping: 'monogram' }).map(([s]) => s), Array(tokens.length).fill(1));
  // only the picked tokens are grouped, each in exactly one group
  const some = Int32Array.from([0, 2, 3, 4]); // a1 c1 a2 b2
  const g = groupPicked(some, some.length, code.labelIds, code.lines, tables, {}, ws);
  t.is(g, 4); // A C: not in the vocabulary; C A: no; A B (lines 4, 8): too far
  t.deepEqual([...ws.groupOf.subarray(0, 5)], [0, -1, 1, 2, 3]);
});

test('grouping with sorted (artifact-style) keys matches any order of the labels', (t) => {
  const { tokens } = layout([['c', C, 1], ['b', B, 1], ['a', A, 1], ['b', B, 2], ['a', A, 2]]);
  const code = prepareCode(tokens);
  const sorted = priorsOf(
    { combined: modePriors({ [A]: [2, 2], [B]: [2, 2], [C]: [2, 2] }, { '2': { [`${A}|${B}`]: 7 }, '3': { [`${A}|${B}|${C}`]: 3 } }) },
    'sorted',
  );
  const tables = compilePriorTables(sorted, 'combined');
  const picked = Int32Array.from([0, 1, 2, 3, 4]);
  const ws = new PathWorkspace(5);
  const g = groupPicked(picked, 5, code.labelIds, code.lines, tables, {}, ws);
  t.is(g, 2);
  t.deepEqual([ws.groupSize[0], ws.groupCount[0], ws.groupSize[1], ws.groupCount[1]], [3, 3, 2, 7]);
});
