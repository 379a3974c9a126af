/**
 * A strict JSON parser for headers that must not be ambiguous (the safetensors header):
 *
 * - a key repeated in one object is an error, at any depth (`JSON.parse` silently keeps the last
 *   one, which would hide a tensor entry or one of its fields);
 * - a number written as an integer (no fraction, no exponent) is returned as a `bigint`, so offsets
 *   and dimensions beyond 2^53 keep their exact value and `1.0` / `1e3` stay distinguishable from
 *   integers (the Rust reader, serde, refuses them where it expects integers); other numbers are
 *   `number`s;
 * - nesting deeper than `maxDepth` (default 64) is refused instead of exhausting the stack.
 *
 * Grammar: RFC 8259 (whitespace: space, tab, LF, CR). Errors are `StrictJsonError` with the
 * character offset in `text` and a short reason; callers wrap it into their typed error.
 */
export type StrictJson = null | boolean | number | bigint | string | StrictJson[] | { [key: string]: StrictJson };

export class StrictJsonError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at character ${offset}`);
    this.name = 'StrictJsonError';
  }
}

export function parseStrictJson(text: string, opts: { maxDepth?: number } = {}): StrictJson {
  const maxDepth = opts.maxDepth ?? 64;
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new StrictJsonError(reason, at);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          fail('bad escape in a string');
        }
        run = i;
        continue;
      }
      i++;
    }
  };
  const num = (): number | bigint => {
    const m = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r || r[0] === '-' || r[0].length === 0) return fail('bad number');
    i += r[0].length;
    if (r[2] === undefined && r[3] === undefined) return BigInt(r[0]);
    return Number(r[0]);
  };
  const value = (depth: number): StrictJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
      i++;
      const obj: { [key: string]: StrictJson } = Object.create(null);
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const at = i;
        const k = str();
        if (seen.has(k)) throw new StrictJsonError(`key ${JSON.stringify(k)} appears twice in one object`, at);
        seen.add(k);
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth}`);
      i++;
      const arr: StrictJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    return fail(i >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters after the JSON value');
  return v;
}
