import test from 'ava';
import type { LabelName } from '../../src/code/labels.ts';
import { Rng } from '../../src/util/rng.ts';
import {
  codeTokenWeights,
  compilePriorTables,
  drawPseudoPath,
  groupPicked,
  OFF_PATH_WEIGHT,
  PathWorkspace,
  pathTokenWeight,
  prepareCode,
  type PseudoPath,
} from '../../src/weights/index.ts';
import { layout, modePriors, priorsOf } from './_helpers.ts';

const A: LabelName = 'function declaration';
const B: LabelName = 'parameter';
const C: LabelName = 'return';

const priors = priorsOf({
  combined: modePriors({ [A]: [9, 3], [B]: [4, 4], [C]: [1, 7] }, { '1': { [A]: 12, [C]: 5 }, '2': { [`${A}|${B}`]: 40 }, '3': {} }),
});

test('pathTokenWeight is w_base + 1/ln(count + 2) + E[θ], with terms that can be switched off', (t) => {
  const all = { wBase: 1, rarity: true, semantic: true };
  t.is(pathTokenWeight(40, 0.75, all), 1 + 1 / Math.log(42) + 0.75);
  t.is(pathTokenWeight(0, 0.5, all), 1 + 1 / Math.LN2 + 0.5);
  t.is(pathTokenWeight(40, 0.75, { ...all, wBase: 3 }), 3 + 1 / Math.log(42) + 0.75);
  t.is(pathTokenWeight(40, 0.75, { ...all, rarity: false }), 1.75);
  t.is(pathTokenWeight(40, 0.75, { ...all, semantic: false }), 1 + 1 / Math.log(42));
});

test('w_j equals the formula for hand-picked tokens, and 1 off the path', (t) => {
  const { tokens } = layout([
    ['public', A, 1], ['int', A, 1], ['f', A, 1], ['(', B, 1, true], ['int', B, 1], ['x', B, 1], [')', B, 1, true],
    ['return', C, 2], ['x', C, 2], [';', C, 2, true],
  ]);
  const code = prepareCode(tokens);
  const tables = compilePriorTables(priors, 'combined');
  // hand-picked path: f (A) + int (B) → the A|B bigram; return (C) → monogram; x (C) → monogram
  const picked = Int32Array.from([2, 4, 7, 8]);
  const ws = new PathWorkspace(code.n);
  const nGroups = groupPicked(picked, 4, code.labelIds, code.lines, tables, {}, ws);
  const onPath = new Uint8Array(code.n);
  for (const j of picked) onPath[j] = 1;
  const path: PseudoPath = { rho: 0, m: 4, n: 8, nPicked: 4, nGroups, picked, onPath, groupOf: ws.groupOf, groupSize: ws.groupSize, groupCount: ws.groupCount, groupFirst: ws.groupFirst };
  for (const wBase of [1, 3]) {
    const w = codeTokenWeights(code, path, tables, { wBase, rarity: true, semantic: true });
    const eA = 9 / 12, eB = 4 / 8, eC = 1 / 8;
    const expected = [1, 1, wBase + 1 / Math.log(42) + eA, 1, wBase + 1 / Math.log(42) + eB, 1, 1, wBase + 1 / Math.log(7) + eC, wBase + 1 / Math.log(7) + eC, 1];
    expected.forEach((e, j) => t.true(Math.abs(w[j] - e) < 1e-6, `token ${j}: ${w[j]} vs ${e}`));
  }
  t.is(OFF_PATH_WEIGHT, 1);
});

test('weights of a drawn path follow the formula token by token', (t) => {
  const spec: Parameters<typeof layout>[0] = [];
  for (let i = 0; i < 120; i++) spec.push([`t${i}`, [A, B, C][i % 3], 1 + (i >> 2), i % 11 === 0]);
  const { tokens } = layout(spec);
  const code = prepareCode(tokens);
  const tables = compilePriorTables(priors, 'combined');
  const path = drawPseudoPath(code, tables, new Rng(3));
  t.true(path.nPicked > 10);
  const w = codeTokenWeights(code, path, tables, { wBase: 1, rarity: true, semantic: true });
  const sal: Record<string, number> = { [A]: 0.75, [B]: 0.5, [C]: 0.125 };
  const counts: Record<string, number> = { [`${A}|${B}`]: 40, [A]: 12, [C]: 5, [B]: 0 };
  for (let j = 0; j < code.n; j++) {
    if (!path.onPath[j]) {
      t.is(w[j], 1);
      continue;
    }
    const g = path.groupOf[j];
    const members = Array.from({ length: path.groupSize[g] }, (_, k) => tokens[path.picked[path.groupFirst[g] + k]].label!);
    const count = counts[members.join('|')];
    t.not(count, undefined, members.join('|'));
    t.true(Math.abs(w[j] - (1 + 1 / Math.log(count + 2) + sal[tokens[j].label!])) < 1e-6);
  }
});
