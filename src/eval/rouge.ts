/**
 * ROUGE-L (Lin 2004, §3.1, sentence-level LCS-based F-measure):
 *   P = LCS/|candidate|, R = LCS/|reference|, F_β = (1+β²)·P·R / (R + β²·P).
 * Default β = 1.2, the value in pycocoevalcap's `rouge.py` (`self.beta = 1.2`), the ROUGE-L used
 * by most code-summarisation papers; β = 1 gives the plain F1 of Google's `rouge-score`.
 * If P or R is 0 the score is 0 (pycocoevalcap). Tokens: lower-cased `codeTokens` (CodeXGLUE
 * splitPuncts) by default, so code and English are split the same way; pass `tokenize` to change.
 * Per example in [0, 100]; the corpus value is the mean (as pycocoevalcap's `compute_score`).
 */
import { codeTokens } from './tokenize.ts';
import { checkLengths } from './exact.ts';

export interface RougeOptions {
  beta?: number;
  tokenize?: (s: string) => string[];
}

export function defaultRougeTokens(s: string): string[] {
  return codeTokens(s.toLowerCase());
}

/** Length of the longest common subsequence (O(|a|·|b|) time, O(|b|) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

export function rougeLTokens(candidate: readonly string[], reference: readonly string[], beta = 1.2): number {
  if (candidate.length === 0 || reference.length === 0) return 0;
  const lcs = lcsLength(reference, candidate);
  const p = lcs / candidate.length;
  const r = lcs / reference.length;
  if (p === 0 || r === 0) return 0;
  const b2 = beta * beta;
  return (100 * ((1 + b2) * p * r)) / (r + b2 * p);
}

export function rougeL(candidate: string, reference: string, opts: RougeOptions = {}): number {
  const tok = opts.tokenize ?? defaultRougeTokens;
  return rougeLTokens(tok(candidate), tok(reference), opts.beta ?? 1.2);
}

export function corpusRougeL(candidates: readonly string[], references: readonly string[], opts: RougeOptions = {}): { score: number; perExample: number[] } {
  checkLengths(candidates, references);
  const perExample = candidates.map((c, i) => rougeL(c, references[i], opts));
  const score = perExample.length === 0 ? 0 : perExample.reduce((s, x) => s + x, 0) / perExample.length;
  return { score, perExample };
}
