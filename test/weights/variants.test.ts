import test from 'ava';
import type { LabelName } from '../../src/code/labels.ts';
import { defaultPriorsPath, loadPriors, salience } from '../../src/priors/index.ts';
import { OptionError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import {
  buildWeightModel,
  drawCodeWeights,
  drawModelWeights,
  drawWeights,
  exampleRng,
  parseVariant,
  prepareExample,
  VARIANTS,
  type PreparedExample,
} from '../../src/weights/index.ts';
import { layout, type HandToken } from './_helpers.ts';

const priors = loadPriors(defaultPriorsPath());
const LABELS: LabelName[] = ['function declaration', 'parameter', 'variable declaration', 'loop', 'conditional statement', 'return', 'function call', 'argument'];

/** A snippet of 160 tokens over 8 labels, and fake model offsets: code tokens cut into 2-code-point pieces, gaps as their own tokens. */
function snippet(): { tokens: HandToken[]; prepared: PreparedExample } {
  const spec: Parameters<typeof layout>[0] = [];
  for (let i = 0; i < 160; i++) spec.push([`tok${i}`, LABELS[(i * 7) % 8], 1 + (i >> 3), i % 9 === 4]);
  const { tokens, code } = layout(spec);
  const offsets: number[][] = [];
  let pos = 0;
  for (const t of tokens) {
    if (t.startCp > pos) offsets.push([pos, t.startCp]);
    for (let a = t.startCp; a < t.endCp; a += 2) offsets.push([a, Math.min(a + 2, t.endCp)]);
    pos = t.endCp;
  }
  if (pos < Array.from(code).length) offsets.push([pos, Array.from(code).length]);
  return { tokens, prepared: prepareExample(tokens, offsets) };
}

const { tokens, prepared } = snippet();
const draw = (variant: string, seed = 7, opts = {}) => drawWeights(prepared, buildWeightModel(priors, variant, opts), new Rng(seed));
const E = (mode: 'combined' | 'reading' | 'writing', label: string) => salience(priors.modes[mode]!.labels[label]!);
const rarityOf = (d: ReturnType<typeof draw>, j: number) => 1 / Math.log(d.code.path!.groupCount[d.code.path!.groupOf[j]] + 2);
const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;

test('unknown variant names are an OptionError listing the valid ones', (t) => {
  const err = t.throws(() => parseVariant('fancy'), { instanceOf: OptionError });
  for (const v of VARIANTS) t.true(err!.message.includes(v));
  t.throws(() => buildWeightModel(priors, 'Full'), { instanceOf: OptionError });
  t.throws(() => buildWeightModel(priors, 'full', { wBase: Number.NaN }), { instanceOf: OptionError });
  t.throws(() => buildWeightModel(priors, 'full', { maxLines: 0 }), { instanceOf: OptionError });
  t.deepEqual([...VARIANTS].sort(), ['baseline', 'full', 'no-rarity', 'no-semantic', 'random', 'reading', 'scale-matched', 'shuffled', 'writing']);
});

test('baseline: every weight 1, no path', (t) => {
  const d = draw('baseline');
  t.is(d.code.path, null);
  t.true(d.weights.every((w) => w === 1));
  t.true(d.onPath.every((m) => m === 0));
});

test('full: formula on the path, 1 elsewhere; model weights are the projection', (t) => {
  const d = draw('full');
  const path = d.code.path!;
  t.true(path.nPicked > 20);
  for (let j = 0; j < tokens.length; j++) {
    const expected = path.onPath[j] ? 1 + rarityOf(d, j) + E('combined', tokens[j].label!) : 1;
    t.true(close(d.code.weights[j], expected));
  }
  for (let i = 0; i < prepared.nModel; i++) {
    const o = prepared.owner[i];
    t.is(d.weights[i], o >= 0 ? d.code.weights[o] : 1);
    t.is(d.onPath[i], o >= 0 ? d.code.onPath[o] : 0);
  }
  const d3 = draw('full', 7, { wBase: 3 });
  for (let j = 0; j < tokens.length; j++) t.true(close(d3.code.weights[j], path.onPath[j] ? d.code.weights[j] + 2 : 1));
});

test('random: the same path as full, weights ~ U(1,5) on it', (t) => {
  const full = draw('full');
  const rnd = draw('random');
  t.deepEqual([...rnd.code.onPath], [...full.code.onPath]);
  let sum = 0;
  let k = 0;
  for (let j = 0; j < tokens.length; j++) {
    const w = rnd.code.weights[j];
    if (rnd.code.onPath[j]) {
      t.true(w >= 1 && w < 5);
      sum += w;
      k++;
    } else t.is(w, 1);
  }
  t.notDeepEqual([...rnd.code.weights], [...full.code.weights]);
  // the mean over many draws approaches 3
  let total = 0;
  let count = 0;
  const model = buildWeightModel(priors, 'random');
  for (let s = 0; s < 300; s++) {
    const d = drawCodeWeights(prepared, model, new Rng(s));
    d.weights.forEach((w, j) => {
      if (d.onPath[j]) {
        total += w;
        count++;
      }
    });
  }
  t.true(Math.abs(total / count - 3) < 0.05, `${total / count}`);
  t.true(k > 0 && sum > 0);
});

test('no-semantic drops E[θ]; no-rarity drops the rarity term and groups monograms only', (t) => {
  const full = draw('full');
  const ns = draw('no-semantic');
  const nr = draw('no-rarity');
  t.deepEqual([...ns.code.onPath], [...full.code.onPath]);
  t.deepEqual([...nr.code.onPath], [...full.code.onPath]);
  for (let j = 0; j < tokens.length; j++) {
    if (!full.code.onPath[j]) continue;
    t.true(close(ns.code.weights[j], full.code.weights[j] - E('combined', tokens[j].label!)));
    t.true(close(nr.code.weights[j], 1 + E('combined', tokens[j].label!)));
  }
  const p = nr.code.path!;
  t.is(p.nGroups, p.nPicked);
  t.true(Array.from(p.groupSize).every((s) => s === 1));
  t.true(Array.from(full.code.path!.groupSize).some((s) => s > 1)); // full does form n-grams here
});

test('scale-matched: every weighted token gets the mean of full over the snippet; totals match', (t) => {
  const full = draw('full');
  const sm = draw('scale-matched');
  t.deepEqual([...sm.code.onPath], [...full.code.onPath]);
  let sumFull = 0;
  let owned = 0;
  for (let i = 0; i < prepared.nModel; i++) if (prepared.owner[i] >= 0) { sumFull += full.weights[i]; owned++; }
  const mean = sumFull / owned;
  t.true(mean > 1);
  let sumSm = 0;
  for (let i = 0; i < prepared.nModel; i++) {
    if (prepared.owner[i] >= 0) {
      t.true(close(sm.weights[i], mean));
      sumSm += sm.weights[i];
    } else t.is(sm.weights[i], 1);
  }
  t.true(Math.abs(sumSm - sumFull) < 1e-3);
  // without a tokenizer: the mean over the code tokens
  const fullCode = drawCodeWeights(prepared, buildWeightModel(priors, 'full'), new Rng(7));
  const smCode = drawCodeWeights(prepared, buildWeightModel(priors, 'scale-matched'), new Rng(7));
  const codeMean = fullCode.weights.reduce((s, w) => s + w, 0) / tokens.length;
  t.true(smCode.weights.every((w) => close(w, codeMean)));
});

test('shuffled: E[θ] permuted across labels, fixed by the seed, used for picks and weights', (t) => {
  const model = buildWeightModel(priors, 'shuffled', { shuffleSeed: 1 });
  const full = buildWeightModel(priors, 'full');
  const ids = Array.from(full.tables!.hasPrior.keys()).filter((id) => full.tables!.hasPrior[id]);
  const orig = ids.map((id) => full.tables!.salience[id]);
  const perm = ids.map((id) => model.tables!.salience[id]);
  t.deepEqual([...perm].sort(), [...orig].sort()); // a permutation of the same values
  t.notDeepEqual(perm, orig);
  t.deepEqual(ids.map((id) => buildWeightModel(priors, 'shuffled', { shuffleSeed: 1 }).tables!.salience[id]), perm);
  t.notDeepEqual(ids.map((id) => buildWeightModel(priors, 'shuffled', { shuffleSeed: 2 }).tables!.salience[id]), perm);
  const d = drawWeights(prepared, model, new Rng(7));
  for (let j = 0; j < tokens.length; j++) {
    if (!d.code.onPath[j]) continue;
    t.true(close(d.code.weights[j], 1 + rarityOf(d, j) + model.tables!.salience[prepared.labelIds[j]]));
  }
});

test('reading / writing: the priors of that mode for the path and the weights', (t) => {
  for (const mode of ['reading', 'writing'] as const) {
    const d = draw(mode);
    const model = buildWeightModel(priors, mode);
    t.is(model.tables!.mode, mode);
    const agg = priors.modes[mode]!;
    t.is(model.tables!.aggAlpha, Object.values(agg.labels).reduce((s, p) => s + p!.alpha, 0));
    for (let j = 0; j < tokens.length; j++) {
      if (!d.code.onPath[j]) continue;
      t.true(close(d.code.weights[j], 1 + rarityOf(d, j) + E(mode, tokens[j].label!)));
    }
  }
  t.notDeepEqual([...draw('reading').code.weights], [...draw('writing').code.weights]);
});

test('drawModelWeights (hot path) gives exactly what drawWeights gives, for every variant', (t) => {
  for (const v of VARIANTS) {
    const model = buildWeightModel(priors, v, { shuffleSeed: 3 });
    for (const seed of [1, 2, 3]) {
      const a = drawWeights(prepared, model, new Rng(seed));
      const b = drawModelWeights(prepared, model, new Rng(seed));
      t.deepEqual([...b.weights], [...a.weights], v);
      t.deepEqual([...b.onPath], [...a.onPath], v);
      const out = { weights: new Float32Array(prepared.nModel + 5), onPath: new Uint8Array(prepared.nModel + 5) };
      drawModelWeights(prepared, model, new Rng(seed), out);
      t.deepEqual([...out.weights.subarray(0, prepared.nModel)], [...a.weights], v);
    }
  }
});

test('exampleRng: dynamic paths change per epoch, static paths do not', (t) => {
  const model = buildWeightModel(priors, 'full');
  const path = (epoch: number, schedule: 'dynamic' | 'static') => [...drawModelWeights(prepared, model, exampleRng(9, 4, epoch, schedule)).onPath].join('');
  t.is(path(0, 'static'), path(5, 'static'));
  t.not(path(0, 'dynamic'), path(1, 'dynamic'));
  t.is(path(2, 'dynamic'), path(2, 'dynamic'));
  t.not(path(0, 'static'), [...drawModelWeights(prepared, model, exampleRng(9, 5, 0, 'static')).onPath].join(''));
});
