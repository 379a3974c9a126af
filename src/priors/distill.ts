/**
 * Distils scan paths into priors (METHOD.md §3), per session mode and combined (= both):
 * - salience: n_s = tokens of label s shown, c_s = those visited at least once;
 *   α_s = c_s + 1, β_s = n_s − c_s + 1 (labels never shown are omitted: no data, no prior);
 * - transitions: label 1-, 2-, 3-grams along each path (labels of consecutive visits), pruned
 *   below minCount. Visits to unlabelled tokens are left out of the label sequence (they carry no
 *   label to count) and counted in the report. Combined counts are summed before pruning, so an
 *   n-gram rare in each mode but frequent overall survives in combined.
 */
import { InputError } from '../util/errors.ts';
import { canonicalNgramKey, PRIORS_FORMAT, type Mode, type ModePriors, type NgramOrder, type Priors } from './format.ts';
import { pruneNgrams, type PruneReport } from './prune.ts';
import { readScanPaths, type ResolvedScanPath, type SessionMode } from './scanpath.ts';

export interface DistillOptions {
  minCount?: number;
  /** Use only the records of this session mode (the others are counted as skipped). */
  modeFilter?: SessionMode;
  /** "sequence" (default, METHOD.md §3) or "sorted" (label sets, as the artifact's files). */
  ngramOrder?: NgramOrder;
  provenance?: Record<string, unknown>;
}

export interface DistillReport {
  records: number;
  usedByMode: Record<SessionMode, number>;
  skippedByFilter: number;
  /** Consecutive repeated visits collapsed while reading (the format says there are none). */
  collapsedVisits: number;
  /** Visits to tokens without a label, left out of the n-gram sequences. */
  unlabelledVisits: number;
  tokensShown: number;
  unlabelledTokensShown: number;
  pruned: Partial<Record<Mode, PruneReport>>;
  minCount: number;
}

interface Tally {
  shown: Map<string, number>;
  fixated: Map<string, number>;
  ngrams: [Map<string, number>, Map<string, number>, Map<string, number>];
  records: number;
}

const newTally = (): Tally => ({ shown: new Map(), fixated: new Map(), ngrams: [new Map(), new Map(), new Map()], records: 0 });
const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

function toModePriors(t: Tally): ModePriors {
  const labels: ModePriors['labels'] = {};
  for (const [name, n] of [...t.shown].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n === 0) continue;
    const c = t.fixated.get(name) ?? 0;
    labels[name] = { alpha: c + 1, beta: n - c + 1, fixated: c, shown: n };
  }
  const table = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { labels, ngrams: { '1': table(t.ngrams[0]), '2': table(t.ngrams[1]), '3': table(t.ngrams[2]) } };
}

function merge(a: Tally, b: Tally): Tally {
  const out = newTally();
  for (const t of [a, b]) {
    for (const [k, v] of t.shown) bump(out.shown, k, v);
    for (const [k, v] of t.fixated) bump(out.fixated, k, v);
    t.ngrams.forEach((m, i) => m.forEach((v, k) => bump(out.ngrams[i], k, v)));
    out.records += t.records;
  }
  return out;
}

/** Distils already-read scan paths. */
export function distillPriors(paths: readonly ResolvedScanPath[], opts: DistillOptions = {}): { priors: Priors; report: DistillReport } {
  const minCount = opts.minCount ?? 5;
  const order = opts.ngramOrder ?? 'sequence';
  const tallies: Record<SessionMode, Tally> = { reading: newTally(), writing: newTally() };
  const report: DistillReport = {
    records: paths.length,
    usedByMode: { reading: 0, writing: 0 },
    skippedByFilter: 0,
    collapsedVisits: 0,
    unlabelledVisits: 0,
    tokensShown: 0,
    unlabelledTokensShown: 0,
    pruned: {},
    minCount,
  };
  for (const p of paths) {
    const mode = p.record.mode;
    if (opts.modeFilter && mode !== opts.modeFilter) {
      report.skippedByFilter++;
      continue;
    }
    const t = tallies[mode];
    t.records++;
    report.usedByMode[mode]++;
    report.collapsedVisits += p.collapsed;
    const visited = new Uint8Array(p.labels.length);
    for (const v of p.visits) visited[v] = 1;
    p.labels.forEach((label, i) => {
      report.tokensShown++;
      if (label === null) {
        report.unlabelledTokensShown++;
        return;
      }
      bump(t.shown, label);
      if (visited[i]) bump(t.fixated, label);
    });
    const seq: string[] = [];
    for (const v of p.visits) {
      const label = p.labels[v];
      if (label === null) report.unlabelledVisits++;
      else seq.push(label);
    }
    for (let n = 1; n <= 3; n++) {
      for (let i = 0; i + n <= seq.length; i++) bump(t.ngrams[n - 1], canonicalNgramKey(seq.slice(i, i + n), order));
    }
  }
  if (report.usedByMode.reading + report.usedByMode.writing === 0) {
    throw new InputError(`no scan paths to distil (${paths.length} records read, ${report.skippedByFilter} skipped by the mode filter)`);
  }
  const modes: Priors['modes'] = {};
  const candidates: [Mode, Tally][] = [
    ['combined', merge(tallies.reading, tallies.writing)],
    ['reading', tallies.reading],
    ['writing', tallies.writing],
  ];
  for (const [mode, t] of candidates) {
    if (t.records === 0) continue;
    const mp = toModePriors(t);
    report.pruned[mode] = pruneNgrams(mp, minCount);
    modes[mode] = mp;
  }
  const priors: Priors = {
    format: PRIORS_FORMAT,
    provenance: {
      source: `distilled from ${report.usedByMode.reading + report.usedByMode.writing} scan paths`,
      tool: 'eyemulator priors distill',
      ...(opts.modeFilter ? { modeFilter: opts.modeFilter } : {}),
      ...opts.provenance,
    },
    minCount,
    ngramOrder: order,
    modes,
  };
  return { priors, report };
}

/** Reads and distils JSONL files; errors at file:line. */
export function distillFiles(files: readonly string[], opts: DistillOptions = {}): { priors: Priors; report: DistillReport } {
  const paths = files.flatMap((f) => readScanPaths(f));
  const out = distillPriors(paths, { ...opts, provenance: { inputs: [...files], ...opts.provenance } });
  return out;
}
