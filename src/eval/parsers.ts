/**
 * Tree-sitter parsers for the metrics, shared with the code labeller (src/code/parser.ts loads each
 * grammar once per process). The metrics name C# `c_sharp` (CodeBLEU's spelling); the pinned
 * grammar versions matter because CodeBLEU's AST and data-flow components read node types.
 * Callers of getParser must `tree.delete()` (WASM memory is not garbage-collected).
 */
import type { Parser, Tree } from 'web-tree-sitter';
import { initParsers, loadedParser, type CodeLang as LabellerLang } from '../code/parser.ts';

export type CodeLang = 'java' | 'c_sharp';

const LABELLER_LANG: Record<CodeLang, LabellerLang> = { java: 'java', c_sharp: 'csharp' };

/** A ready parser for `lang` (loads the runtime and grammar on first use). */
export async function getParser(lang: CodeLang): Promise<Parser> {
  const l = LABELLER_LANG[lang];
  await initParsers([l]);
  return loadedParser(l)!;
}

/** Parse `code` and hand the tree to `fn`; the tree is deleted afterwards. */
export async function withTree<T>(lang: CodeLang, code: string, fn: (tree: Tree) => T): Promise<T> {
  const parser = await getParser(lang);
  const tree = parser.parse(code);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${lang}`);
  try {
    return fn(tree);
  } finally {
    tree.delete();
  }
}
