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
import { rowFor, type TrainExample } from '../../src/train/examples.ts';

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

test('scale-matched (snippet): every model token gets the mean of full over all of them; totals match', (t) => {
  const full = draw('full');
  const sm = draw('scale-matched');
  t.deepEqual([...sm.code.onPath], [...full.code.onPath]);
  t.deepEqual([...sm.onPath], [...full.onPath]);
  // METHOD.md §6: "every loss token gets the mean weight of full" — the snippet's model tokens,
  // those outside every code token (weight 1 in full) included.
  const mean = full.weights.reduce((s, w) => s + w, 0) / prepared.nModel;
  t.true(mean > 1);
  t.true(prepared.owner.some((o) => o < 0)); // the snippet has unowned model tokens (gaps)
  for (let i = 0; i < prepared.nModel; i++) t.true(close(sm.weights[i], mean), `model token ${i}`);
  t.true(Math.abs(sm.weights.reduce((s, w) => s + w, 0) - full.weights.reduce((s, w) => s + w, 0)) < 1e-3);
  // scaleMatch: false hands back full's weights (for rowFor to match over a row's loss tokens)
  const raw = drawWeights(prepared, buildWeightModel(priors, 'scale-matched'), new Rng(7), { scaleMatch: false });
  t.deepEqual([...raw.weights], [...full.weights]);
  // without a tokenizer: the mean over the code tokens
  const fullCode = drawCodeWeights(prepared, buildWeightModel(priors, 'full'), new Rng(7));
  const smCode = drawCodeWeights(prepared, buildWeightModel(priors, 'scale-matched'), new Rng(7));
  const codeMean = fullCode.weights.reduce((s, w) => s + w, 0) / tokens.length;
  t.true(smCode.weights.every((w) => close(w, codeMean)));
  t.true(sm.code.weights.every((w) => close(w, codeMean)));
});

test('scale-matched (training row): every loss token — code, unowned sub-words, EOS, input code — gets the mean of full', (t) => {
  // Row: BOS | prompt = the snippet as input code (loss on its owned tokens) | target = the snippet | EOS
  const n = prepared.nModel;
  const promptStart = 1;
  const targetStart = promptStart + n;
  const T = targetStart + n + 1;
  const lossMask = new Uint8Array(T);
  lossMask.fill(1, targetStart);
  for (let j = 0; j < n; j++) if (prepared.owner[j] >= 0) lossMask[promptStart + j] = 1;
  const e: TrainExample = {
    id: 0, key: 'ex', ids: new Int32Array(T), promptStart, targetStart,
    targetOffsets: new Int32Array(0), promptOffsets: new Int32Array(0),
    lossMask, target: prepared, input: prepared, targetText: '',
  };
  const full = rowFor(e, buildWeightModel(priors, 'full'), 3, 0, 'dynamic');
  const sm = rowFor(e, buildWeightModel(priors, 'scale-matched'), 3, 0, 'dynamic');
  let sum = 0;
  let count = 0;
  for (let p = 0; p < T; p++) if (lossMask[p]) { sum += full.weights![p]; count++; }
  const mean = sum / count;
  t.is(full.weights![T - 1], 1); // EOS: weight 1 in full
  t.true(mean > 1);
  let sumSm = 0;
  for (let p = 0; p < T; p++) {
    if (lossMask[p]) {
      t.true(close(sm.weights![p], mean), `loss position ${p}`);
      sumSm += sm.weights![p];
    } else t.is(sm.weights![p], 1, `no-loss position ${p}`);
  }
  t.true(Math.abs(sumSm - sum) < 1e-3); // same total loss weight as full
  t.deepEqual([...sm.pathMask!], [...full.pathMask!]); // the preference term sees full's path
  // the unowned target sub-words and EOS, which used to keep 1, now carry the mean
  const unowned = targetStart + Array.from(prepared.owner).findIndex((o) => o < 0);
  t.true(close(sm.weights![unowned], mean) && mean !== 1);
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
