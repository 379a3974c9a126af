/**
 * CodeBLEU (Ren et al. 2020, arXiv:2009.10297) as CodeXGLUE's `evaluator/CodeBLEU/calc_code_bleu.py`
 * computes it, corpus-level, α = β = γ = δ = 0.25:
 *
 *   CodeBLEU = 0.25·BLEU + 0.25·BLEU_weighted + 0.25·Match_ast + 0.25·Match_df
 *
 *  - BLEU: CodeBLEU's `bleu.corpus_bleu` = NLTK corpus_bleu on `x.split()` tokens, smoothing
 *    method1 (ε = 0.1 for orders with no match; CodeBLEU's default), 0 if no unigram matches.
 *  - BLEU_weighted (`weighted_ngram_match.py`): same corpus formula, but n-gram RECALL
 *    (clipped counts over reference n-grams, denominator max(1, #ref n-grams)); for unigrams
 *    each reference token counts with weight 1 if it is a language keyword else 0.2
 *    (codebleu-keywords.ts); orders 2..4 unweighted; same BP and method1 smoothing.
 *  - Match_ast (`syntax_match.py`): comments removed, both sides parsed with tree-sitter; every
 *    subtree rooted at the root or at a node with children is written as its S-expression
 *    (named node types and field names, tree-sitter's `ts_node_string`); score = #reference
 *    subtrees whose S-expression occurs among the candidate's / #reference subtrees (corpus sums).
 *  - Match_df (`dataflow_match.py`): data-flow edges (dataflow.ts) with variables renamed in
 *    order of appearance; reference edges matched one-to-one against candidate edges; corpus
 *    matched / corpus total.
 *
 * When the reference side has no data-flow edge at all, the reference implementation prints a
 * warning and uses Match_df = 0 (so identical code scores 75). Here `emptyDataflow` chooses:
 * 'renormalize' (default) drops the term and weighs the other three 1/3 each; 'zero' reproduces
 * the reference. Scores are returned ×100.
 *
 * Everything is corpus-level; `codebleuStats` gives per-example sufficient statistics
 * (24 numbers) so the paired bootstrap can resample examples and rescore.
 */
import type { Node } from 'web-tree-sitter';
import { nltkBleuFromStats, nltkBleuStats, nltkBrevityPenalty } from './bleu.ts';
import { CSHARP_KEYWORDS, JAVA_KEYWORDS } from './codebleu-keywords.ts';
import { extractDataflow, normalizeDataflow } from './dataflow.ts';
import { checkLengths } from './exact.ts';
import { withTree, type CodeLang } from './parsers.ts';
import { ngramCounts, stripComments, whitespaceTokens } from './tokenize.ts';

export type { CodeLang } from './parsers.ts';

export interface CodeBleuOptions {
  emptyDataflow?: 'renormalize' | 'zero';
  /** Component weights (α, β, γ, δ); default 0.25 each. */
  weights?: [number, number, number, number];
}

const KEYWORDS: Record<CodeLang, ReadonlySet<string>> = {
  java: new Set(JAVA_KEYWORDS),
  c_sharp: new Set(CSHARP_KEYWORDS),
};

/** Per example: [num_1..4, den_1..4, hypLen, closestRefLen] of `weighted_ngram_match.corpus_bleu`. */
export function weightedNgramStats(hyp: readonly string[], ref: readonly string[], keywords: ReadonlySet<string>): number[] {
  const stats = new Array<number>(10).fill(0);
  for (let n = 1; n <= 4; n++) {
    const counts = ngramCounts(hyp, n);
    const refCounts = ngramCounts(ref, n);
    let num = 0;
    let den = 0;
    for (const [g, c] of refCounts) {
      const clipped = Math.min(c, counts.get(g) ?? 0);
      // unigram keys are the token itself; weight 1 for keywords, 0.2 otherwise
      const w = n === 1 ? (keywords.has(g) ? 1 : 0.2) : 1;
      num += clipped * w;
      den += c * w;
    }
    stats[n - 1] = num;
    stats[3 + n] = Math.max(1, den);
  }
  stats[8] = hyp.length;
  stats[9] = ref.length; // one reference: the closest is it
  return stats;
}

/** `weighted_ngram_match.corpus_bleu` from summed stats, 0–1. */
export function weightedNgramFromStats(sum: readonly number[]): number {
  if (sum[0] === 0) return 0;
  const bp = nltkBrevityPenalty(sum[9], sum[8]);
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const num = sum[i];
    const den = sum[4 + i];
    s += 0.25 * Math.log(num === 0 ? 0.1 / den : num / den);
  }
  return bp * Math.exp(s);
}

/** `get_all_sub_trees`: S-expressions of the root and of every node that has children. */
export function subtreeSexps(root: Node): string[] {
  const out: string[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    out.push(cur.toString());
    for (const c of cur.children) if (c.childCount !== 0) stack.push(c);
  }
  return out;
}

/** [matched reference subtrees, reference subtrees] for one pair. */
export async function syntaxMatchStats(candidate: string, reference: string, lang: CodeLang): Promise<[number, number]> {
  const cand = new Set(await withTree(lang, stripComments(candidate), (t) => subtreeSexps(t.rootNode)));
  const ref = await withTree(lang, stripComments(reference), (t) => subtreeSexps(t.rootNode));
  let match = 0;
  for (const s of ref) if (cand.has(s)) match++;
  return [match, ref.length];
}

/** [matched reference data-flow edges, reference edges] for one pair. */
export async function dataflowMatchStats(candidate: string, reference: string, lang: CodeLang): Promise<[number, number]> {
  const cand = await withTree(lang, stripComments(candidate), (t) => normalizeDataflow(extractDataflow(t.rootNode, lang)));
  const ref = await withTree(lang, stripComments(reference), (t) => normalizeDataflow(extractDataflow(t.rootNode, lang)));
  const pool = new Map<string, number>();
  for (const e of cand) pool.set(e, (pool.get(e) ?? 0) + 1);
  let match = 0;
  for (const e of ref) {
    const left = pool.get(e) ?? 0;
    if (left > 0) {
      match++;
      pool.set(e, left - 1);
    }
  }
  return [match, ref.length];
}

/** Per-example statistics: [bleu(10), weighted(10), ast match, ast total, df match, df total]. */
export async function codebleuStats(prediction: string, reference: string, lang: CodeLang): Promise<number[]> {
  const hyp = whitespaceTokens(prediction);
  const ref = whitespaceTokens(reference);
  const bleu = nltkBleuStats(hyp, [ref]);
  const weighted = weightedNgramStats(hyp, ref, KEYWORDS[lang]);
  const ast = await syntaxMatchStats(prediction, reference, lang);
  const df = await dataflowMatchStats(prediction, reference, lang);
  return [...bleu, ...weighted, ...ast, ...df];
}

export interface CodeBleuScore {
  codebleu: number;
  ngram: number;
  weightedNgram: number;
  syntax: number;
  /** null when the references hold no data-flow edge. */
  dataflow: number | null;
}

/** CodeBLEU (all parts 0–100) from summed `codebleuStats`. */
export function codebleuFromStats(sum: readonly number[], opts: CodeBleuOptions = {}): CodeBleuScore {
  const [a, b, g, d] = opts.weights ?? [0.25, 0.25, 0.25, 0.25];
  const ngram = nltkBleuFromStats(sum.slice(0, 10), 'method1');
  const weightedNgram = weightedNgramFromStats(sum.slice(10, 20));
  const syntax = sum[21] > 0 ? sum[20] / sum[21] : 0;
  const dataflow = sum[23] > 0 ? sum[22] / sum[23] : null;
  let score: number;
  if (dataflow !== null) score = a * ngram + b * weightedNgram + g * syntax + d * dataflow;
  else if ((opts.emptyDataflow ?? 'renormalize') === 'zero') score = a * ngram + b * weightedNgram + g * syntax;
  else score = (a * ngram + b * weightedNgram + g * syntax) / (a + b + g);
  return {
    codebleu: 100 * score,
    ngram: 100 * ngram,
    weightedNgram: 100 * weightedNgram,
    syntax: 100 * syntax,
    dataflow: dataflow === null ? null : 100 * dataflow,
  };
}

/** Corpus CodeBLEU of predictions against one reference each. */
export async function codebleu(
  predictions: readonly string[],
  references: readonly string[],
  lang: CodeLang,
  opts: CodeBleuOptions = {},
): Promise<CodeBleuScore & { stats: number[][] }> {
  checkLengths(predictions, references);
  const stats: number[][] = [];
  for (let i = 0; i < predictions.length; i++) stats.push(await codebleuStats(predictions[i], references[i], lang));
  const sum = new Array<number>(24).fill(0);
  for (const st of stats) for (let k = 0; k < 24; k++) sum[k] += st[k];
  return { ...codebleuFromStats(sum, opts), stats };
}
