/**
 * minCount pruning of n-gram counts (METHOD.md §3: n-grams seen fewer than 5 times are pruned).
 * Pruning is never silent: it returns what it removed so commands can report it.
 */
import type { ModePriors } from './format.ts';

export interface PruneReport {
  /** Per n ("1","2","3"): how many distinct n-grams were removed, and their total count. */
  removed: Record<'1' | '2' | '3', { ngrams: number; occurrences: number; kept: number }>;
}

/** Removes n-grams with count < minCount from a mode's tables, in place. */
export function pruneNgrams(mp: ModePriors, minCount: number): PruneReport {
  const removed = {} as PruneReport['removed'];
  for (const n of ['1', '2', '3'] as const) {
    const table = mp.ngrams[n];
    let ngrams = 0;
    let occurrences = 0;
    let kept = 0;
    for (const [key, c] of Object.entries(table)) {
      if (c === undefined) continue;
      if (c < minCount) {
        delete table[key];
        ngrams++;
        occurrences += c;
      } else kept++;
    }
    removed[n] = { ngrams, occurrences, kept };
  }
  return { removed };
}

export function formatPruneReport(mode: string, r: PruneReport, minCount: number): string {
  const parts = (['1', '2', '3'] as const).map(
    (n) => `${n}-grams: kept ${r.removed[n].kept}, pruned ${r.removed[n].ngrams} (${r.removed[n].occurrences} occurrences)`,
  );
  return `${mode}: minCount ${minCount}: ${parts.join('; ')}`;
}
