/**
 * chrF / chrF++ (Popović 2015, 2017) as sacreBLEU 2.x computes it, with its defaults for chrF++:
 * character n-grams of orders 1..6 (whitespace removed first, `''.join(line.split())`), word
 * n-grams of orders 1..2, β = 2, case kept, no ε-smoothing.
 *
 * Word tokens follow sacreBLEU's `_remove_punctuation`: split on whitespace, then a token longer
 * than one character that ends in an ASCII punctuation mark is split into (body, mark); else
 * one that starts with a mark is split into (mark, body). Only one mark is split off, so
 * `(hi)` → `(hi`, `)` (sacreBLEU issue #124 keeps it so).
 *
 * Statistics per order are [hyp n-grams, ref n-grams, matched n-grams] (matches = multiset
 * intersection), the hypothesis count being 0 where the reference has no n-gram of that order
 * (sacreBLEU 2.x `_get_match_statistics`). Score (sacreBLEU `_compute_f_score`, eps_smoothing=False): precision and recall
 * are averaged over the "effective" orders (those where both hypothesis and reference have
 * n-grams), then F_β = (1+β²)·P·R / (β²·P + R), × 100; 0 if P + R = 0.
 * Corpus chrF sums the statistics over all sentences before scoring (sacreBLEU `corpus_score`);
 * sentence chrF scores one sentence's statistics. One reference per hypothesis.
 */
import { checkLengths } from './exact.ts';

export interface ChrfOptions {
  charOrder?: number;
  /** 2 = chrF++ (default), 0 = plain chrF. */
  wordOrder?: number;
  beta?: number;
  lowercase?: boolean;
}

const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** sacreBLEU `CHRF._remove_punctuation`. */
export function chrfWords(sent: string): string[] {
  const out: string[] = [];
  for (const w of sent.split(/\s+/u)) {
    if (w === '') continue;
    const chars = [...w];
    if (chars.length === 1) out.push(w);
    else if (PUNCTS.has(chars[chars.length - 1])) out.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    else if (PUNCTS.has(chars[0])) out.push(chars[0], chars.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function counter(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function charNgrams(line: string, n: number): Map<string, number> {
  // Python indexes str by code point; spread into code points to match.
  const cps = [...line];
  const grams: string[] = [];
  for (let i = 0; i + n <= cps.length; i++) grams.push(cps.slice(i, i + n).join(''));
  return counter(grams);
}

function wordNgrams(words: string[], n: number): Map<string, number> {
  const grams: string[] = [];
  for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(' '));
  return counter(grams);
}

/**
 * sacreBLEU `CHRF._get_match_statistics`: [hyp count, ref count, matches]. The hypothesis count is
 * 0 when the reference has no n-gram of this order ("don't count hits if no reference exists for
 * that n-gram"), so in a corpus sum a short reference does not turn that sentence's hypothesis
 * n-grams into false positives (["ab","abc"] vs ["a","abc"]: 86.45, not 84.46).
 */
function matchStats(h: Map<string, number>, r: Map<string, number>): [number, number, number] {
  let hc = 0;
  let rc = 0;
  let mc = 0;
  for (const [g, c] of h) {
    hc += c;
    mc += Math.min(c, r.get(g) ?? 0);
  }
  for (const c of r.values()) rc += c;
  return [r.size > 0 ? hc : 0, rc, mc];
}

/** Per-sentence statistics: 3 numbers per order, char orders first, then word orders. */
export function chrfStats(hypothesis: string, reference: string, opts: ChrfOptions = {}): number[] {
  const charOrder = opts.charOrder ?? 6;
  const wordOrder = opts.wordOrder ?? 2;
  let hyp = hypothesis;
  let ref = reference;
  if (opts.lowercase) {
    hyp = hyp.toLowerCase();
    ref = ref.toLowerCase();
  }
  const hChars = hyp.split(/\s+/u).join('');
  const rChars = ref.split(/\s+/u).join('');
  const stats: number[] = [];
  for (let n = 1; n <= charOrder; n++) stats.push(...matchStats(charNgrams(hChars, n), charNgrams(rChars, n)));
  if (wordOrder > 0) {
    const hw = chrfWords(hyp);
    const rw = chrfWords(ref);
    for (let n = 1; n <= wordOrder; n++) stats.push(...matchStats(wordNgrams(hw, n), wordNgrams(rw, n)));
  }
  return stats;
}

/** chrF score (0–100) from (summed) statistics. */
export function chrfFromStats(stats: readonly number[], beta = 2): number {
  let avgP = 0;
  let avgR = 0;
  let eff = 0;
  for (let i = 0; i + 2 < stats.length; i += 3) {
    const [nh, nr, nm] = [stats[i], stats[i + 1], stats[i + 2]];
    if (nh > 0 && nr > 0) {
      avgP += nm / nh;
      avgR += nm / nr;
      eff++;
    }
  }
  if (eff > 0) {
    avgP /= eff;
    avgR /= eff;
  }
  if (avgP + avgR === 0) return 0;
  const b2 = beta * beta;
  return (100 * (1 + b2) * avgP * avgR) / (b2 * avgP + avgR);
}

export function sentenceChrf(hypothesis: string, reference: string, opts: ChrfOptions = {}): number {
  return chrfFromStats(chrfStats(hypothesis, reference, opts), opts.beta ?? 2);
}

/** Corpus chrF(++): statistics summed over sentences, then scored. */
export function corpusChrf(hypotheses: readonly string[], references: readonly string[], opts: ChrfOptions = {}): number {
  checkLengths(hypotheses, references);
  let sum: number[] | null = null;
  for (let i = 0; i < hypotheses.length; i++) {
    const st = chrfStats(hypotheses[i], references[i], opts);
    if (sum === null) sum = st;
    else for (let k = 0; k < st.length; k++) sum[k] += st[k];
  }
  return sum === null ? 0 : chrfFromStats(sum, opts.beta ?? 2);
}
