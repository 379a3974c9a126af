/**
 * CrystalBLEU (Eghbali & Pradel, ASE 2022; reference code sola-st/crystalbleu): corpus BLEU-4
 * where the k most frequent n-grams (orders 1..4) of a corpus of the target language — the
 * "trivially shared" n-grams — are ignored. Following the reference implementation:
 *  - the ignored set is `Counter(all 1..4-grams).most_common(k)`, default k = 500; ties in count
 *    keep first-seen order (Python's Counter ordering: all unigrams of the corpus first, then
 *    bigrams, ...). Here n-grams are counted within each document (the README flattens the whole
 *    corpus into one token list, so it also counts n-grams spanning two documents; those are
 *    rarely frequent enough to matter);
 *  - ignored n-grams are removed from the hypothesis counts in `modified_precision` before
 *    clipping (so they leave numerator and denominator);
 *  - the rest is NLTK `corpus_bleu` with no smoothing (method0) and the usual brevity penalty on
 *    full token lengths.
 * Tokens: CodeXGLUE splitPuncts (`codeTokens`) — CrystalBLEU is defined on lexical code tokens,
 * and whitespace-split CodeXGLUE lines glue identifiers and punctuation together.
 * 0–100; per-example statistics are exposed for the paired bootstrap.
 */
import { codeTokens, ngramCounts } from './tokenize.ts';
import { nltkBleuFromStats, nltkBleuStats, type NltkSmoothing } from './bleu.ts';
import { checkLengths } from './exact.ts';

export interface CrystalOptions {
  k?: number;
  tokenize?: (s: string) => string[];
  smoothing?: NltkSmoothing;
}

/** The k most frequent 1..4-grams of `corpus` (joined-token keys as in tokenize.ts). */
export function triviallySharedNgrams(corpus: readonly string[], opts: CrystalOptions = {}): Set<string> {
  const k = opts.k ?? 500;
  const tok = opts.tokenize ?? codeTokens;
  const docs = corpus.map(tok);
  const freq = new Map<string, number>(); // insertion order = first seen, orders 1..4 in turn
  for (let n = 1; n <= 4; n++) {
    for (const d of docs) for (const [g, c] of ngramCounts(d, n)) freq.set(g, (freq.get(g) ?? 0) + c);
  }
  const entries = [...freq.entries()].map(([g, c], i) => ({ g, c, i }));
  entries.sort((a, b) => b.c - a.c || a.i - b.i);
  return new Set(entries.slice(0, k).map((e) => e.g));
}

export function crystalBleuStats(prediction: string, reference: string, ignore: ReadonlySet<string>, opts: CrystalOptions = {}): number[] {
  const tok = opts.tokenize ?? codeTokens;
  return nltkBleuStats(tok(prediction), [tok(reference)], ignore);
}

export function crystalBleuFromStats(sum: readonly number[], smoothing: NltkSmoothing = 'method0'): number {
  return 100 * nltkBleuFromStats(sum, smoothing);
}

/** Corpus CrystalBLEU (0–100) with a precomputed ignore set. */
export function crystalBleu(
  predictions: readonly string[],
  references: readonly string[],
  ignore: ReadonlySet<string>,
  opts: CrystalOptions = {},
): number {
  checkLengths(predictions, references);
  const sum = new Array<number>(10).fill(0);
  predictions.forEach((p, i) => {
    const st = crystalBleuStats(p, references[i], ignore, opts);
    for (let j = 0; j < 10; j++) sum[j] += st[j];
  });
  return crystalBleuFromStats(sum, opts.smoothing);
}
