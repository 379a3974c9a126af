/**
 * The one way external JSON / JSONL files are read and JSON files are written.
 *
 * Reading: a leading UTF-8 byte-order mark (U+FEFF, written by some Windows editors and tools) is
 * stripped before parsing — `JSON.parse` rejects it, Python's `json.load(open(..., encoding="utf-8"))`
 * does too, but transformers reads with `utf-8` and users' files do arrive with one, and the C++
 * engine already accepts it — so every reader in src/ agrees. Bad JSON is an `InputError` that names
 * the file (and line, for JSONL) and keeps the parser's message.
 *
 * Writing: `writeJsonAtomic` writes a temp file beside the target, fsyncs it, renames it over the
 * target (atomic on POSIX), then fsyncs the folder, so a reader never sees a half-written file and
 * a crash leaves either the old or the new content.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from './errors.ts';

/** Removes one leading UTF-8 BOM (U+FEFF) if present. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSON text (BOM allowed). `where` names the file (and line) for the error message.
 * Throws InputError on invalid JSON.
 */
export function parseJsonText<T = unknown>(text: string, where: { file?: string; line?: number } = {}): T {
  try {
    return JSON.parse(stripBom(text)) as T;
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, where, { cause: e });
  }
}

/**
 * Reads and parses a JSON file (UTF-8, BOM allowed). Throws InputError naming the file when it
 * cannot be read ("no such file" for a missing one) or is not valid JSON.
 */
export function readJsonFile<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`, { file: path }, { cause: e });
  }
  return parseJsonText<T>(text, { file: path });
}

/** `readJsonFile`, or `null` when the file does not exist (other read errors still throw). */
export function readJsonFileIfExists<T = unknown>(path: string): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InputError(`cannot read (${(e as Error).message})`, { file: path }, { cause: e });
  }
  return parseJsonText<T>(text, { file: path });
}

/**
 * Parses line `lineNo` (1-based) of a JSONL file. The first line may start with a BOM (only the
 * first: a BOM elsewhere is data). Throws InputError naming file:line.
 */
export function parseJsonLine<T = unknown>(line: string, file: string | undefined, lineNo: number): T {
  return parseJsonText<T>(lineNo === 1 ? stripBom(line) : line, { file, line: lineNo });
}

/**
 * Writes `value` as pretty JSON (2-space indent, trailing newline) atomically: temp file in the same
 * folder, fsync, rename over `path`, fsync of the folder (best effort: some file systems refuse it).
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Writes `text` to `path` atomically (see writeJsonAtomic). */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Directory fsync is not supported everywhere (e.g. some network file systems); the rename stands.
  }
}
