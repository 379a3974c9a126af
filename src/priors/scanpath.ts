/**
 * Scan-path JSONL records (METHOD.md §2.3), the input of `priors distill`. One line per participant
 * × stimulus:
 * `{"participant","stimulus","mode":"reading"|"writing","tokens":[{"id","text","label","line"}…],"visits":[id…]}`
 * `tokens` are every token shown (label = a label name, or null for an unlabelled token); `visits`
 * are the chronological token visits with consecutive repeats collapsed. Every malformed line is
 * an InputError at `file:line` naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isLabelName, type LabelName } from '../code/labels.ts';
import { InputError } from '../util/errors.ts';
import { formatIssue } from './format.ts';

const TokenIdSchema = z.union([z.number().int(), z.string().min(1)]);

export const ScanPathTokenSchema = z.object({
  id: TokenIdSchema,
  text: z.string(),
  label: z.string().refine((s): boolean => isLabelName(s), { message: 'not a semantic label name (METHOD.md §1)' }).nullable(),
  line: z.number().int().positive(),
});

export const ScanPathSchema = z.object({
  participant: z.union([z.string(), z.number()]),
  stimulus: z.string(),
  mode: z.enum(['reading', 'writing']),
  tokens: z.array(ScanPathTokenSchema),
  visits: z.array(TokenIdSchema),
});

export type ScanPath = z.infer<typeof ScanPathSchema>;
export type SessionMode = ScanPath['mode'];

/** A scan path with visits resolved to token indices. */
export interface ResolvedScanPath {
  record: ScanPath;
  file: string;
  line: number;
  labels: (LabelName | null)[];
  /** Token index per visit, consecutive repeats collapsed. */
  visits: number[];
  /** Consecutive repeated visits that were collapsed (the format says there should be none). */
  collapsed: number;
}

/** Validates one parsed record; throws InputError at file:line. */
export function resolveScanPath(value: unknown, file: string, line: number): ResolvedScanPath {
  const r = ScanPathSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problems)` : '';
    throw new InputError(`field ${formatIssue(i)}${more}`, { file, line });
  }
  const rec = r.data;
  const index = new Map<string, number>();
  rec.tokens.forEach((t, i) => {
    const key = String(t.id);
    if (index.has(key)) throw new InputError(`field tokens[${i}].id: token id ${JSON.stringify(t.id)} appears twice`, { file, line });
    index.set(key, i);
  });
  const visits: number[] = [];
  let collapsed = 0;
  rec.visits.forEach((v, i) => {
    const ti = index.get(String(v));
    if (ti === undefined) throw new InputError(`field visits[${i}]: token id ${JSON.stringify(v)} is not among the tokens`, { file, line });
    if (visits.length > 0 && visits[visits.length - 1] === ti) collapsed++;
    else visits.push(ti);
  });
  return { record: rec, file, line, labels: rec.tokens.map((t) => t.label as LabelName | null), visits, collapsed };
}

/** Reads every record of a JSONL file (blank lines skipped); errors at file:line. */
export function readScanPaths(file: string): ResolvedScanPath[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read scan paths: ${(err as Error).message}`, { file }, { cause: err });
  }
  const out: ResolvedScanPath[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (err) {
      throw new InputError(`not valid JSON: ${(err as Error).message}`, { file, line: i + 1 }, { cause: err });
    }
    out.push(resolveScanPath(value, file, i + 1));
  }
  return out;
}
