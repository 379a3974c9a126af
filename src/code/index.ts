/**
 * Code labeller: tree-sitter leaves of Java / C# code with the semantic labels of METHOD.md §1.
 */
import { extname } from 'node:path';
import { Labeller, type RawTokens } from './engine.ts';
import { codePointLength, isPairTail } from '../util/code-points.ts';
import { labelName, type LabelName } from './labels.ts';
import { checkLang, initParsers, loadedParser, type CodeLang } from './parser.ts';

export type { CodeLang } from './parser.ts';
export { CODE_LANGS, grammarWasmPath } from './parser.ts';
export type { LabelName } from './labels.ts';

export interface CodeToken {
  /** Source text of the leaf token (a whole comment / string literal is one token). */
  text: string;
  /** UTF-16 offset (JS string index), inclusive. */
  start: number;
  /** UTF-16 offset, exclusive. */
  end: number;
  /** Same in Unicode code points (HF tokenizers report code-point offsets). */
  startCp: number;
  endCp: number;
  /** 1-based source line of the token start. */
  line: number;
  /** Semantic label; null = unlabelled (id 0). */
  label: LabelName | null;
  labelId: number;
  /** True for ( ) { } ; , . [ ] — punctuation the artifact drops from its token stream. */
  punct: boolean;
}

const labellers = new Map<CodeLang, Labeller>();

/** Loads the wasm grammars of `langs` (default: Java and C#) once per process. */
export async function initLabeller(langs?: CodeLang[]): Promise<void> {
  await initParsers(langs);
}

function labellerFor(lang: CodeLang): Labeller {
  let l = labellers.get(checkLang(lang));
  if (!l) {
    const parser = loadedParser(lang);
    if (!parser) {
      throw new Error(`code labeller: the ${lang} grammar is not loaded; await initLabeller(['${lang}']) first (or use labelCode())`);
    }
    l = new Labeller(lang, parser);
    labellers.set(lang, l);
  }
  return l;
}

/**
 * A place in the code the parser could not parse (tree-sitter ERROR / MISSING node). Its tokens are
 * unlabelled (label null, id 0), so they get no pseudo-path weight instead of a wrong label.
 */
export interface CodeParseIssue {
  kind: 'error' | 'missing';
  /** UTF-16 offsets of the affected region in the code (for `missing`: the repaired construct). */
  start: number;
  end: number;
  /** 1-based line and column (UTF-16 units) of `start`. */
  line: number;
  column: number;
  /** For `missing`: the token the parser had to insert, e.g. ")". */
  missing?: string;
  /** The region's text, on one line, at most 60 characters. */
  excerpt: string;
}

/** Labelled tokens and the parse issues behind any unlabelled region. */
export interface LabelledCode {
  tokens: CodeToken[];
  issues: CodeParseIssue[];
}

/** Labels `code` and reports where it did not parse; the grammar must be loaded (initLabeller). */
export function labelCodeDetailed(code: string, lang: CodeLang): LabelledCode {
  const raw = labellerFor(lang).label(code);
  return { tokens: toTokens(code, raw), issues: raw.issues.map((r) => describeIssue(code, r)) };
}

/** Labels `code` (a bare method or a compilation unit); the grammar must be loaded (initLabeller). */
export function labelCodeSync(code: string, lang: CodeLang): CodeToken[] {
  return toTokens(code, labellerFor(lang).label(code));
}

function describeIssue(code: string, r: { kind: 'error' | 'missing'; start: number; end: number; missing?: string }): CodeParseIssue {
  let line = 1, lineStart = 0;
  for (let i = 0; i < r.start; i++) if (code.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  const flat = code.slice(r.start, r.end).replace(/\s+/g, ' ').trim();
  return {
    kind: r.kind, start: r.start, end: r.end, line, column: r.start - lineStart + 1,
    ...(r.missing !== undefined ? { missing: r.missing } : {}),
    excerpt: flat.length > 60 ? flat.slice(0, 59) + '…' : flat,
  };
}

/** "3:12: could not parse `(String id)`" / "2:5: missing \")\" in `( o instanceof …`" — for warnings after a file name. */
export function formatParseIssue(i: CodeParseIssue): string {
  const what = i.kind === 'missing' ? `missing ${JSON.stringify(i.missing)} in \`${i.excerpt}\`` : `could not parse \`${i.excerpt}\``;
  return `${i.line}:${i.column}: ${what} (its tokens are left unlabelled)`;
}

/** Like labelCodeSync, loading the grammar first if needed. */
export async function labelCode(code: string, lang: CodeLang): Promise<CodeToken[]> {
  if (!loadedParser(checkLang(lang))) await initParsers([lang]);
  return labelCodeSync(code, lang);
}

/** Language of a file from its extension (.java / .cs), or null. */
export function langFromPath(path: string): CodeLang | null {
  const ext = extname(path).toLowerCase();
  if (ext === '.java') return 'java';
  if (ext === '.cs') return 'csharp';
  return null;
}

/**
 * Builds the token objects. Lines and code-point offsets are counted in one forward scan over the
 * text (tokens are in source order), so no per-token position objects come from the parser.
 */
function toTokens(code: string, raw: RawTokens): CodeToken[] {
  const n = raw.start.length;
  const out: CodeToken[] = new Array(n);
  let pos = 0, line = 1, surrogates = 0; // state at `pos`: line number, low surrogates before it
  const advance = (to: number): void => {
    for (; pos < to; pos++) {
      const ch = code.charCodeAt(pos);
      if (ch === 10) line++;
      else if (isPairTail(code, pos)) surrogates++;
    }
  };
  for (let i = 0; i < n; i++) {
    const start = raw.start[i], end = raw.end[i];
    advance(start);
    const startCp = start - surrogates, tokLine = line;
    // Only the token's own text is scanned for its length (surrogate pairs shorten it).
    const endCp = startCp + codePointLength(code, start, end);
    const id = raw.label[i];
    out[i] = {
      text: code.slice(start, end),
      start,
      end,
      startCp,
      endCp,
      line: tokLine,
      label: labelName(id),
      labelId: id,
      punct: raw.punct[i],
    };
  }
  return out;
}

export { Agreement, alignTokens, readArtifactJsonl, STRUCTURAL_LABELS, type ArtifactExample } from './agreement.ts';
