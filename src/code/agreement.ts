/**
 * Agreement of the labeller with the artifact's labels (METHOD.md §1: token-level agreement, per
 * label, confusion matrix, on the tokens both sides have).
 *
 * The artifact's token stream differs from tree-sitter leaves: it drops ( ) { } ; , . , merges
 * some neighbours (`break;`, `else if`, `[]`, `<>`), writes `null` as `nan` (a pandas artefact)
 * and moves some tokens (annotation names, external receivers, `switch`/`case`) to the end of the
 * list. Alignment is therefore a sequence alignment on normalised text that allows many-to-one
 * merges, followed by a pass that pairs leftover tokens of equal text (the moved ones).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import type { CodeToken } from './index.ts';
import { labelName } from './labels.ts';

export interface ArtifactExample {
  code: string;
  tokens: string[];
  labels: number[];
  /** 1-based line in the JSONL file. */
  line: number;
}

/** Reads the artifact JSONL (fields code, code_tokens, semantic_token_sequence). */
export function readArtifactJsonl(file: string): ArtifactExample[] {
  const out: ArtifactExample[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (!text) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (err) {
      throw new InputError(`not valid JSON (${(err as Error).message}); each line must be one JSON object`, { file, line: i + 1 });
    }
    const r = rec as { code?: unknown; code_tokens?: unknown; semantic_token_sequence?: unknown };
    if (typeof r.code !== 'string' || !Array.isArray(r.code_tokens) || !Array.isArray(r.semantic_token_sequence)) {
      throw new InputError('needs fields code (string), code_tokens and semantic_token_sequence (arrays)', { file, line: i + 1 });
    }
    if (r.code_tokens.length !== r.semantic_token_sequence.length) {
      throw new InputError(
        `code_tokens has ${r.code_tokens.length} entries but semantic_token_sequence ${r.semantic_token_sequence.length}; they must be parallel`,
        { file, line: i + 1 },
      );
    }
    out.push({
      code: r.code,
      tokens: r.code_tokens.map(String),
      labels: r.semantic_token_sequence.map((x) => Number(x)),
      line: i + 1,
    });
  }
  return out;
}

/** Normalised token text for matching: no whitespace, no non-ASCII (mojibake), null ≡ nan. */
function norm(s: string): string {
  const t = s.replace(/\s+|[^\x00-\x7f]/g, '');
  return t === 'nan' ? 'null' : t;
}

/** Longest group of our tokens merged into one artifact token (`break` `;` → `break;`). */
const MAX_MERGE = 4;

/**
 * Aligns the artifact's tokens to ours. Returns, per artifact token, the index of our token it
 * corresponds to (the first non-punctuation token of a merged group), or -1.
 */
export function alignTokens(ours: readonly CodeToken[], theirs: readonly string[]): number[] {
  const n = ours.length, m = theirs.length;
  const a = ours.map((t) => norm(t.text));
  const b = theirs.map(norm);
  const W = m + 1;
  // A match scores 2, or 1 when our token is unlabelled: the artifact labels only method
  // bodies, so between equal texts (`public` of a class and of its method) the labelled one wins.
  const gain = ours.map((t) => (t.labelId > 0 ? 2 : 1));
  // score[i][j]: best alignment score of ours[i..] with theirs[j..] (suffix DP).
  const score = new Int32Array((n + 1) * W);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      let best = Math.max(score[(i + 1) * W + j], score[i * W + j + 1]);
      if (a[i] === b[j]) best = Math.max(best, gain[i] + score[(i + 1) * W + j + 1]);
      else if (b[j].startsWith(a[i]) && a[i].length > 0) {
        let cat = a[i];
        for (let k = 2; k <= MAX_MERGE && i + k <= n; k++) {
          cat += a[i + k - 1];
          if (cat === b[j]) {
            best = Math.max(best, gain[i] + score[(i + k) * W + j + 1]);
            break;
          }
          if (!b[j].startsWith(cat)) break;
        }
      }
      score[i * W + j] = best;
    }
  }
  const map = new Array<number>(m).fill(-1);
  const used = new Uint8Array(n);
  let i = 0, j = 0;
  while (i < n && j < m) {
    const here = score[i * W + j];
    if (a[i] === b[j] && here === gain[i] + score[(i + 1) * W + j + 1]) {
      map[j] = i;
      used[i] = 1;
      i++;
      j++;
      continue;
    }
    let merged = 0;
    if (a[i].length > 0 && b[j].startsWith(a[i])) {
      let cat = a[i];
      for (let k = 2; k <= MAX_MERGE && i + k <= n; k++) {
        cat += a[i + k - 1];
        if (cat === b[j] && here === gain[i] + score[(i + k) * W + j + 1]) {
          merged = k;
          break;
        }
        if (!b[j].startsWith(cat)) break;
      }
    }
    if (merged) {
      let first = i; // the group's first non-punctuation token, else its first token
      for (let k = i; k < i + merged; k++) {
        if (!ours[k].punct) {
          first = k;
          break;
        }
      }
      map[j] = first;
      for (let k = 0; k < merged; k++) used[i + k] = 1;
      i += merged;
      j++;
    } else if (here === score[(i + 1) * W + j]) i++;
    else j++;
  }
  // Tokens the artifact moved out of source order: pair leftovers of equal text, in order.
  for (let jj = 0; jj < m; jj++) {
    if (map[jj] >= 0) continue;
    for (let ii = 0; ii < n; ii++) {
      if (!used[ii] && !ours[ii].punct && a[ii] === b[jj]) {
        map[jj] = ii;
        used[ii] = 1;
        break;
      }
    }
  }
  return map;
}

export interface LabelStats {
  n: number;
  correct: number;
}

export class Agreement {
  /** Artifact tokens seen. */
  total = 0;
  /** Artifact tokens aligned to one of ours (the compared ones). */
  compared = 0;
  correct = 0;
  /** Our non-punctuation tokens no artifact token aligned to. */
  oursUnaligned = 0;
  examples = 0;
  /** Per reference label id. */
  perLabel = new Map<number, LabelStats>();
  /** "ref→ours" label ids → count (mismatches only). */
  confusion = new Map<string, number>();

  add(ours: readonly CodeToken[], theirs: readonly string[], labels: readonly number[]): number[] {
    const map = alignTokens(ours, theirs);
    this.examples++;
    this.total += theirs.length;
    const hit = new Uint8Array(ours.length);
    for (let j = 0; j < theirs.length; j++) {
      const i = map[j];
      if (i < 0) continue;
      hit[i] = 1;
      const ref = labels[j];
      const got = ours[i].labelId;
      this.compared++;
      let s = this.perLabel.get(ref);
      if (!s) this.perLabel.set(ref, (s = { n: 0, correct: 0 }));
      s.n++;
      if (ref === got) {
        this.correct++;
        s.correct++;
      } else {
        const key = `${ref}→${got}`;
        this.confusion.set(key, (this.confusion.get(key) ?? 0) + 1);
      }
    }
    for (let i = 0; i < ours.length; i++) if (!hit[i] && !ours[i].punct) this.oursUnaligned++;
    return map;
  }

  get accuracy(): number {
    return this.compared ? this.correct / this.compared : 0;
  }

  get unaligned(): number {
    return this.total - this.compared;
  }

  labelAccuracy(name: string): number | null {
    for (const [id, s] of this.perLabel) if (labelName(id) === name) return s.n ? s.correct / s.n : null;
    return null;
  }

  /** Mismatches, most frequent first: [ref label, our label, count]. */
  topConfusions(k = 10): Array<[string, string, number]> {
    return [...this.confusion.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([key, count]) => {
        const [r, o] = key.split('→').map(Number);
        return [labelName(r) ?? `(${r})`, labelName(o) ?? '(unlabelled)', count];
      });
  }
}

/** The labels of rules 1–6, which a labeller can match (name-level labels cannot: see §1 rule 7). */
export const STRUCTURAL_LABELS = [
  'function declaration',
  'parameter',
  'exception handling',
  'return',
  'conditional statement',
  'conditional block',
  'loop',
  'variable declaration',
] as const;
