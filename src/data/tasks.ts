/**
 * Task examples `{ id, task, input, target }` for the three tasks of METHOD.md §7, from the shared
 * data (see shared/README.md), with provenance (sha256 per file) and a skip report.
 *
 * Sources:
 * - translation, CodeXGLUE (`codexglue/java-cs/<split>.java-cs.txt.{java,cs}`, line-aligned):
 *   input = the Java line, target = the C# line; id `codexglue-java-cs/<split>:<line>`.
 *   Empty lines or a line-count mismatch are errors (src/data/codexglue.ts).
 * - any task, artifact JSONL (`eyemulator/dataset_sample/<task>_{train,valid}_sample.jsonl`,
 *   `eyemulator/corpus/<task>_valid.jsonl`): id `<file name without .jsonl>:<line>`.
 *   - translation: input = `code` (Java), target = `content` (C#);
 *   - summarization: input = `code`, target = `content` (the English summary, as stored);
 *   - completion: in the artifact `content` is the whole Java file (`code` is the same text with a
 *     leading space and trailing newline), so the pair is made by a deterministic line split of
 *     `content`: with L lines, the input is the first c lines and the target the rest, where c is
 *     round(L · completionSplit) (default 0.5) clamped to [1, L − 1] and then moved to the nearest
 *     cut (earlier first) that leaves non-blank text on both sides. Input and target are their
 *     lines joined by "\n" (the line break at the cut belongs to neither; trailing line breaks of
 *     the file are dropped; \r\n becomes \n). A file with fewer than two non-blank lines is
 *     skipped and counted ("completion: fewer than 2 non-blank lines").
 * Ids are stable (file + line), so scores of different runs can be paired by id.
 */
import { basename, join } from 'node:path';
import { stat } from 'node:fs/promises';
import { readCodexglueSplit } from './codexglue.ts';
import { readArtifactJsonl, sha256File, summarizeSkips, type FileProvenance, type Skip, type SkipReport } from './artifact-jsonl.ts';
import { TASK_NAMES, type TaskName } from './task-names.ts';
import { bundledDataRoot, dataRoot } from '../util/paths.ts';
import { OptionError } from '../util/errors.ts';

// The task list is defined once, in ./task-names.ts; this module (what the public API names) re-exports it.
export { TASK_NAMES };

export interface TaskExample {
  /** Stable id: `<source>:<1-based line>`. */
  id: string;
  task: TaskName;
  /** Java code shown in the prompt. */
  input: string;
  /** What the model must produce (before EOS). */
  target: string;
  /** Where it came from. */
  source: { file: string; line: number };
}

export type TaskSource =
  | { kind: 'codexglue'; dir: string; split: 'train' | 'valid' | 'test' }
  | { kind: 'artifact'; file: string; task: TaskName };

export interface TaskLoadOptions {
  /** Completion only: share of the lines given as input (default 0.5). */
  completionSplit?: number;
}

export interface TaskData {
  task: TaskName;
  examples: TaskExample[];
  files: FileProvenance[];
  skips: Skip[];
  skipped: SkipReport;
}

export function isTaskName(s: string): s is TaskName {
  return (TASK_NAMES as readonly string[]).includes(s);
}

export function parseTaskName(s: string): TaskName {
  if (!isTaskName(s)) throw new OptionError(`unknown task "${s}" (use ${TASK_NAMES.join(', ')})`);
  return s;
}

/** The shared data's files for a task and split (see the file comment). */
export function defaultTaskSource(task: TaskName, split: 'train' | 'valid', opts: { root?: string; artifact?: 'sample' | 'corpus' } = {}): TaskSource {
  const root = opts.root ?? dataRoot();
  // CodeXGLUE java-cs ships with the project (data/codexglue, README there): the main job runs from a
  // clone alone. EYEMULATOR_DATA or an explicit root still points elsewhere.
  if (task === 'translation' && opts.artifact === undefined)
    return { kind: 'codexglue', dir: join(opts.root || process.env.EYEMULATOR_DATA ? root : bundledDataRoot(), 'codexglue', 'java-cs'), split };
  const which = opts.artifact ?? (split === 'valid' && task === 'summarization' ? 'corpus' : 'sample');
  if (which === 'corpus') {
    if (split !== 'valid' || task === 'completion') throw new OptionError(`the artifact corpus has only translation and summarization valid files, not ${task} ${split}`);
    return { kind: 'artifact', file: join(root, 'eyemulator', 'corpus', `${task}_valid.jsonl`), task };
  }
  return { kind: 'artifact', file: join(root, 'eyemulator', 'dataset_sample', `${task}_${split}_sample.jsonl`), task };
}

/**
 * The completion cut of a Java file (see the file comment): [input, target], or null when the
 * file has fewer than two non-blank lines.
 */
export function splitForCompletion(text: string, fraction = 0.5): [string, string] | null {
  if (!(fraction > 0 && fraction < 1)) throw new OptionError(`completion split must be in (0, 1), got ${fraction}`);
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const L = lines.length;
  if (L < 2) return null;
  const ok = (c: number) => lines.slice(0, c).some((l) => l.trim() !== '') && lines.slice(c).some((l) => l.trim() !== '');
  const c0 = Math.min(L - 1, Math.max(1, Math.round(L * fraction)));
  for (let d = 0; d < L; d++) {
    for (const c of [c0 - d, c0 + d]) {
      if (c >= 1 && c <= L - 1 && ok(c)) return [lines.slice(0, c).join('\n'), lines.slice(c).join('\n')];
    }
  }
  return null;
}

async function provenance(path: string, lines: number): Promise<FileProvenance> {
  const { size } = await stat(path);
  return { path, sha256: await sha256File(path), bytes: size, lines };
}

export async function loadTask(source: TaskSource, opts: TaskLoadOptions = {}): Promise<TaskData> {
  if (source.kind === 'codexglue') {
    const pairs = readCodexglueSplit(source.dir, source.split);
    const jf = join(source.dir, `${source.split}.java-cs.txt.java`);
    const cf = join(source.dir, `${source.split}.java-cs.txt.cs`);
    const tag = `codexglue-java-cs/${source.split}`;
    const examples = pairs.map((p): TaskExample => ({
      id: `${tag}:${p.id + 1}`,
      task: 'translation',
      input: p.java,
      target: p.cs,
      source: { file: jf, line: p.id + 1 },
    }));
    return { task: 'translation', examples, files: [await provenance(jf, pairs.length), await provenance(cf, pairs.length)], skips: [], skipped: summarizeSkips([]) };
  }
  const { file, task } = source;
  if (!isTaskName(task)) throw new OptionError(`unknown task "${String(task)}" (use ${TASK_NAMES.join(', ')})`);
  const fraction = opts.completionSplit ?? 0.5;
  const read = await readArtifactJsonl(file);
  const tag = basename(file).replace(/\.jsonl$/, '');
  const skips = [...read.skips];
  const examples: TaskExample[] = [];
  for (const r of read.records) {
    let input = r.code;
    let target = r.content;
    if (task === 'completion') {
      const cut = splitForCompletion(r.content, fraction);
      if (!cut) { skips.push({ file, line: r.line, reason: 'completion: fewer than 2 non-blank lines' }); continue; }
      [input, target] = cut;
    }
    examples.push({ id: `${tag}:${r.line}`, task, input, target, source: { file, line: r.line } });
  }
  skips.sort((a, b) => a.line - b.line);
  return { task, examples, files: [read.provenance], skips, skipped: summarizeSkips(skips) };
}

/** One line per file (path, sha256 prefix, size) plus the skip report: what a run prints. */
export function formatTaskData(d: TaskData): string {
  const files = d.files.map((f) => `  ${f.path}  sha256 ${f.sha256.slice(0, 16)}…  ${f.bytes} bytes, ${f.lines} lines`);
  const skipLine = d.skipped.total === 0 ? 'skipped: none' : `skipped: ${d.skipped.total} (${Object.entries(d.skipped.byReason).map(([r, v]) => `${v.count} × ${r}`).join('; ')})`;
  return [`${d.task}: ${d.examples.length} examples`, ...files, `  ${skipLine}`].join('\n');
}
