import test from 'ava';
import { alignAoisToCode, displayUnits, lcsPairs, synthesiseAoiText, type Aoi, type LabelledToken } from '../../src/gaze/index.ts';
import type { LabelName } from '../../src/code/labels.ts';
import { labelId } from '../../src/code/labels.ts';

const PUNCT = new Set(['(', ')', '{', '}', ';', ',', '.', '[', ']']);
function tok(text: string, line: number, label: LabelName | null): LabelledToken {
  return { text, line, label, labelId: label ? labelId(label) : 0, punct: PUNCT.has(text) };
}
function boxes(lines: Array<Array<string | null>>): Aoi[] {
  const out: Aoi[] = [];
  lines.forEach((texts, li) =>
    texts.forEach((text, pi) => out.push({ id: out.length, x: 100 * pi, y: 40 * li, width: 80, height: 20, text, line: li + 1, part: pi + 1, name: `line ${li + 1} part ${pi + 1}`, image: null })),
  );
  return out;
}

// `return this.x2 - this.x1 ; }` as the labeller would split it (with deliberately distinct labels
// on `this` and `x2` to pin the label rule), then `rect1 = 0 ;`.
const EXT = 'externally defined variable or function';
const code: LabelledToken[] = [
  tok('return', 1, 'return'), tok('this', 1, EXT), tok('.', 1, EXT), tok('x2', 1, 'variable'), tok('-', 1, 'return'),
  tok('this', 1, EXT), tok('.', 1, EXT), tok('x1', 1, 'variable'), tok(';', 1, 'return'), tok('}', 1, null),
  tok('rect1', 3, 'assignment'), tok('=', 3, 'assignment'), tok('0', 3, 'literal'), tok(';', 3, null),
];

test('boxes that merge dotted names, a box split of one token, a box with no code, a token with no box', (t) => {
  // line 1: EMIP-style boxes (dotted names merged; no box for `}`); line 2: `rect1` split as
  // `rect` + `1`, and a box "@@" that is not in the code.
  const aois = boxes([['return', 'this.x2', '-', 'this.x1', ';'], ['rect', '1', '=', '@@', '0', ';']]);
  const { byAoi, stats } = alignAoisToCode(aois, code);
  t.deepEqual(byAoi.map((a) => a.codeTokens), [[0], [1, 2, 3], [4], [5, 6, 7], [8], [10], [10], [11], [], [12], [13]]);
  // `this.x2`: `this` has 4 matched characters, `x2` 2 → the label of `this`.
  t.is(byAoi[1].label, EXT);
  t.is(byAoi[1].labelId, 8);
  t.is(byAoi[0].label, 'return');
  t.is(byAoi[5].label, 'assignment');
  t.is(byAoi[6].label, 'assignment');
  t.is(byAoi[8].label, null);
  t.is(byAoi[8].matchedChars, 0);
  t.is(byAoi[10].label, null); // `;` aligned, but the code token is unlabelled
  t.deepEqual(byAoi[10].codeTokens, [13]);
  t.like(stats, { aois: 11, aligned: 10, unaligned: 1, partial: 0, merged: 2, split: 1, codeTokens: 14, uncoveredCodeTokens: 1, labelled: 9, synthesised: 0 });
  t.true(stats.examples.some((e) => e.includes('"@@"')));
  t.true(stats.examples.some((e) => e.includes('code token "}"')));
});

test('label rule: non-punctuation beats punctuation, most matched characters wins, ties go to the first', (t) => {
  const c = [tok('System', 1, 'external class'), tok('.', 1, 'argument'), tok('out', 1, EXT), tok('.', 1, 'argument'), tok('println', 1, 'function call')];
  t.is(alignAoisToCode(boxes([['System.out.println']]), c).byAoi[0].label, 'function call');
  const tie = [tok('ab', 1, 'variable'), tok('.', 1, 'argument'), tok('cd', 1, 'literal')];
  t.is(alignAoisToCode(boxes([['ab.cd']]), tie).byAoi[0].label, 'variable');
  const onlyPunct = [tok('(', 1, 'argument')];
  t.is(alignAoisToCode(boxes([['(']]), onlyPunct).byAoi[0].label, 'argument');
});

test('a box whose text differs in part is aligned partly and counted', (t) => {
  const { byAoi, stats } = alignAoisToCode(boxes([['return', 'this.x9']]), code.slice(0, 4));
  // "this.x9" vs `this` `.` `x2`: t-h-i-s-.-x match, the 9 does not.
  t.deepEqual(byAoi[1].codeTokens, [1, 2, 3]);
  t.is(byAoi[1].matchedChars, 6);
  t.is(byAoi[1].totalChars, 7);
  t.is(stats.partial, 1);
  t.is(stats.aligned, 2);
  t.is(stats.uncoveredCodeTokens, 0);
});

test('lcsPairs is a longest common subsequence', (t) => {
  t.deepEqual(lcsPairs([...'abc'], [...'abc']), [[0, 0], [1, 1], [2, 2]]);
  t.deepEqual(lcsPairs([...'axbc'], [...'abyc']), [[0, 0], [2, 1], [3, 3]]);
  t.deepEqual(lcsPairs([], [...'ab']), []);
});

test('text-less boxes get text per line from the code when the counts agree (EMIP dotted-name convention)', (t) => {
  t.deepEqual(displayUnits(code.slice(0, 10)), ['return', 'this.x2', '-', 'this.x1', ';', '}']);
  const aois = boxes([[null, null, null, null, null, null], [null, null]]);
  const s = synthesiseAoiText(aois, code);
  t.deepEqual(s.text.slice(0, 6), ['return', 'this.x2', '-', 'this.x1', ';', '}']);
  t.deepEqual(s.text.slice(6), [null, null]); // code line 3 has 4 units, the display line 2 boxes
  t.is(s.synthesised, 6);
  t.deepEqual(s.failedLines, [2]);
  const { byAoi, stats } = alignAoisToCode(aois, code);
  t.is(byAoi[1].label, EXT);
  t.is(stats.unaligned, 2);
  t.deepEqual(stats.unsynthesisedLines, [2]);
});
