/**
 * Aligns the token boxes of a stimulus (AOI text, in reading order) with the labelled tokens of
 * the program shown on it (the code labeller's CodeToken[]), so each box gets a semantic label.
 *
 * The two tokenisations differ: EMIP boxes merge dotted names (`this.x1`, `System.out.println`)
 * that the labeller splits into `this` `.` `x1`; a box may also split a token, or one side may hold
 * text the other lacks (a comment without boxes, a stimulus that differs from the program file).
 * So the alignment is on characters: both sides become streams of non-whitespace characters,
 * each tagged with its box / its code token, and a longest-common-subsequence alignment pairs the
 * characters (identical streams — the usual case — take a linear fast path). A box is aligned
 * to every code token it shares a matched character with. Its label is that of its constituent
 * non-punctuation token with the most matched characters (ties: the first), else of a punctuation
 * token, else null: `System.out.println` takes `println`'s label, `this.x1` takes `this`'s.
 * Everything that does not line up is counted (AlignmentStats), never dropped silently.
 *
 * Boxes without text (EMIP files without a token column) get text synthesised per line first:
 * see `synthesiseAoiText`.
 */
import type { LabelName } from '../code/labels.ts';
import { readingOrder } from './aois.ts';
import type { Aoi } from './types.ts';

/** What alignment needs of a code token: the code labeller's CodeToken is one. */
export interface LabelledToken {
  text: string;
  /** 1-based source line. */
  line: number;
  label: LabelName | null;
  labelId: number;
  punct: boolean;
}

export interface AoiAlignment {
  aoiId: number;
  /** Text used for the box (its own, or synthesised from the code; null when neither exists). */
  text: string | null;
  /** Indices into the code tokens, in order. */
  codeTokens: number[];
  label: LabelName | null;
  labelId: number;
  /** Characters of the box text paired with code characters / all its non-whitespace characters. */
  matchedChars: number;
  totalChars: number;
}

export interface AlignmentStats {
  aois: number;
  /** Boxes with at least one matched character. */
  aligned: number;
  /** Boxes with no matched character (their label is null). */
  unaligned: number;
  /** Aligned boxes with some characters left unmatched. */
  partial: number;
  /** Boxes covering more than one code token (e.g. `this.x1`). */
  merged: number;
  /** Code tokens spread over more than one box. */
  split: number;
  codeTokens: number;
  /** Code tokens (with visible text) no box covers. */
  uncoveredCodeTokens: number;
  /** Boxes whose text was synthesised from the code (text-less AOI files). */
  synthesised: number;
  /** Display lines whose boxes could not be given text (box count ≠ code unit count). */
  unsynthesisedLines: number[];
  /** Boxes that ended up with a label. */
  labelled: number;
  /** Up to 20 examples of unaligned boxes and uncovered code tokens, for the report. */
  examples: string[];
}

export interface Alignment {
  /** Indexed by AOI id. */
  byAoi: AoiAlignment[];
  stats: AlignmentStats;
}

const isSpace = (c: string) => /\s/.test(c);

interface CharStream {
  chars: string[];
  owner: number[];
}

function stream(texts: readonly (string | null)[]): CharStream {
  const chars: string[] = [];
  const owner: number[] = [];
  texts.forEach((t, i) => {
    if (t === null) return;
    for (const c of t) {
      if (isSpace(c)) continue;
      chars.push(c);
      owner.push(i);
    }
  });
  return { chars, owner };
}

/** Pairs of indices (a, b) of a longest common subsequence of a and b (matches preferred early). */
export function lcsPairs(a: readonly string[], b: readonly string[]): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  if (n === m && a.every((c, i) => c === b[i])) return a.map((_, i) => [i, i]);
  // Suffix lengths table: L[i][j] = LCS of a[i..], b[j..]; traced forwards so early matches win.
  const w = m + 1;
  const L = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * w + j] = a[i] === b[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
    }
  }
  const pairs: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j] && L[i * w + j] === L[(i + 1) * w + j + 1] + 1) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) i++;
    else j++;
  }
  return pairs;
}

/**
 * Display units of one code line in EMIP's box convention: a dotted name (`a.b.c`, `this.x1`) is
 * one unit, every other token its own unit.
 */
export function displayUnits(tokens: readonly LabelledToken[]): string[] {
  const units: string[] = [];
  let k = 0;
  while (k < tokens.length) {
    let text = tokens[k].text;
    let e = k;
    while (!tokens[e].punct && tokens[e + 1]?.text === '.' && tokens[e + 2] && !tokens[e + 2].punct) {
      text += '.' + tokens[e + 2].text;
      e += 2;
    }
    units.push(text);
    k = e + 1;
  }
  return units;
}

/**
 * Gives text-less boxes text from the code: the k-th display line's boxes take the display units of
 * the k-th non-blank code line, one by one, when the counts agree; other lines stay text-less
 * (reported in `unsynthesisedLines`). Returns the text per AOI id.
 */
export function synthesiseAoiText(aois: readonly Aoi[], code: readonly LabelledToken[]): { text: (string | null)[]; synthesised: number; failedLines: number[] } {
  const text: (string | null)[] = aois.map((a) => a.text);
  const byLine = new Map<number, Aoi[]>();
  for (const a of readingOrder(aois)) if (a.text === null) byLine.set(a.line, [...(byLine.get(a.line) ?? []), a]);
  if (byLine.size === 0) return { text, synthesised: 0, failedLines: [] };
  const codeLines = [...new Set(code.map((t) => t.line))].sort((p, q) => p - q);
  const displayLines = [...new Set(aois.map((a) => a.line))].sort((p, q) => p - q);
  let synthesised = 0;
  const failedLines: number[] = [];
  for (const [line, boxes] of byLine) {
    const k = displayLines.indexOf(line);
    const codeLine = codeLines[k];
    const units = codeLine === undefined ? [] : displayUnits(code.filter((t) => t.line === codeLine));
    if (units.length !== boxes.length) {
      failedLines.push(line);
      continue;
    }
    boxes.forEach((b, i) => {
      text[b.id] = units[i];
      synthesised++;
    });
  }
  return { text, synthesised, failedLines: failedLines.sort((p, q) => p - q) };
}

export function alignAoisToCode(aois: readonly Aoi[], code: readonly LabelledToken[]): Alignment {
  const { text, synthesised, failedLines } = synthesiseAoiText(aois, code);
  const order = readingOrder(aois);
  const boxStream = stream(order.map((a) => text[a.id]));
  const codeStream = stream(code.map((t) => t.text));
  const pairs = lcsPairs(boxStream.chars, codeStream.chars);

  // matched[orderIndex] = Map(code token index → matched chars)
  const matched = order.map(() => new Map<number, number>());
  const codeBoxes = code.map(() => new Set<number>());
  for (const [bi, ci] of pairs) {
    const box = boxStream.owner[bi];
    const tok = codeStream.owner[ci];
    matched[box].set(tok, (matched[box].get(tok) ?? 0) + 1);
    codeBoxes[tok].add(box);
  }

  const byAoi: AoiAlignment[] = new Array(aois.length);
  const examples: string[] = [];
  let aligned = 0, partial = 0, merged = 0, labelled = 0;
  order.forEach((a, k) => {
    const m = matched[k];
    const t = text[a.id];
    const totalChars = t === null ? 0 : [...t].filter((c) => !isSpace(c)).length;
    const matchedChars = [...m.values()].reduce((s, v) => s + v, 0);
    const codeTokens = [...m.keys()].sort((p, q) => p - q);
    const pick = (pool: number[]) => {
      let best = -1;
      for (const i of pool) if (best < 0 || m.get(i)! > m.get(best)!) best = i;
      return best;
    };
    const withLabel = codeTokens.filter((i) => code[i].label !== null);
    let chosen = pick(withLabel.filter((i) => !code[i].punct));
    if (chosen < 0) chosen = pick(withLabel);
    const label = chosen >= 0 ? code[chosen].label : null;
    byAoi[a.id] = { aoiId: a.id, text: t, codeTokens, label, labelId: chosen >= 0 ? code[chosen].labelId : 0, matchedChars, totalChars };
    if (matchedChars > 0) aligned++;
    else if (examples.length < 20) examples.push(`box ${a.id} "${t ?? ''}" (${a.name}) matches no code`);
    if (matchedChars > 0 && matchedChars < totalChars) partial++;
    if (codeTokens.length > 1) merged++;
    if (label !== null) labelled++;
  });
  let uncovered = 0;
  code.forEach((tok, i) => {
    if (tok.text.trim() === '' || codeBoxes[i].size > 0) return;
    uncovered++;
    if (examples.length < 20) examples.push(`code token "${tok.text}" (line ${tok.line}) has no box`);
  });
  const stats: AlignmentStats = {
    aois: aois.length,
    aligned,
    unaligned: aois.length - aligned,
    partial,
    merged,
    split: codeBoxes.filter((s) => s.size > 1).length,
    codeTokens: code.length,
    uncoveredCodeTokens: uncovered,
    synthesised,
    unsynthesisedLines: failedLines,
    labelled,
    examples,
  };
  return { byAoi, stats };
}
