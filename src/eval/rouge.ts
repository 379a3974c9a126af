/**
 * ROUGE-L F1 (METHOD.md §7 "ROUGE-L F1"; Lin 2004 §3.1, sentence-level LCS F-measure):
 *   P = LCS/|candidate|, R = LCS/|reference|, F = 2·P·R / (P + R)   (β = 1),
 * exactly as Google's `rouge-score` (`rouge_scorer._score_lcs` + `scoring.fmeasure`), the package
 * the paper's artifact used (with Porter stemming). 0 when either side has no token or P + R = 0.
 * `beta` (default 1) gives F_β = (1+β²)·P·R / (R + β²·P) for comparison with pycocoevalcap's
 * β = 1.2; it is not what we report.
 *
 * Tokens (per target kind, see docs/metrics.md):
 * - English (summaries): `rougeScoreTokens` = rouge-score's `tokenize.tokenize` with
 *   `use_stemmer=True`: lower-case, every run of characters other than [a-z0-9] becomes a space,
 *   split on whitespace, Porter-stem tokens longer than 3 characters with NLTK's default
 *   `PorterStemmer()` (NLTK_EXTENSIONS — rouge-score's `porter.PorterStemmer()`; porter.ts), keep
 *   the tokens matching ^[a-z0-9]+$. "a.b(c);" → a b c.
 * - Code (translation, completion targets): `codeRougeTokens` = CodeXGLUE `splitPuncts`
 *   (`codeTokens`), case kept, no stemming: rouge-score's tokenizer would drop every operator and
 *   bracket (`a + b` = `a - b`) and stem identifiers, which is wrong for code.
 * Per example in [0, 100]; the corpus value is the mean (rouge-score's scores are per pair).
 */
import { codeTokens } from './tokenize.ts';
import { checkLengths } from './exact.ts';
import { porterStem } from './porter.ts';

export type RougeTokenizer = 'rouge-score' | 'code';

export interface RougeOptions {
  /** F_β (default 1: F1, rouge-score). */
  beta?: number;
  /** 'rouge-score' (default; English, with stemming) or 'code', or a function. */
  tokenize?: RougeTokenizer | ((s: string) => string[]);
}

const NON_ALNUM = /[^a-z0-9]+/g;
const VALID = /^[a-z0-9]+$/;

/** rouge-score `tokenize.tokenize(text, nltk PorterStemmer())` (`stem` default true; false: no stemmer). */
export function rougeScoreTokens(s: string, stem = true): string[] {
  const parts = s.toLowerCase().replace(NON_ALNUM, ' ').split(/\s+/u);
  const out: string[] = [];
  for (const p of parts) {
    const t = stem && p.length > 3 ? porterStem(p) : p;
    if (VALID.test(t)) out.push(t);
  }
  return out;
}

/** Code targets: CodeXGLUE splitPuncts tokens, case kept, no stemming. */
export function codeRougeTokens(s: string): string[] {
  return codeTokens(s);
}

function tokenizerOf(t: RougeOptions['tokenize']): (s: string) => string[] {
  if (typeof t === 'function') return t;
  return t === 'code' ? codeRougeTokens : (s) => rougeScoreTokens(s);
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

/** ROUGE-L F_β (0–100) of token lists; β = 1 is rouge-score's fmeasure. */
export function rougeLTokens(candidate: readonly string[], reference: readonly string[], beta = 1): number {
  if (candidate.length === 0 || reference.length === 0) return 0;
  const lcs = lcsLength(reference, candidate);
  const p = lcs / candidate.length;
  const r = lcs / reference.length;
  if (p === 0 || r === 0) return 0;
  if (beta === 1) return 100 * ((2 * p * r) / (p + r)); // rouge-score scoring.fmeasure, × 100
  const b2 = beta * beta;
  return (100 * ((1 + b2) * p * r)) / (r + b2 * p);
}

export function rougeL(candidate: string, reference: string, opts: RougeOptions = {}): number {
  const tok = tokenizerOf(opts.tokenize);
  return rougeLTokens(tok(candidate), tok(reference), opts.beta ?? 1);
}

export function corpusRougeL(candidates: readonly string[], references: readonly string[], opts: RougeOptions = {}): { score: number; perExample: number[] } {
  checkLengths(candidates, references);
  const perExample = candidates.map((c, i) => rougeL(c, references[i], opts));
  const score = perExample.length === 0 ? 0 : perExample.reduce((s, x) => s + x, 0) / perExample.length;
  return { score, perExample };
}
