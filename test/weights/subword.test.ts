import test from 'ava';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { LABELS, labelId } from '../../src/code/labels.ts';
import { defaultPriorsPath, loadPriors } from '../../src/priors/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { alignSubwords, buildWeightModel, drawWeights, flattenOffsets, prepareExample, projectWeights } from '../../src/weights/index.ts';
import type { HandToken } from './_helpers.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tokenizerFile = join(repo, 'node_modules', '@lenml', 'tokenizer-llama3', 'models', 'tokenizer.json');

test('alignment: most overlap wins, ties go to the earlier code token, no overlap → none', (t) => {
  // code tokens [0,3) [3,5) [7,10)
  const cs = Int32Array.from([0, 3, 7]);
  const ce = Int32Array.from([3, 5, 10]);
  const owner = alignSubwords(cs, ce, flattenOffsets([[0, 2], [2, 4], [1, 5], [5, 7], [4, 8], [6, 9], [9, 12], [12, 14], [8, 8]]));
  // [2,4): 1 with each of 0 and 1 → earlier (0); [1,5): 2 with 0, 2 with 1 → 0; [5,7): none;
  // [4,8): 1 with 1, 1 with 2 → 1; [6,9): 2 with 2; [9,12): 1 with 2; [12,14): none; empty span: none
  t.deepEqual([...owner], [0, 0, 0, -1, 1, 2, 2, -1, -1]);
  t.deepEqual([...projectWeights(owner, Float32Array.from([2, 3, 4]))], [2, 2, 2, 1, 3, 4, 4, 1, 1]);
  // model offsets out of order are still aligned correctly
  const back = alignSubwords(cs, ce, flattenOffsets([[7, 10], [0, 3], [3, 5]]));
  t.deepEqual([...back], [2, 0, 1]);
  // overlapping code tokens cannot be aligned: an error, not a silent guess
  t.throws(() => alignSubwords(Int32Array.from([0, 2]), Int32Array.from([3, 5]), new Int32Array(0)), { instanceOf: InputError });
});

/** A small lexer in code points: identifiers, numbers, strings, comments, operators, punctuation. */
function lex(code: string): HandToken[] {
  const cps = Array.from(code);
  const text = cps.join('');
  const re = /\/\/[^\n]*|"(?:[^"\\]|\\.)*"|[\p{L}_$][\p{L}\p{N}_$]*|\d+|[(){};,.\[\]]|[+\-*/=<>!&|]+|\S/gu;
  const out: HandToken[] = [];
  let m: RegExpExecArray | null;
  let i = 0;
  while ((m = re.exec(text))) {
    const startCp = Array.from(text.slice(0, m.index)).length;
    const len = Array.from(m[0]).length;
    const line = text.slice(0, m.index).split('\n').length;
    const punct = /^[(){};,.\[\]]$/.test(m[0]);
    const label = LABELS[(i * 5) % LABELS.length];
    out.push({ text: m[0], startCp, endCp: startCp + len, line, punct, label, labelId: labelId(label) });
    i++;
  }
  return out;
}

const JAVA = [
  'public String grüße(int café, String s) {',
  '    String t = "日本語 héllo 😀 wörld"; // ünïcödé 🚀 comment',
  '    for (int i = 0; i < café; i++) { t = t + s.charAt(i) + "€"; }',
  '    return t + "𝔘𝔫𝔦" + naïve(s);',
  '}',
].join('\n');

test('projection on the real llama3 tokenizer covers every character of every code token (incl. non-ASCII)', async (t) => {
  if (!existsSync(tokenizerFile)) {
    t.fail(`llama3 tokenizer.json missing at ${tokenizerFile}`);
    return;
  }
  const tok = Tokenizer.fromFile(tokenizerFile);
  const enc = await tok.encode(JAVA, null, { addSpecialTokens: false });
  const offsets = enc.getOffsets();
  const tokens = lex(JAVA);
  const cps = Array.from(JAVA);
  t.true(JAVA.length > cps.length, 'the sample has astral characters (UTF-16 ≠ code points)');
  const prepared = prepareExample(tokens, offsets);
  const d = drawWeights(prepared, buildWeightModel(loadPriors(defaultPriorsPath()), 'full'), new Rng(1));
  const overlap = (i: number, j: number) => Math.max(0, Math.min(offsets[i][1], tokens[j].endCp) - Math.max(offsets[i][0], tokens[j].startCp));

  // 1. every model token's owner is the code token it overlaps most (earliest on ties), else none
  for (let i = 0; i < offsets.length; i++) {
    let best = -1;
    let bestOv = 0;
    tokens.forEach((_, j) => {
      if (overlap(i, j) > bestOv) {
        bestOv = overlap(i, j);
        best = j;
      }
    });
    t.is(prepared.owner[i], best, `model token ${i} ${JSON.stringify(cps.slice(offsets[i][0], offsets[i][1]).join(''))}`);
    t.is(d.weights[i], best >= 0 ? d.code.weights[best] : 1);
  }
  // 2. every character of every code token lies in a model token carrying that code token's
  //    weight, or the weight of the code token that model token overlaps most
  let checked = 0;
  tokens.forEach((ct, j) => {
    for (let c = ct.startCp; c < ct.endCp; c++) {
      const covering = offsets.map((o, i) => [o, i] as const).filter(([o]) => o[0] <= c && c < o[1]);
      t.true(covering.length > 0, `char ${c} of ${JSON.stringify(ct.text)} is in no model token`);
      for (const [, i] of covering) {
        const o = prepared.owner[i];
        t.true(o === j || overlap(i, o) > overlap(i, j) || (overlap(i, o) === overlap(i, j) && o < j));
        t.is(d.weights[i], d.code.weights[o]);
        checked++;
      }
    }
  });
  t.true(checked >= cps.filter((c) => !/\s/.test(c)).length);
  // 3. code points, not UTF-16: the model tokens inside the literal after the emoji are owned by it,
  //    and the identifier after the astral 𝔘𝔫𝔦 literal lines up exactly
  const lit = tokens.findIndex((x) => x.text.startsWith('"日本語'));
  const inside = offsets.map((o, i) => [o, i] as const).filter(([o]) => o[0] >= tokens[lit].startCp + 1 && o[1] <= tokens[lit].endCp);
  t.true(inside.length >= 4);
  for (const [, i] of inside) t.is(prepared.owner[i], lit);
  const naive = tokens.findIndex((x) => x.text === 'naïve');
  const own = offsets.map((_, i) => i).filter((i) => prepared.owner[i] === naive);
  t.true(own.length > 0);
  t.is(own.map((i) => cps.slice(offsets[i][0], offsets[i][1]).join('')).join('').trim(), 'naïve');
});
