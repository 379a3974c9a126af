/**
 * The one way external JSON / JSONL files are read and JSON files are written.
 *
 * Reading: a leading UTF-8 byte-order mark (U+FEFF, written by some Windows editors and tools) is
 * stripped before parsing — `JSON.parse` rejects it, Python's `json.load(open(..., encoding="utf-8"))`
 * does too, but transformers reads with `utf-8` and users' files do arrive with one, and the C++
 * engine already accepts it — so every reader in src/ agrees. Bad JSON is an `InputError` that names
 * the file (and line, for JSONL) and keeps the parser's message.
 *
 * Writing: `writeJsonAtomic` / `writeTextAtomic` are atomic-write.ts's (temp file beside the
 * target, fsync, rename, fsync of the folder; FileSystemError on failure).
 */
import { readFileSync } from 'node:fs';
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

// The writers live in atomic-write.ts (one definition for files and folders); re-exported here
// because most callers read and write JSON through this module.
export { writeJsonAtomic, writeTextAtomic } from './atomic-write.ts';
