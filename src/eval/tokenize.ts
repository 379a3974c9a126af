/**
 * Tokenisation shared by the code metrics.
 *
 * - `whitespaceTokens`: Python's `str.strip().split()`, the tokenisation of CodeXGLUE's
 *   code-to-code `bleu.py` and of CodeBLEU's n-gram components. Metrics that must reproduce
 *   CodeXGLUE numbers use this and nothing else.
 * - `codeTokens`: CodeXGLUE's `splitPuncts` (code-to-text evaluator,
 *   `re.findall(r"[\w]+|[^\s\w]", line)`): runs of word characters, and every other non-space
 *   character on its own. Used where a metric needs lexical tokens of code (METEOR, ROUGE-L on
 *   code targets, CrystalBLEU, BLEU on summaries, smoothed sentence BLEU): `a.b(c);` is
 *   `a . b ( c ) ;`, not one "word".
 * - `stripComments`: CodeBLEU's `remove_comments_and_docstrings` for C-family languages.
 */

/** Python `s.split()` (after strip): maximal runs of non-whitespace. Empty input → []. */
export function whitespaceTokens(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/\s+/u);
}

// Python 3's `\w` on str is Unicode-aware: letters, digits (incl. other numeric chars) and `_`.
// \p{L}\p{M}\p{N} plus connector punctuation (`_`) is the closest JS equivalent.
const WORD = String.raw`[\p{L}\p{M}\p{N}\p{Pc}]`;
const SPLIT_PUNCTS = new RegExp(`${WORD}+|[^\\s\\p{L}\\p{M}\\p{N}\\p{Pc}]`, 'gu');

/** CodeXGLUE `splitPuncts`: word runs and single punctuation characters. */
export function codeTokens(s: string): string[] {
  return s.match(SPLIT_PUNCTS) ?? [];
}

/**
 * Comments removed from C-family code (Java, C#), as CodeBLEU's
 * `remove_comments_and_docstrings(source, 'java')` does: one regex pass that matches
 * `//…`, `/*…*\/`, and single/double-quoted literals (so comment markers inside strings survive);
 * comments become one space; then blank lines are dropped.
 */
export function stripComments(source: string): string {
  const pattern = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\[\s\S]|[^\\'])*'|"(?:\\[\s\S]|[^\\"])*"/g;
  // Python's `//.*?$` with MULTILINE stops before '\n'; `.` under DOTALL would not stop, but `$`
  // (multiline) makes the lazy match end at the first line end, which `[^\n]*` reproduces.
  const replaced = source.replace(pattern, (m) => (m.startsWith('/') ? ' ' : m));
  return replaced
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
}

/** Token n-grams of one order as joined keys (tokens joined by U+0001, which code never holds). */
export const NGRAM_SEP = '\u0001';

export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(NGRAM_SEP);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
