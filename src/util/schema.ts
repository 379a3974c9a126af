/** zod validation with the project's error shape: an InputError naming the file and the first bad field. */
import type { z } from 'zod';
import { InputError } from './errors.ts';

export function parseWith<S extends z.ZodType>(schema: S, obj: unknown, file: string): z.output<S> {
  const r = schema.safeParse(obj);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`field ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`, { file });
  }
  return r.data;
}

/** Edit distance (insertions, deletions, substitutions; Levenshtein 1966) between two strings. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word` within edit distance `max` (default 2; case ignored, ties: the
 * first in `candidates`), or null. For "did you mean" hints on misspelt keys and values.
 */
export function closestMatch(word: string, candidates: readonly string[], max = 2): string | null {
  let best: string | null = null, bestD = max + 1;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD && c !== word) { best = c; bestD = d; }
  }
  return best;
}

type Key = string | number;
type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType };
const defOf = (s: z.ZodType | undefined): Def | undefined => (s as unknown as { _zod?: { def: Def } } | undefined)?._zod?.def;

/** Strips optional/default/nullable/pipe wrappers. */
function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  for (let d = defOf(s); d && (d.innerType || (d.type === 'pipe' && d.in)); d = defOf(s)) s = d.innerType ?? d.in;
  return s;
}

/** The keys an object schema at `path` inside `schema` knows ([] when it is not an object). */
export function knownKeysAt(schema: z.ZodType, path: readonly Key[]): string[] {
  let s = unwrap(schema);
  for (const k of path) {
    const d = defOf(s);
    if (!d) return [];
    s = unwrap(d.type === 'object' ? d.shape?.[String(k)] : d.type === 'record' ? d.valueType : d.type === 'array' ? d.element : undefined);
  }
  const d = defOf(s);
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The value at `path` in `root` (undefined when absent). */
export function valueAt(root: unknown, path: readonly Key[]): unknown {
  let v = root;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined;
  return v;
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '…' : s;
};
const KIND: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping', record: 'a mapping',
};
const kind = (e: string | undefined) => (e ? KIND[e] ?? e : 'another value');

/** "expected …" of one union alternative's first issue. */
function alternative(issues: readonly z.core.$ZodIssue[]): string {
  const i = issues[0];
  if (!i) return 'another value';
  if (i.code === 'invalid_value') return i.values.map((v) => JSON.stringify(v)).join(' or ');
  if (i.code === 'invalid_type') return kind(i.expected);
  if (i.code === 'too_small' && i.origin === 'number') return `a number ${i.inclusive ? '≥' : '>'} ${i.minimum}`;
  return i.message;
}

/**
 * One line per zod issue, for people: "key.path: what was expected, got what" with a "did you
 * mean" for an unknown key or enum value within edit distance 2. `root` is the object that was
 * parsed (for the values shown), `schema` its schema (for the known keys); `where(issuePath, key?)`
 * gives the path to print (default: the issue's path), so nested or merged configs can be reported
 * as the user wrote them.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[], root: unknown, schema: z.ZodType,
  where: (path: readonly Key[]) => { path: readonly Key[]; value: unknown } = (p) => ({ path: p, value: valueAt(root, p) }),
): string[] {
  const out: string[] = [];
  const name = (p: readonly Key[]) => (p.length ? p.map(String).join('.') : '(top level)');
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, i.path as Key[]);
      for (const k of i.keys) {
        const at = where([...(i.path as Key[]), k]);
        const near = closestMatch(k, known);
        out.push(`${name(at.path)}: unknown key${near ? ` (did you mean ${near}?)` : known.length ? ` (known: ${known.join(', ')})` : ''}`);
      }
      continue;
    }
    const at = where(i.path as Key[]);
    const got = `got ${show(at.value)}`;
    let msg: string;
    switch (i.code) {
      case 'invalid_type':
        msg = at.value === undefined ? `missing: expected ${kind(i.expected)}` : `expected ${kind(i.expected)}, ${got}`;
        break;
      case 'invalid_value': {
        const near = typeof at.value === 'string' ? closestMatch(at.value, i.values.map(String)) : null;
        msg = `expected ${i.values.length > 1 ? 'one of ' : ''}${i.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}${near ? ` (did you mean ${near}?)` : ''}`;
        break;
      }
      case 'invalid_union': {
        const alts = [...new Set(i.errors.map(alternative))];
        const lits = i.errors.flatMap((e) => (e[0]?.code === 'invalid_value' ? e[0].values.map(String) : []));
        const near = typeof at.value === 'string' ? closestMatch(at.value, lits) : null;
        msg = `expected ${alts.join(' or ')}, ${got}${near ? ` (did you mean ${near}?)` : ''}`;
        break;
      }
      case 'too_small':
      case 'too_big': {
        const lim = i.code === 'too_small' ? i.minimum : i.maximum;
        const op = i.code === 'too_small' ? (i.inclusive ? '≥' : '>') : (i.inclusive ? '≤' : '<');
        msg = i.origin === 'number' || i.origin === 'int' || i.origin === 'bigint'
          ? `expected a number ${op} ${lim}, ${got}`
          : i.origin === 'array' ? `expected a list of ${i.code === 'too_small' ? 'at least' : 'at most'} ${lim} item${Number(lim) === 1 ? '' : 's'}, ${got}`
          : `${i.message}, ${got}`;
        break;
      }
      default:
        msg = `${i.message}${i.code === 'custom' ? '' : `, ${got}`}`;
    }
    out.push(`${name(at.path)}: ${msg}`);
  }
  return out;
}
