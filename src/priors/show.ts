/**
 * Text rendering of a priors file for people (`eyemulator priors show`): the salience table sorted
 * by E[θ], the aggregate density, the most frequent transitions, and the data credit.
 */
import { NGRAM_SEP, type Mode, type Priors } from './format.ts';
import { aggregate, modePriors, salience } from './stats.ts';

export interface SalienceRow {
  label: string;
  alpha: number;
  beta: number;
  salience: number;
  shown: number;
  fixated: number;
}

/** Salience rows of one mode, highest E[θ] first (ties by label name, for a stable order). */
export function salienceRows(priors: Priors, mode: Mode): SalienceRow[] {
  const mp = modePriors(priors, mode);
  return Object.entries(mp.labels)
    .flatMap(([label, p]) => (p ? [{ label, alpha: p.alpha, beta: p.beta, salience: salience(p), shown: p.shown, fixated: p.fixated }] : []))
    .sort((a, b) => b.salience - a.salience || (a.label < b.label ? -1 : 1));
}

/** The `top` most frequent n-grams of order n, most frequent first. */
export function topNgrams(priors: Priors, mode: Mode, n: 1 | 2 | 3, top: number): [string[], number][] {
  const table = modePriors(priors, mode).ngrams[String(n) as '1' | '2' | '3'];
  return Object.entries(table)
    .flatMap(([k, c]): [string[], number][] => (c === undefined ? [] : [[k.split(NGRAM_SEP), c]]))
    .sort((a, b) => b[1] - a[1] || (a[0].join() < b[0].join() ? -1 : 1))
    .slice(0, top);
}

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

export function formatPriors(priors: Priors, mode: Mode, top = 10): string {
  const rows = salienceRows(priors, mode);
  const agg = aggregate(modePriors(priors, mode));
  const lw = Math.max(5, ...rows.map((r) => r.label.length));
  const out: string[] = [];
  out.push(`priors: mode ${mode}, ${rows.length} labels, minCount ${priors.minCount}, n-gram keys ${priors.ngramOrder}`);
  out.push('');
  out.push(`${pad('label', lw)}  ${pad('alpha', 8, true)}  ${pad('beta', 8, true)}  ${pad('E[θ]', 6, true)}  ${pad('shown', 7, true)}  ${pad('fixated', 7, true)}`);
  for (const r of rows) {
    out.push(
      `${pad(r.label, lw)}  ${pad(String(r.alpha), 8, true)}  ${pad(String(r.beta), 8, true)}  ${pad(r.salience.toFixed(4), 6, true)}  ${pad(String(r.shown), 7, true)}  ${pad(String(r.fixated), 7, true)}`,
    );
  }
  out.push('');
  out.push(`aggregate density: Beta(α_agg=${agg.alpha}, β_agg=${agg.beta}), E[ρ] = ${agg.mean.toFixed(4)}`);
  const joiner = priors.ngramOrder === 'sorted' ? ' + ' : ' → ';
  for (const n of [2, 3] as const) {
    const tops = topNgrams(priors, mode, n, top);
    out.push('');
    out.push(`top ${n === 2 ? 'bigram' : 'trigram'} transitions${priors.ngramOrder === 'sorted' ? ' (label sets)' : ''}:`);
    if (tops.length === 0) out.push('  (none)');
    for (const [labels, c] of tops) out.push(`  ${pad(String(c), 7, true)}  ${labels.join(joiner)}`);
  }
  const prov = priors.provenance as Record<string, unknown>;
  out.push('');
  out.push(`source: ${prov.source}`);
  if (Array.isArray(prov.citations)) for (const c of prov.citations) out.push(`cite: ${c}`);
  if (typeof prov.license === 'string') out.push(`license: ${prov.license}`);
  return out.join('\n');
}
