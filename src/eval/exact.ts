/**
 * Exact-match family (METHOD.md §7).
 *
 * - Exact: prediction == reference after removing comments (C-family `//`, `/* *\/`, string
 *   literals protected, see `stripComments`) and ALL whitespace.
 * - Contain: one normalised string is a NON-EMPTY substring of the other (METHOD.md §7), so equal
 *   non-empty strings count, and an empty string never does: an empty prediction against a
 *   non-empty reference is neither Exact nor Contain, and two empty strings are Exact (equal) but
 *   not Contain — the one case where Contain < Exact (H-Exact 0.5). This is the lenient metric the
 *   artifact's tables called "Exact Match".
 * - H-Exact: (Exact + Contain) / 2 per example.
 * All three are per example in {0, 1} (H-Exact in {0, .5, 1}); corpus values are means × 100.
 *
 * `codexglueAccuracy` is CodeXGLUE code-to-code `evaluator.py`'s "Acc": per line
 * `ref.strip() == pred.strip()` (only leading/trailing whitespace removed), mean × 100.
 */
import { stripComments } from './tokenize.ts';

export interface ExactOptions {
  /** Remove C-family comments before comparing (default true; set false for natural language). */
  stripComments?: boolean;
}

export function normalizeForExact(s: string, opts: ExactOptions = {}): string {
  const text = opts.stripComments === false ? s : stripComments(s);
  return text.replace(/\s+/gu, '');
}

export interface ExactScores {
  exact: number;
  contain: number;
  hExact: number;
}

/** Per-example scores in [0, 1]. */
export function exactScores(prediction: string, reference: string, opts: ExactOptions = {}): ExactScores {
  const p = normalizeForExact(prediction, opts);
  const r = normalizeForExact(reference, opts);
  const exact = p === r ? 1 : 0;
  // "one is a non-empty substring of the other": the contained string must be non-empty.
  const contain = (p.length > 0 && r.includes(p)) || (r.length > 0 && p.includes(r)) ? 1 : 0;
  return { exact, contain, hExact: (exact + contain) / 2 };
}

/** Corpus means × 100 plus the per-example arrays (0/1, H-Exact 0/.5/1). */
export function exactMatch(
  predictions: readonly string[],
  references: readonly string[],
  opts: ExactOptions = {},
): ExactScores & { perExample: ExactScores[] } {
  checkLengths(predictions, references);
  const perExample = predictions.map((p, i) => exactScores(p, references[i], opts));
  const n = perExample.length;
  const avg = (k: keyof ExactScores) => (n === 0 ? 0 : (100 * perExample.reduce((s, e) => s + e[k], 0)) / n);
  return { exact: avg('exact'), contain: avg('contain'), hExact: avg('hExact'), perExample };
}

/** CodeXGLUE code-to-code evaluator accuracy: stripped-string equality, mean × 100. */
export function codexglueAccuracy(predictions: readonly string[], references: readonly string[]): number {
  checkLengths(predictions, references);
  if (predictions.length === 0) return 0;
  let count = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i].trim() === references[i].trim()) count++;
  return (100 * count) / predictions.length;
}

export function checkLengths(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) {
    throw new RangeError(`predictions (${a.length}) and references (${b.length}) differ in length`);
  }
}
