/**
 * Byte-level BPE training (GPT-2 style), written in TypeScript because the Node `tokenizers`
 * binding (0.23) exposes `Tokenizer.train(files)` only with the model's default trainer: no vocab
 * size, no minimum frequency, no special tokens and no full byte alphabet. The algorithm is the
 * one HF's BpeTrainer runs, over the same pre-tokens:
 *
 * 1. Words: every text is split by HF's own ByteLevel pre-tokenizer (add_prefix_space = false,
 *    GPT-2 regex) from the binding, so training sees exactly the pieces encoding will see; each
 *    piece is already in GPT-2's byte→unicode alphabet (one character per UTF-8 byte). Identical
 *    pieces are counted once with their frequency.
 * 2. Vocabulary: the special tokens at ids 0 … k−1 (in the order given), then the 256 byte symbols
 *    at ids k … k+255 in byte-value order (id = k + byte), so every string is encodable (no UNK).
 * 3. Merges: repeatedly merge the most frequent adjacent pair (frequency = Σ word count × occurrences,
 *    occurrences counted left to right without overlap, as the merge applies them); ties go to the
 *    pair with the smaller (left id, right id). Stop when the vocabulary has `vocabSize` entries
 *    (specials + bytes + merged tokens) or the best pair occurs fewer than `minFrequency` times.
 *    A merge whose string already is a token (e.g. "ab"+"c" after "a"+"bc") is recorded as a merge
 *    but adds no id, as in HF.
 *
 * Everything is a pure function of the word counts: the same texts give the same merges, ids and
 * bytes on disk, whatever order the files are read in.
 */
import { OptionError } from '../util/errors.ts';
import { bytesToUnicode } from './byte.ts';

export interface BpeTrainOptions {
  /** Total vocabulary size: special tokens + 256 byte symbols + merged tokens. */
  vocabSize: number;
  /** A pair is merged only if it occurs at least this often (default 2). */
  minFrequency?: number;
  /** Special tokens, ids 0 … k−1 in this order. */
  specialTokens?: readonly string[];
}

export interface BpeModel {
  /** token string → id, ids 0 … vocab.length−1 (index = id). */
  tokens: string[];
  /** Merges in rank order, as [left, right] token strings. */
  merges: [string, string][];
  specialTokens: string[];
  /** Why training stopped. */
  stoppedBy: 'vocab-size' | 'min-frequency' | 'no-pairs';
}

// --- a max-heap of (count, left, right) ------------------------------------------------------------

class PairHeap {
  private c: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  get size(): number {
    return this.c.length;
  }
  /** true if entry i should be above entry j: higher count, then smaller (left, right). */
  private above(i: number, j: number): boolean {
    const c = this.c, a = this.a, b = this.b;
    if (c[i] !== c[j]) return c[i] > c[j];
    if (a[i] !== a[j]) return a[i] < a[j];
    return b[i] < b[j];
  }
  private swap(i: number, j: number): void {
    const c = this.c, a = this.a, b = this.b;
    [c[i], c[j]] = [c[j], c[i]];
    [a[i], a[j]] = [a[j], a[i]];
    [b[i], b[j]] = [b[j], b[i]];
  }
  push(count: number, left: number, right: number): void {
    this.c.push(count);
    this.a.push(left);
    this.b.push(right);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number, number] | undefined {
    const n = this.c.length;
    if (n === 0) return undefined;
    const top: [number, number, number] = [this.c[0], this.a[0], this.b[0]];
    this.swap(0, n - 1);
    this.c.pop();
    this.a.pop();
    this.b.pop();
    const m = n - 1;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < m && this.above(l, best)) best = l;
      if (r < m && this.above(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}

const SHIFT = 2 ** 21; // ids < 2^21, keys exact in a double
const key = (a: number, b: number) => a * SHIFT + b;

/**
 * Adds (sign = 1) or removes (−1) the pairs of a symbol sequence, counted as the merge applies
 * them: left to right without overlap, so a run of L identical symbols holds ⌊L/2⌋ pairs (x, x).
 */
function addPairs(seq: readonly number[], freq: number, counts: Map<number, number>, sign: 1 | -1, before: Map<number, number> | null): void {
  let runStart = 0;
  for (let i = 0; i + 1 < seq.length; i++) {
    if (i > 0 && seq[i] !== seq[i - 1]) runStart = i;
    if (seq[i] === seq[i + 1] && (i - runStart) % 2 === 1) continue;
    const k = key(seq[i], seq[i + 1]);
    const old = counts.get(k) ?? 0;
    if (before && !before.has(k)) before.set(k, old);
    counts.set(k, old + sign * freq);
  }
}

/** Replaces every left-to-right, non-overlapping occurrence of (a, b) by `id` (`seq` itself if none). */
function mergeSeq(seq: number[], a: number, b: number, id: number): number[] {
  let first = -1;
  for (let i = 0; i + 1 < seq.length; i++) if (seq[i] === a && seq[i + 1] === b) { first = i; break; }
  if (first < 0) return seq;
  const out: number[] = seq.slice(0, first);
  for (let i = first; i < seq.length; i++) {
    if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
      out.push(id);
      i++;
    } else out.push(seq[i]);
  }
  return out;
}

/**
 * Trains merges over `words` (byte-level strings, e.g. "Ġreturn") with their counts. Every
 * character of a word must be one of the 256 byte-level symbols.
 */
export function trainBpe(words: ReadonlyMap<string, number>, opts: BpeTrainOptions): BpeModel {
  const specials = [...(opts.specialTokens ?? [])];
  const minFrequency = opts.minFrequency ?? 2;
  const vocabSize = opts.vocabSize;
  if (new Set(specials).size !== specials.length) throw new OptionError(`special tokens must be distinct, got ${specials.join(',')}`);
  if (specials.some((s) => s.length === 0)) throw new OptionError('a special token cannot be empty');
  if (!Number.isInteger(vocabSize) || vocabSize < specials.length + 256)
    throw new OptionError(`--vocab-size must be an integer ≥ ${specials.length + 256} (${specials.length} special tokens + 256 bytes), got ${vocabSize}`);
  if (vocabSize >= SHIFT) throw new OptionError(`--vocab-size must be < ${SHIFT}, got ${vocabSize}`);
  if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new OptionError(`--min-frequency must be a positive integer, got ${minFrequency}`);

  const alphabet = bytesToUnicode();
  const tokens: string[] = [...specials, ...alphabet];
  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (idOf.has(t)) throw new OptionError(`special token ${JSON.stringify(t)} collides with a byte symbol`);
    idOf.set(t, i);
  });

  // Sort the words so that everything below is independent of Map insertion order.
  const wordList = [...words.entries()].filter(([, f]) => f > 0).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const seqs: number[][] = [];
  const freqs: number[] = [];
  for (const [w, f] of wordList) {
    const seq: number[] = [];
    for (const ch of w) {
      const id = idOf.get(ch);
      if (id === undefined || id < specials.length) throw new OptionError(`word ${JSON.stringify(w)} holds ${JSON.stringify(ch)}, which is not a byte-level symbol`);
      seq.push(id);
    }
    seqs.push(seq);
    freqs.push(f);
  }

  const counts = new Map<number, number>();
  const where = new Map<number, number[]>(); // pair → words that contained it at some point (checked on use)
  seqs.forEach((seq, w) => {
    addPairs(seq, freqs[w], counts, 1, null);
    for (let i = 0; i + 1 < seq.length; i++) {
      const k = key(seq[i], seq[i + 1]);
      const list = where.get(k);
      if (!list) where.set(k, [w]);
      else if (list[list.length - 1] !== w) list.push(w);
    }
  });
  const heap = new PairHeap();
  for (const [k, c] of counts) heap.push(c, Math.floor(k / SHIFT), k % SHIFT);

  const merges: [string, string][] = [];
  const merged = new Set<number>();
  let stoppedBy: BpeModel['stoppedBy'] = 'no-pairs';
  while (tokens.length < vocabSize) {
    const top = heap.pop();
    if (!top) { stoppedBy = 'no-pairs'; break; }
    const [c, a, b] = top;
    const k = key(a, b);
    if (merged.has(k)) continue;
    const cur = counts.get(k) ?? 0;
    if (cur !== c) {
      if (cur > 0 && cur < c) heap.push(cur, a, b);
      continue;
    }
    if (c < minFrequency) { stoppedBy = 'min-frequency'; break; }
    const ws = where.get(k) ?? [];
    const str = tokens[a] + tokens[b];
    let id = idOf.get(str);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(str);
      idOf.set(str, id);
    }
    merges.push([tokens[a], tokens[b]]);
    merged.add(k);
    const before = new Map<number, number>();
    for (const w of ws) {
      const s = seqs[w];
      const next = mergeSeq(s, a, b, id);
      if (next === s) continue;
      addPairs(s, freqs[w], counts, -1, before);
      addPairs(next, freqs[w], counts, 1, before);
      seqs[w] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        if (next[i] !== id && next[i + 1] !== id) continue;
        const nk = key(next[i], next[i + 1]);
        const list = where.get(nk);
        if (!list) where.set(nk, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
    counts.delete(k);
    // Pairs whose count rose need a fresh heap entry; lowered ones are fixed lazily on pop.
    const rose: number[] = [];
    for (const [t, old] of before) {
      if (t === k || merged.has(t)) continue;
      const v = counts.get(t) ?? 0;
      if (v <= 0) counts.delete(t);
      else if (v > old) rose.push(t);
    }
    rose.sort((x, y) => x - y);
    for (const t of rose) heap.push(counts.get(t)!, Math.floor(t / SHIFT), t % SHIFT);
    if (tokens.length >= vocabSize) stoppedBy = 'vocab-size';
  }
  if (tokens.length >= vocabSize) stoppedBy = 'vocab-size';
  return { tokens, merges, specialTokens: specials, stoppedBy };
}
