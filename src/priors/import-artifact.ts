/**
 * Imports the EyeMulator artifact's priors folder (`priors/{combined,reading,writing}/`) into the
 * project's format. The artifact has known defects (METHOD.md §3, shared/README.md): its monogram
 * file holds single-character keys that are not labels, and its n-gram files were not pruned. The
 * importer drops every non-label key and prunes below minCount, and reports both — counts and
 * examples — because silently changing published numbers would hide what the priors really are.
 *
 * The artifact's n-gram keys are stringified Python tuples ("('parameter', 'loop')"). In the
 * shipped files every tuple is sorted by name (none has a repeated label), so they are label *sets*
 * in canonical order, not visit sequences; the importer detects this and records
 * `ngramOrder: "sorted"` so that look-ups sort their labels the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isLabelName } from '../code/labels.ts';
import { InputError } from '../util/errors.ts';
import {
  canonicalNgramKey,
  MODES,
  PRIORS_FORMAT,
  type LabelPrior,
  type Mode,
  type ModePriors,
  type NgramOrder,
  type Priors,
} from './format.ts';
import { pruneNgrams, formatPruneReport, type PruneReport } from './prune.ts';
import { stripBom } from '../util/json.ts';

export const ARTIFACT_FILES = {
  beta: 'beta_distribution.json',
  '1': 'monogram_counts.json',
  '2': 'bigram_counts.json',
  '3': 'trigram_counts.json',
} as const;

export interface ImportOptions {
  /** n-grams seen fewer times are pruned (METHOD.md §3 default 5). */
  minCount?: number;
  /** How the artifact's tuple keys are ordered; "auto" detects it (sorted iff every key is sorted). */
  ngramOrder?: NgramOrder | 'auto';
  /** Extra provenance fields to record. */
  provenance?: Record<string, unknown>;
}

/** What was dropped from one file, with a few examples. */
export interface DropEntry {
  mode: Mode;
  file: string;
  /** Distinct keys / entries dropped. */
  dropped: number;
  /** Sum of their counts (for count files) or of their word_count (for beta_distribution). */
  occurrences: number;
  examples: string[];
  reason: string;
}

export interface ImportReport {
  dir: string;
  modes: Mode[];
  missingModes: Mode[];
  dropped: DropEntry[];
  pruned: Partial<Record<Mode, PruneReport>>;
  minCount: number;
  ngramOrder: NgramOrder;
  orderEvidence: string;
  /** Files in the mode folders that were not imported, and why. */
  ignored: string[];
  /** Checks worth knowing (e.g. whether combined = reading + writing). */
  notes: string[];
}

export const ARTIFACT_PROVENANCE = {
  source:
    'EyeMulator public artifact, priors/{combined,reading,writing} (human-attention priors distilled from the EyeTrans eye-tracking study: 27 programmers reading and writing Java)',
  citations: [
    'Zhang, Huang, Zhang, Zhang, Li, McMillan, Leach, Huang. EyeMulator: Improving Code Language Models by Mimicking Human Visual Attention. ACL 2026.',
    'Zhang, Bansal, Karas, Huang, Li, McMillan, Leach, Huang. EyeTrans: Merging Human and Machine Attention for Neural Code Summarization. FSE 2024.',
  ],
  license: 'CC-BY-4.0 (data); credit both papers wherever results derived from these priors are printed or shipped',
};

/** Parses a stringified Python tuple of strings ("('a', 'b')", "('a',)"); null if it is not one. */
export function parsePythonTuple(text: string): string[] | null {
  const s = text.trim();
  let i = 0;
  const out: string[] = [];
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  if (s[i] !== '(') return null;
  i++;
  ws();
  if (s[i] === ')') return i === s.length - 1 ? out : null;
  for (;;) {
    ws();
    const q = s[i];
    if (q !== "'" && q !== '"') return null;
    i++;
    let item = '';
    for (;;) {
      if (i >= s.length) return null;
      const ch = s[i];
      if (ch === '\\') {
        const nx = s[i + 1];
        item += nx === 'n' ? '\n' : nx === 't' ? '\t' : nx;
        i += 2;
        continue;
      }
      i++;
      if (ch === q) break;
      item += ch;
    }
    out.push(item);
    ws();
    if (s[i] === ',') {
      i++;
      ws();
      if (s[i] === ')') return i === s.length - 1 ? out : null;
      continue;
    }
    if (s[i] === ')') return i === s.length - 1 ? out : null;
    return null;
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    return JSON.parse(stripBom(text));
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
}

function countOf(value: unknown, file: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InputError(`field ${field}: expected a non-negative integer count, got ${JSON.stringify(value)}`, { file });
  }
  return value;
}

/** Locates the folder holding combined/, reading/, writing/ (accepts the artifact root or its priors/). */
function priorsRoot(dir: string): string {
  if (MODES.some((m) => existsSync(join(dir, m, ARTIFACT_FILES.beta)))) return dir;
  const inner = join(dir, 'priors');
  if (MODES.some((m) => existsSync(join(inner, m, ARTIFACT_FILES.beta)))) return inner;
  throw new InputError(
    `no artifact priors found: expected ${dir}/[priors/]{combined,reading,writing}/${ARTIFACT_FILES.beta}`,
    { file: dir },
  );
}

const MAX_EXAMPLES = 8;

function importLabels(file: string, mode: Mode, drops: DropEntry[]): Record<string, LabelPrior> {
  const raw = readJson(file);
  if (!Array.isArray(raw)) throw new InputError('expected a JSON array of per-label entries', { file });
  const labels: Record<string, LabelPrior> = {};
  const bad: string[] = [];
  let badWords = 0;
  raw.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null) throw new InputError(`field [${i}]: expected an object`, { file });
    const e = entry as Record<string, unknown>;
    const name = e.semantic_label;
    if (typeof name !== 'string') throw new InputError(`field [${i}].semantic_label: expected a string`, { file });
    const fixated = countOf(e.saccades_count, file, `[${i}].saccades_count`);
    const shown = countOf(e.word_count, file, `[${i}].word_count`);
    const alpha = e.alpha;
    const beta = e.beta;
    for (const [k, v] of [['alpha', alpha], ['beta', beta]] as const) {
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
        throw new InputError(`field [${i}].${k}: expected a positive number, got ${JSON.stringify(v)}`, { file });
      }
    }
    if (fixated > shown) throw new InputError(`field [${i}]: saccades_count ${fixated} exceeds word_count ${shown}`, { file });
    if (!isLabelName(name)) {
      bad.push(name);
      badWords += shown;
      return;
    }
    if (labels[name]) throw new InputError(`field [${i}].semantic_label: "${name}" appears twice`, { file });
    labels[name] = { alpha: alpha as number, beta: beta as number, fixated, shown };
  });
  if (bad.length) {
    drops.push({ mode, file, dropped: bad.length, occurrences: badWords, examples: bad.slice(0, MAX_EXAMPLES), reason: 'not a semantic label' });
  }
  return labels;
}

interface RawNgrams {
  counts: Record<string, number>;
  /** Label tuples as they appear in the file, for order detection. */
  tuples: string[][];
}

function importNgrams(file: string, mode: Mode, n: 1 | 2 | 3, drops: DropEntry[]): RawNgrams {
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError('expected a JSON object of n-gram → count', { file });
  }
  const tuples: string[][] = [];
  const counts: Record<string, number> = {};
  const bad: string[] = [];
  let badOcc = 0;
  const wrongArity: string[] = [];
  let wrongArityOcc = 0;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const c = countOf(value, file, JSON.stringify(key));
    let labels: string[];
    if (n === 1) {
      // Monograms are plain label names; a tuple form is accepted too.
      labels = key.startsWith('(') ? (parsePythonTuple(key) ?? [key]) : [key];
    } else {
      const t = parsePythonTuple(key);
      if (!t) throw new InputError(`field ${JSON.stringify(key)}: not a Python tuple of strings`, { file });
      labels = t;
    }
    if (!labels.every(isLabelName)) {
      bad.push(key);
      badOcc += c;
      continue;
    }
    if (labels.length !== n) {
      wrongArity.push(key);
      wrongArityOcc += c;
      continue;
    }
    tuples.push(labels);
    counts[labels.join('\u0000')] = c;
  }
  if (bad.length) {
    drops.push({ mode, file, dropped: bad.length, occurrences: badOcc, examples: bad.slice(0, MAX_EXAMPLES).map((k) => JSON.stringify(k)), reason: 'key is not a semantic label' + (n > 1 ? ' tuple' : '') });
  }
  if (wrongArity.length) {
    drops.push({ mode, file, dropped: wrongArity.length, occurrences: wrongArityOcc, examples: wrongArity.slice(0, MAX_EXAMPLES), reason: `not a ${n}-gram` });
  }
  return { counts, tuples };
}

function isSorted(t: readonly string[]): boolean {
  for (let i = 1; i < t.length; i++) if (t[i - 1] > t[i]) return false;
  return true;
}

/** Reads the artifact's priors folder, cleans and prunes it; returns the priors and what was done. */
export function importArtifactPriors(dir: string, opts: ImportOptions = {}): { priors: Priors; report: ImportReport } {
  const minCount = opts.minCount ?? 5;
  const root = priorsRoot(dir);
  const drops: DropEntry[] = [];
  const present = MODES.filter((m) => existsSync(join(root, m)));
  const raw: Partial<Record<Mode, { labels: Record<string, LabelPrior>; ngrams: Record<'1' | '2' | '3', RawNgrams> }>> = {};
  const ignored: string[] = [];
  for (const mode of present) {
    const folder = join(root, mode);
    const labels = importLabels(join(folder, ARTIFACT_FILES.beta), mode, drops);
    const ngrams = {
      '1': importNgrams(join(folder, ARTIFACT_FILES['1']), mode, 1, drops),
      '2': importNgrams(join(folder, ARTIFACT_FILES['2']), mode, 2, drops),
      '3': importNgrams(join(folder, ARTIFACT_FILES['3']), mode, 3, drops),
    };
    raw[mode] = { labels, ngrams };
    if (existsSync(join(folder, 'indexed_ngrams.json'))) {
      ignored.push(`${mode}/indexed_ngrams.json (an id index of words and n-grams, not counts: nothing to import)`);
    }
  }

  // Order convention: the artifact's tuples are sorted whenever every multi-label key is sorted.
  const multi = present.flatMap((m) => [...raw[m]!.ngrams['2'].tuples, ...raw[m]!.ngrams['3'].tuples]);
  const unsorted = multi.filter((t) => !isSorted(t)).length;
  const withRepeats = multi.filter((t) => new Set(t).size < t.length).length;
  let ngramOrder: NgramOrder;
  let orderEvidence: string;
  const requested = opts.ngramOrder ?? 'auto';
  if (requested === 'auto') {
    ngramOrder = multi.length > 0 && unsorted === 0 ? 'sorted' : 'sequence';
    orderEvidence =
      `${multi.length} bi/trigram keys, ${unsorted} not in sorted order, ${withRepeats} with a repeated label → ngramOrder "${ngramOrder}"` +
      (ngramOrder === 'sorted' ? ' (keys are label sets in canonical order; look-ups sort their labels)' : '');
  } else {
    ngramOrder = requested;
    orderEvidence = `ngramOrder "${requested}" as requested (${unsorted} of ${multi.length} keys not in sorted order)`;
  }

  const modes: Priors['modes'] = {};
  const pruned: ImportReport['pruned'] = {};
  const notes: string[] = [];
  for (const mode of present) {
    const r = raw[mode]!;
    const mp: ModePriors = { labels: r.labels, ngrams: { '1': {}, '2': {}, '3': {} } };
    let merged = 0;
    for (const n of ['1', '2', '3'] as const) {
      const table = mp.ngrams[n];
      for (const [joined, c] of Object.entries(r.ngrams[n].counts)) {
        const key = canonicalNgramKey(joined.split('\u0000'), ngramOrder);
        if (table[key] !== undefined) merged++;
        table[key] = (table[key] ?? 0) + c;
      }
    }
    if (merged) notes.push(`${mode}: ${merged} n-gram keys merged by sorting their labels`);
    pruned[mode] = pruneNgrams(mp, minCount);
    modes[mode] = mp;
  }

  // Whether the artifact's combined really is reading + writing (METHOD.md §3): worth knowing.
  if (modes.combined && modes.reading && modes.writing) {
    const diffs: string[] = [];
    const names = new Set([...Object.keys(modes.combined.labels), ...Object.keys(modes.reading.labels), ...Object.keys(modes.writing.labels)]);
    for (const name of names) {
      const c = modes.combined.labels[name];
      const r = modes.reading.labels[name];
      const w = modes.writing.labels[name];
      const shown = (r?.shown ?? 0) + (w?.shown ?? 0);
      const fixated = (r?.fixated ?? 0) + (w?.fixated ?? 0);
      if (!c || c.shown !== shown || c.fixated !== fixated) diffs.push(name);
    }
    notes.push(
      diffs.length === 0
        ? 'combined = reading + writing for every label (shown and fixated counts)'
        : `combined differs from reading + writing for: ${diffs.join(', ')}`,
    );
  }

  const missingModes = MODES.filter((m) => !present.includes(m));
  const priors: Priors = {
    format: PRIORS_FORMAT,
    provenance: {
      ...ARTIFACT_PROVENANCE,
      // Folder names only: the shipped file must not depend on where the artifact was unpacked.
      importedFrom: `${basename(dirname(root))}/${basename(root)}`,
      tool: 'eyemulator priors import',
      cleaning: `dropped keys that are not semantic labels (${drops.reduce((s, d) => s + d.dropped, 0)} entries); pruned n-grams with count < ${minCount}`,
      ...opts.provenance,
    },
    minCount,
    ngramOrder,
    modes,
  };
  return {
    priors,
    report: { dir: root, modes: present, missingModes, dropped: drops, pruned, minCount, ngramOrder, orderEvidence, ignored, notes },
  };
}

/** The report as lines for people. */
export function formatImportReport(r: ImportReport): string {
  const out: string[] = [];
  out.push(`imported modes: ${r.modes.join(', ')}${r.missingModes.length ? ` (absent: ${r.missingModes.join(', ')})` : ''}`);
  if (r.dropped.length === 0) out.push('dropped: nothing');
  for (const d of r.dropped) {
    out.push(
      `dropped from ${d.mode}/${basename(d.file)}: ${d.dropped} keys (${d.occurrences} occurrences), ${d.reason}; e.g. ${d.examples.join(', ')}`,
    );
  }
  for (const m of r.modes) {
    const p = r.pruned[m];
    if (p) out.push('pruned ' + formatPruneReport(m, p, r.minCount) + ' (the artifact\'s files were not pruned)');
  }
  out.push(`n-gram keys: ${r.orderEvidence}`);
  for (const i of r.ignored) out.push(`not imported: ${i}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

