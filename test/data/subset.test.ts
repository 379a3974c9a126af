// Data selection and ordering: low-data subsets (subset.ts), length bucketing (bucketing.ts) and
// truncation to a maximum length (truncation.ts).
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { drawSubset, subsetIndices } from '../../src/data/subset.ts';
import { epochBatches } from '../../src/data/bucketing.ts';
import { fitExample, formatTruncationReport, newTruncationReport, planTruncation, recordTruncation } from '../../src/data/truncation.ts';
import { byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { buildPrompt } from '../../src/data/prompt.ts';
import { OptionError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { tempDir } from '../helpers/tiny-model.ts';

// --- subsets ----------------------------------------------------------------------------------

test('subset: same seed ⇒ same subset; different seeds differ; order is the pool order', (t) => {
  const pool = Array.from({ length: 1000 }, (_, i) => `ex${i}`);
  const a = drawSubset(pool, 100, 7);
  const b = drawSubset(pool, 100, 7);
  const c = drawSubset(pool, 100, 8);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
  t.is(new Set(a).size, 100);
  const idx = subsetIndices(1000, 100, 7);
  t.deepEqual(idx, [...idx].sort((x, y) => x - y));
  t.deepEqual(a, idx.map((i) => pool[i]));
});

test('subset: the documented definition (partial Fisher–Yates of Rng(seed).fork("subset")), nested in n', (t) => {
  const expected = new Rng(42).fork('subset').sampleIndices(500, 50).sort((x, y) => x - y);
  t.deepEqual(subsetIndices(500, 50, 42), expected);
  const small = new Set(subsetIndices(500, 50, 42));
  const big = new Set(subsetIndices(500, 200, 42));
  for (const i of small) t.true(big.has(i));
  t.deepEqual(subsetIndices(5, 5, 1), [0, 1, 2, 3, 4]);
  t.deepEqual(subsetIndices(5, 0, 1), []);
  t.deepEqual(subsetIndices(10, 3, 'seed-string'), subsetIndices(10, 3, 'seed-string'));
});

test('subset: n larger than the pool or not an integer is an OptionError', (t) => {
  t.throws(() => subsetIndices(10, 11, 1), { instanceOf: OptionError, message: /at most the pool size/ });
  t.throws(() => subsetIndices(10, 2.5, 1), { instanceOf: OptionError });
  t.throws(() => subsetIndices(10, -1, 1), { instanceOf: OptionError });
});

// --- bucketing --------------------------------------------------------------------------------

const lengthsOf = (n: number, seed = 3) => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => 10 + r.int(500));
};

test('bucketing: every example once per epoch; order is a pure function of (seed, epoch, lengths)', (t) => {
  const L = lengthsOf(1000);
  const e0 = epochBatches(L, { seed: 1, epoch: 0, batchSize: 16 });
  const again = epochBatches([...L], { seed: 1, epoch: 0, batchSize: 16 });
  t.deepEqual(e0.batches, again.batches);
  t.deepEqual(e0.batches.flat().sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  const e1 = epochBatches(L, { seed: 1, epoch: 1, batchSize: 16 });
  const s2 = epochBatches(L, { seed: 2, epoch: 0, batchSize: 16 });
  t.notDeepEqual(e0.batches, e1.batches);
  t.notDeepEqual(e0.batches, s2.batches);
  // Draws from other streams (e.g. a variant's weights) cannot shift the order: nothing is shared.
  new Rng(1).fork('weights').shuffle(Array.from({ length: 100 }, (_, i) => i));
  t.deepEqual(epochBatches(L, { seed: 1, epoch: 0, batchSize: 16 }).batches, e0.batches);
});

test('bucketing: batches are length-sorted within windows, cut padding, and never straddle windows', (t) => {
  const L = lengthsOf(640);
  const sorted = epochBatches(L, { seed: 5, epoch: 0, batchSize: 8, windowBatches: 16 });
  const unsorted = epochBatches(L, { seed: 5, epoch: 0, batchSize: 8, windowBatches: 1 });
  t.true(sorted.paddingFactor < unsorted.paddingFactor, `${sorted.paddingFactor} < ${unsorted.paddingFactor}`);
  t.true(sorted.paddingFactor < 1.1);
  for (const b of sorted.batches) {
    const ls = b.map((i) => L[i]);
    const asc = ls.every((x, i) => i === 0 || ls[i - 1] <= x);
    const desc = ls.every((x, i) => i === 0 || ls[i - 1] >= x);
    t.true(asc || desc);
  }
  // reproduce the documented algorithm by hand
  const rng = new Rng(5).fork('bucketing:0');
  const perm = rng.shuffle(Array.from({ length: 640 }, (_, i) => i));
  const manual: number[][] = [];
  for (let w = 0, k = 0; w < 640; w += 128, k++) {
    const win = perm.slice(w, w + 128).map((idx, pos) => ({ idx, pos }));
    win.sort((a, b) => (k % 2 === 0 ? 1 : -1) * (L[a.idx] - L[b.idx]) || a.pos - b.pos);
    for (let b = 0; b < win.length; b += 8) manual.push(win.slice(b, b + 8).map((x) => x.idx));
  }
  rng.shuffle(manual);
  t.deepEqual(sorted.batches, manual);
});

test('bucketing: the last short batch is kept by default and dropped (and counted) with dropLast', (t) => {
  const L = lengthsOf(37);
  const keep = epochBatches(L, { seed: 9, epoch: 0, batchSize: 8, windowBatches: 1000 });
  t.deepEqual(keep.batches.map((b) => b.length).sort(), [5, 8, 8, 8, 8]);
  t.is(keep.dropped, 0);
  const drop = epochBatches(L, { seed: 9, epoch: 0, batchSize: 8, windowBatches: 1000, dropLast: true });
  t.is(drop.batches.length, 4);
  t.is(drop.dropped, 5);
  t.deepEqual(epochBatches([], { seed: 1, epoch: 0, batchSize: 4 }).batches, []);
  t.throws(() => epochBatches(L, { seed: 1, epoch: 0, batchSize: 0 }), { instanceOf: OptionError });
  t.throws(() => epochBatches([1, -2], { seed: 1, epoch: 0, batchSize: 1 }), { instanceOf: OptionError });
});

// --- truncation -------------------------------------------------------------------------------

test('truncation plan: keep if prompt + target + 2 fits; else cut code; drop if template + target + 2 does not fit', (t) => {
  // template 20, code 30, target 10 → total 62
  const c = { promptTokens: 50, codeTokens: 30, targetTokens: 10 };
  t.deepEqual(planTruncation(c, 62), { action: 'keep', codeTokens: 30 });
  t.deepEqual(planTruncation(c, 61), { action: 'truncate', codeTokens: 29, cut: 1 });
  t.deepEqual(planTruncation(c, 40), { action: 'truncate', codeTokens: 8, cut: 22 });
  t.deepEqual(planTruncation(c, 32), { action: 'truncate', codeTokens: 0, cut: 30 });
  t.deepEqual(planTruncation(c, 31), { action: 'drop', needed: 32 });
  t.throws(() => planTruncation({ promptTokens: 5, codeTokens: 6, targetTokens: 1 }, 100), { instanceOf: OptionError });
  const r = newTruncationReport(40);
  for (const [i, max] of [62, 61, 40, 31, 20].entries()) recordTruncation(r, planTruncation(c, max), `ex${i}`);
  t.like(r, { kept: 3, truncatedInputs: 2, droppedTooLong: 2, codeTokensCut: 23, droppedIds: ['ex3', 'ex4'] });
  t.regex(formatTruncationReport(r), /5 examples → kept 3, input code truncated in 2 \(40\.0%, 23 code tokens cut\), dropped 2 as too long/);
});

function byteTok(): Tokenizer {
  const f = join(tempDir(), 'tokenizer.json');
  writeFileSync(f, JSON.stringify(byteTokenizerJson()));
  return Tokenizer.fromFile(f);
}

test('fitExample cuts the input code from the end, never the target, and the result fits', async (t) => {
  const tok = byteTok();
  const code = 'int f(int x) { return x * 2; } // é';
  const target = 'int F(int x) { return x * 2; }';
  const template = Buffer.byteLength(buildPrompt('translation', ''));
  const full = Buffer.byteLength(buildPrompt('translation', code)) + Buffer.byteLength(target) + 2;
  const r = newTruncationReport(full);
  const kept = await fitExample(tok, 'translation', code, target, full, r, 'a');
  t.like(kept, { code, target, truncated: false, codeTokensCut: 0 });
  const max = template + Buffer.byteLength(target) + 2 + 10;
  const cut = await fitExample(tok, 'translation', code, target, max, r, 'b');
  t.truthy(cut);
  t.is(cut!.code, code.slice(0, 10));
  t.is(cut!.target, target);
  t.is(cut!.prompt, buildPrompt('translation', code.slice(0, 10)));
  t.true(cut!.promptTokens + cut!.targetTokens + 2 <= max);
  // a cut inside the 2-byte "é" keeps whole code points only
  const max2 = full - 1;
  const cut2 = await fitExample(tok, 'translation', code, target, max2, r, 'c');
  t.is(cut2!.code, code.slice(0, -1));
  t.true(cut2!.promptTokens + cut2!.targetTokens + 2 <= max2);
  const dropped = await fitExample(tok, 'translation', code, target, template + Buffer.byteLength(target) + 1, r, 'd');
  t.is(dropped, null);
  t.like(r, { kept: 3, truncatedInputs: 2, droppedTooLong: 1, droppedIds: ['d'] });
});

test('fitExample re-encodes after the cut so that sub-word merges across it cannot overflow', async (t) => {
  // A real BPE tokenizer: "}\n\n###" may merge differently once the code is cut.
  const { trainTokenizer, saveTrainedTokenizer } = await import('../../src/tokenizer/index.ts');
  const f = join(tempDir(), 'c.txt');
  writeFileSync(f, Array.from({ length: 30 }, (_, i) => buildPrompt('translation', `int f${i}() { return ${i}; }`).replace(/\n/g, ' ')).join('\n'));
  const tr = await trainTokenizer([f], { vocabSize: 400 });
  const out = join(tempDir(), 'tokenizer.json');
  saveTrainedTokenizer(tr, out);
  const tok = Tokenizer.fromFile(out);
  const code = 'public int getValue() { return value; } public void setValue(int v) { value = v; }';
  const target = 'public int GetValue() { return value; }';
  for (let max = 20; max < 200; max += 7) {
    const r = newTruncationReport(max);
    const fit = await fitExample(tok, 'translation', code, target, max, r);
    if (fit) {
      const p = (await tok.encode(fit.prompt, null, { addSpecialTokens: false })).getIds().length;
      const tt = (await tok.encode(fit.target, null, { addSpecialTokens: false })).getIds().length;
      t.true(p + tt + 2 <= max, `max ${max}`);
      t.is(fit.target, target);
      t.true(code.startsWith(fit.code));
    } else t.is(r.droppedTooLong, 1);
    t.is(r.kept + r.droppedTooLong, 1);
  }
});
