/**
 * The EyeMulator artifact's task files (`dataset_sample/<task>_{train,valid}_sample.jsonl`,
 * `corpus/<task>_valid.jsonl`): one JSON object per line with `code` (Java), `content` (the target:
 * C#, an English summary, or — for completion — the same Java file), and annotations
 * (`code_tokens`, `line_numbers`, `semantic_token_sequence`, `mask`, `ngram_indices`,
 * `order_sequence`, `ngrams`, `code_occurrence`, `flag`, `code_content_hash`).
 *
 * Read line by line (readBoundedLines), so big files stream. Rules:
 * - a line that is not a JSON object, or whose `code`/`content` is missing or not a string, or whose
 *   annotation arrays have the wrong type, is an InputError naming `file:line` (a broken file is
 *   never half-used);
 * - a blank line, or a record whose `code` or `content` is empty after trimming, is skipped and
 *   counted with its line number and reason (never dropped silently);
 * - a line longer than MAX_JSONL_LINE_BYTES is skipped and counted the same way, without being held
 *   in memory.
 * The file's sha256 is computed from the same bytes for provenance.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../util/errors.ts';
import { stripBom } from '../util/json.ts';

export interface ArtifactRecord {
  /** 1-based line number in the file. */
  line: number;
  code: string;
  content: string;
  codeContentHash?: string;
  flag?: string;
  codeTokens?: string[];
  lineNumbers?: number[];
  semanticTokenSequence?: number[];
}

export interface Skip {
  file: string;
  line: number;
  reason: string;
}

/** Skips grouped by reason: counts, and the first few locations of each. */
export interface SkipReport {
  total: number;
  byReason: Record<string, { count: number; examples: string[] }>;
}

export interface FileProvenance {
  path: string;
  sha256: string;
  bytes: number;
  /** Lines read (including blank ones). */
  lines: number;
}

export interface ArtifactFile {
  records: ArtifactRecord[];
  skips: Skip[];
  provenance: FileProvenance;
}

const SKIP_EXAMPLES = 5;

export function summarizeSkips(skips: readonly Skip[]): SkipReport {
  const byReason: SkipReport['byReason'] = {};
  for (const s of skips) {
    const r = (byReason[s.reason] ??= { count: 0, examples: [] });
    r.count++;
    if (r.examples.length < SKIP_EXAMPLES) r.examples.push(`${s.file}:${s.line}`);
  }
  return { total: skips.length, byReason };
}

export function formatSkipReport(r: SkipReport): string {
  if (r.total === 0) return 'skipped: none';
  const parts = Object.entries(r.byReason)
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .map(([reason, { count, examples }]) => `  ${count} × ${reason} (e.g. ${examples.join(', ')}${count > examples.length ? ', …' : ''})`);
  return [`skipped: ${r.total}`, ...parts].join('\n');
}

/** sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function optionalArray<T>(v: unknown, field: string, check: (x: unknown) => x is T, where: { file: string; line: number }): T[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every(check)) throw new InputError(`field "${field}" must be an array of ${field === 'code_tokens' ? 'strings' : 'numbers'}`, where);
  return v as T[];
}
const isString = (x: unknown): x is string => typeof x === 'string';
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Parses one artifact line (already known to be non-blank). */
export function parseArtifactLine(text: string, where: { file: string; line: number }): ArtifactRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(stripBom(text));
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, where, { cause: err });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError('expected a JSON object per line', where);
  const o = obj as Record<string, unknown>;
  for (const f of ['code', 'content'] as const) {
    if (!(f in o)) throw new InputError(`missing field "${f}"`, where);
    if (typeof o[f] !== 'string') throw new InputError(`field "${f}" must be a string, got ${o[f] === null ? 'null' : typeof o[f]}`, where);
  }
  for (const f of ['code_content_hash', 'flag'] as const) {
    if (o[f] !== undefined && o[f] !== null && typeof o[f] !== 'string') throw new InputError(`field "${f}" must be a string`, where);
  }
  return {
    line: where.line,
    code: o.code as string,
    content: o.content as string,
    codeContentHash: (o.code_content_hash as string | null | undefined) ?? undefined,
    flag: (o.flag as string | null | undefined) ?? undefined,
    codeTokens: optionalArray(o.code_tokens, 'code_tokens', isString, where),
    lineNumbers: optionalArray(o.line_numbers, 'line_numbers', isNumber, where),
    semanticTokenSequence: optionalArray(o.semantic_token_sequence, 'semantic_token_sequence', isNumber, where),
  };
}

/**
 * The longest JSONL line read (bytes, newline excluded): 4 MiB. Training and evaluation examples
 * are cut to the model's context (a few thousand tokens, tens of kilobytes of code); a longer line
 * is not an example but a mistake (one 30 MB `code` string drove a run past 8 GB in tokenising and
 * labelling), so it is skipped and reported, never buffered beyond the cap.
 */
export const MAX_JSONL_LINE_BYTES = 4 * 2 ** 20;

/** One line of a JSONL file: its text, or — over the cap — only its length. */
export type BoundedLine = { line: number; text: string; bytes?: undefined } | { line: number; text?: undefined; bytes: number };

/**
 * Streams the lines of a UTF-8 text file (LF or CRLF; 1-based numbers) holding at most `maxBytes`
 * of any line in memory: a longer line is consumed to its end and returned as its byte count only.
 * Throws InputError naming the file when it is missing or not a regular file.
 */
export async function* readBoundedLines(file: string, maxBytes = MAX_JSONL_LINE_BYTES): AsyncGenerator<BoundedLine> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new InputError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, { file });
  }
  if (!st.isFile()) throw new InputError('not a regular file (a .jsonl file is expected here)', { file });
  let parts: Buffer[] = [];
  let held = 0; // bytes in parts
  let length = 0; // bytes of the current line so far
  let line = 0;
  const finish = (): BoundedLine => {
    line++;
    if (length > maxBytes) return { line, bytes: length };
    let buf = Buffer.concat(parts, held);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    return { line, text: buf.toString('utf8') };
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      length += piece.length;
      if (length <= maxBytes + 1) {
        parts.push(piece);
        held += piece.length;
      } else if (held > 0) {
        parts = []; // over the cap: drop what was held, keep counting
        held = 0;
      }
      if (nl < 0) break;
      yield finish();
      parts = [];
      held = 0;
      length = 0;
      start = nl + 1;
    }
  }
  if (length > 0) yield finish();
}

/** Streams the records of an artifact JSONL file; skipped lines go to `onSkip`. */
export async function* streamArtifactJsonl(file: string, onSkip: (s: Skip) => void = () => {}): AsyncGenerator<ArtifactRecord> {
  if (!existsSync(file)) throw new InputError('missing artifact JSONL file', { file });
  for await (const l of readBoundedLines(file)) {
    const line = l.line;
    if (l.text === undefined) {
      onSkip({ file, line, reason: `line longer than ${MAX_JSONL_LINE_BYTES / 2 ** 20} MiB` });
      continue;
    }
    const text = l.text;
    if (text.trim() === '') {
      onSkip({ file, line, reason: 'blank line' });
      continue;
    }
    const rec = parseArtifactLine(text, { file, line });
    if (rec.code.trim() === '') { onSkip({ file, line, reason: 'empty code' }); continue; }
    if (rec.content.trim() === '') { onSkip({ file, line, reason: 'empty content (target)' }); continue; }
    yield rec;
  }
}

/** Reads a whole artifact JSONL file with its skips and provenance (sha256 of the bytes read). */
export async function readArtifactJsonl(file: string): Promise<ArtifactFile> {
  const skips: Skip[] = [];
  const records: ArtifactRecord[] = [];
  let lastLine = 0;
  for await (const r of streamArtifactJsonl(file, (s) => { skips.push(s); lastLine = Math.max(lastLine, s.line); })) {
    records.push(r);
    lastLine = Math.max(lastLine, r.line);
  }
  const { size } = await stat(file);
  return { records, skips, provenance: { path: file, sha256: await sha256File(file), bytes: size, lines: lastLine } };
}
