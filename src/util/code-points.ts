/**
 * Counting Unicode code points in JavaScript strings (UTF-16). The one definition the project
 * uses wherever spans cross between JS string indices and code-point offsets: HF `tokenizers`
 * reports offsets in code points, tree-sitter and `String.prototype.slice` in UTF-16 units, and
 * characters outside the Basic Multilingual Plane (emoji, some CJK) are one code point but two
 * units — counting them twice would shift every later span.
 *
 * A lone surrogate (invalid UTF-16, which JS strings may hold) counts as one code point, as
 * `Array.from(s)` and `for…of` count it.
 */

/** True when `s[i]` is the second (low) half of a surrogate pair, i.e. not the start of a code point. */
export function isPairTail(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff) return false;
  const p = s.charCodeAt(i - 1);
  return p >= 0xd800 && p <= 0xdbff;
}

/**
 * Code points in the UTF-16 range `[start, end)` of `s` (default: all of it). A pair cut by either
 * bound counts its remaining half as one code point. Equals `Array.from(s.slice(start, end)).length`
 * without building the array.
 */
export function codePointLength(s: string, start = 0, end = s.length): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
