/**
 * Tree-sitter (WASM) loader for the metrics: Java and C# grammars from the `tree-sitter-java`
 * and `tree-sitter-c-sharp` packages (pinned 0.23.5: node types differ between grammar versions,
 * and CodeBLEU's AST and data-flow components read node types). One Parser per language,
 * created once. Callers must `tree.delete()` (WASM memory is not garbage-collected).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type CodeLang = 'java' | 'c_sharp';

const require = createRequire(import.meta.url);

const WASM: Record<CodeLang, () => string> = {
  java: () => join(dirname(require.resolve('tree-sitter-java/package.json')), 'tree-sitter-java.wasm'),
  c_sharp: () => join(dirname(require.resolve('tree-sitter-c-sharp/package.json')), 'tree-sitter-c_sharp.wasm'),
};

let init: Promise<void> | null = null;
const parsers = new Map<CodeLang, Promise<Parser>>();

/** A ready parser for `lang` (loads the runtime and grammar on first use). */
export function getParser(lang: CodeLang): Promise<Parser> {
  let p = parsers.get(lang);
  if (!p) {
    init ??= Parser.init();
    p = init.then(async () => {
      const language = await Language.load(WASM[lang]());
      const parser = new Parser();
      parser.setLanguage(language);
      return parser;
    });
    parsers.set(lang, p);
  }
  return p;
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
