/**
 * Loading the tree-sitter grammars (WASM build of the runtime, see ECOSYSTEM-NOTES.md §1: no native
 * compile, same behaviour on every platform). Grammars are loaded once per process and shared.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { OptionError } from '../util/errors.ts';

export type CodeLang = 'java' | 'csharp';

export const CODE_LANGS: readonly CodeLang[] = ['java', 'csharp'];

/** npm package and wasm file of each grammar; resolved from this package, never from the cwd. */
const GRAMMAR_FILES: Record<CodeLang, { pkg: string; wasm: string }> = {
  java: { pkg: 'tree-sitter-java', wasm: 'tree-sitter-java.wasm' },
  csharp: { pkg: 'tree-sitter-c-sharp', wasm: 'tree-sitter-c_sharp.wasm' },
};

const require = createRequire(import.meta.url);

let runtimeReady: Promise<void> | null = null;
const loading = new Map<CodeLang, Promise<Parser>>();
const parsers = new Map<CodeLang, Parser>();

export function checkLang(lang: string): CodeLang {
  if (lang === 'java' || lang === 'csharp') return lang;
  throw new OptionError(`unknown code language "${lang}": use one of ${CODE_LANGS.join(', ')}`);
}

/** Absolute path of a grammar's wasm file inside its npm package. */
export function grammarWasmPath(lang: CodeLang): string {
  const { pkg, wasm } = GRAMMAR_FILES[lang];
  return join(dirname(require.resolve(`${pkg}/package.json`)), wasm);
}

async function load(lang: CodeLang): Promise<Parser> {
  runtimeReady ??= Parser.init();
  await runtimeReady;
  const language = await Language.load(new Uint8Array(await readFile(grammarWasmPath(lang))));
  const parser = new Parser();
  parser.setLanguage(language);
  parsers.set(lang, parser);
  return parser;
}

/** Loads the grammars of `langs` (default: all) once; later calls are free. */
export async function initParsers(langs: readonly CodeLang[] = CODE_LANGS): Promise<void> {
  await Promise.all(
    langs.map((l) => {
      const lang = checkLang(l);
      let p = loading.get(lang);
      if (!p) {
        p = load(lang);
        // A failed load must not poison later attempts (e.g. after the package is installed).
        p.catch(() => loading.delete(lang));
        loading.set(lang, p);
      }
      return p;
    }),
  );
}

/** The loaded parser of `lang`, or null before initParsers(). */
export function loadedParser(lang: CodeLang): Parser | null {
  return parsers.get(lang) ?? null;
}
