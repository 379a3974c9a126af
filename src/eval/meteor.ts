/**
 * METEOR as NLTK's `nltk.translate.meteor_score.single_meteor_score` (3.6.6+) computes it, with
 * its defaults α = 0.9, β = 3, γ = 0.5 (Banerjee & Lavie 2005; Lavie & Agarwal 2007 form):
 *   P = m/|hyp|, R = m/|ref|, Fmean = P·R / (α·P + (1−α)·R),
 *   penalty = γ·(chunks/m)^β, score = (1 − penalty)·Fmean;   0 when m = 0 or either side is empty.
 *
 * Matching stages, in NLTK's order: (1) exact (after lower-casing, NLTK's `preprocess=str.lower`),
 * (2) Porter stem with NLTK's default `PorterStemmer()` (NLTK_EXTENSIONS, porter.ts — the npm
 * `stemmer` package used before is Martin Porter's revision and differs on e.g. arrays, keys,
 * days, carefully), (3) WordNet
 * synonyms — NOT done here: no WordNet is shipped, so synonym matches are never made. This is a
 * deviation from NLTK's default and is stated wherever the score is reported.
 *
 * Alignment: NLTK's `_match_enums` procedure, reproduced exactly: hypothesis words are visited
 * from the LAST to the first; each is matched with the last (rightmost) still-unmatched reference
 * word equal to it; both are removed. Matches are then sorted by hypothesis position and chunks
 * counted as maximal runs adjacent in both strings. This greedy procedure does not search for the
 * chunk-minimising alignment of the original METEOR; it is what NLTK (and so most code papers)
 * report.
 *
 * Tokens: lower-cased CodeXGLUE splitPuncts (`codeTokens`) by default.
 * Per example in [0, 100]; the corpus value is the mean of sentence scores.
 */
import { porterStem } from './porter.ts';
import { codeTokens } from './tokenize.ts';
import { checkLengths } from './exact.ts';

export interface MeteorOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
  tokenize?: (s: string) => string[];
  /** Apply the Porter-stem stage (default true). */
  stem?: boolean;
}

type Enum = [number, string];

/** NLTK `_match_enums`: mutates both lists (removes matched), returns [hypIdx, refIdx] pairs. */
function matchEnums(hyp: Enum[], ref: Enum[]): Array<[number, number]> {
  const matches: Array<[number, number]> = [];
  for (let i = hyp.length - 1; i >= 0; i--) {
    for (let j = ref.length - 1; j >= 0; j--) {
      if (hyp[i][1] === ref[j][1]) {
        matches.push([hyp[i][0], ref[j][0]]);
        hyp.splice(i, 1);
        ref.splice(j, 1);
        break;
      }
    }
  }
  return matches;
}

/** Word alignment (exact, then stem), sorted by hypothesis index. */
export function meteorAlign(hypTokens: readonly string[], refTokens: readonly string[], stem = true): Array<[number, number]> {
  const hyp: Enum[] = hypTokens.map((w, i) => [i, w.toLowerCase()]);
  const ref: Enum[] = refTokens.map((w, i) => [i, w.toLowerCase()]);
  const exact = matchEnums(hyp, ref);
  let stems: Array<[number, number]> = [];
  if (stem) {
    // NLTK stems the remaining words and matches them, then drops the matched originals.
    const hs: Enum[] = hyp.map(([i, w]) => [i, porterStem(w)]);
    const rs: Enum[] = ref.map(([i, w]) => [i, porterStem(w)]);
    stems = matchEnums(hs, rs);
  }
  return [...exact, ...stems].sort((a, b) => a[0] - b[0]);
}

/** NLTK `_count_chunks`. */
export function countChunks(matches: ReadonlyArray<readonly [number, number]>): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    if (!(matches[i + 1][0] === matches[i][0] + 1 && matches[i + 1][1] === matches[i][1] + 1)) chunks++;
  }
  return chunks;
}

export function meteorTokens(hyp: readonly string[], ref: readonly string[], opts: MeteorOptions = {}): number {
  const alpha = opts.alpha ?? 0.9;
  const beta = opts.beta ?? 3;
  const gamma = opts.gamma ?? 0.5;
  if (hyp.length === 0 || ref.length === 0) return 0; // NLTK: ZeroDivisionError → 0
  const matches = meteorAlign(hyp, ref, opts.stem ?? true);
  const m = matches.length;
  if (m === 0) return 0;
  const p = m / hyp.length;
  const r = m / ref.length;
  const fmean = (p * r) / (alpha * p + (1 - alpha) * r);
  const fragFrac = countChunks(matches) / m;
  const penalty = gamma * fragFrac ** beta;
  return 100 * (1 - penalty) * fmean;
}

export function meteor(prediction: string, reference: string, opts: MeteorOptions = {}): number {
  const tok = opts.tokenize ?? codeTokens;
  return meteorTokens(tok(prediction), tok(reference), opts);
}

export function corpusMeteor(predictions: readonly string[], references: readonly string[], opts: MeteorOptions = {}): { score: number; perExample: number[] } {
  checkLengths(predictions, references);
  const perExample = predictions.map((p, i) => meteor(p, references[i], opts));
  const score = perExample.length === 0 ? 0 : perExample.reduce((s, x) => s + x, 0) / perExample.length;
  return { score, perExample };
}
