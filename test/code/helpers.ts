/** Shared helpers of the code-labeller tests (not a test file: ava runs *.test.ts only). */
import type { CodeToken } from '../../src/code/index.ts';

/**
 * Label of the `occurrence`-th (0-based) non-punctuation token whose text is `text`; throws when
 * absent so a wrong tokenisation fails loudly instead of comparing undefined.
 */
export function labelOf(tokens: readonly CodeToken[], text: string, occurrence = 0): string | null {
  const hits = tokens.filter((t) => t.text === text && !t.punct);
  if (occurrence >= hits.length) {
    throw new Error(`token ${JSON.stringify(text)} #${occurrence} not found in: ${tokens.map((t) => t.text).join(' ')}`);
  }
  return hits[occurrence].label;
}

/** "text/label" of every non-punctuation token, for readable failure messages. */
export function show(tokens: readonly CodeToken[]): string {
  return tokens.filter((t) => !t.punct).map((t) => `${t.text}/${t.label ?? '-'}`).join('  ');
}
