/**
 * The fixation table the CLI writes and the scan-path step reads:
 * `stimulus,start_ms,end_ms,duration_ms,x,y`, one row per fixation in chronological order within
 * each stimulus (times in ms since the stimulus onset, x/y the centroid in px).
 */
import { InputError } from '../util/errors.ts';
import { csvField, splitCsvLine } from './csv-line.ts';
import { readLines } from './line-reader.ts';
import type { Fixation } from './types.ts';

export const FIXATION_COLUMNS = ['stimulus', 'start_ms', 'end_ms', 'duration_ms', 'x', 'y'] as const;

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function formatFixationsCsv(fixations: readonly Fixation[]): string {
  const rows = [FIXATION_COLUMNS.join(',')];
  for (const f of fixations) {
    rows.push([csvField(f.stimulus), round(f.startMs, 3), round(f.endMs, 3), round(f.durationMs, 3), round(f.x, 2), round(f.y, 2)].join(','));
  }
  return rows.join('\n') + '\n';
}

/** Reads a fixation CSV; any malformed row is an InputError naming file:line. */
export async function readFixationsCsv(file: string): Promise<Fixation[]> {
  const out: Fixation[] = [];
  let col: number[] | null = null;
  let width = 0;
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    if (f === null) throw new InputError('unclosed quote', { file, line: lineNo });
    if (col === null) {
      const names = f.map((s) => s.trim().toLowerCase());
      col = FIXATION_COLUMNS.map((c) => names.indexOf(c));
      const missing = FIXATION_COLUMNS.filter((_, i) => col![i] < 0);
      if (missing.length > 0) throw new InputError(`fixation CSV header lacks column(s) ${missing.join(', ')}`, { file, line: lineNo });
      width = names.length;
      continue;
    }
    if (f.length !== width) throw new InputError(`row has ${f.length} fields, the header has ${width}`, { file, line: lineNo });
    const [cs, ...numeric] = col;
    const nums = numeric.map((c) => Number(f[c].trim()));
    const badAt = nums.findIndex((v, k) => !Number.isFinite(v) || f[numeric[k]].trim() === '');
    if (badAt >= 0) throw new InputError(`${FIXATION_COLUMNS[badAt + 1]} "${f[numeric[badAt]]}" is not a number`, { file, line: lineNo });
    const stimulus = f[cs].trim();
    if (stimulus === '') throw new InputError('empty stimulus', { file, line: lineNo });
    const [startMs, endMs, durationMs, x, y] = nums;
    out.push({ stimulus, startMs, endMs, durationMs, x, y });
  }
  if (col === null) throw new InputError('empty file: no header row', { file });
  return out;
}
