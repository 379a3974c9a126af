/**
 * Reader for a generic gaze CSV: a header row with `t_ms`, `x`, `y` (any order, case-insensitive),
 * optionally `stimulus` (a new showing starts whenever the value changes) and `valid` (0 / false =
 * tracker-lost). Times are used as given (onset 0). Missing, NaN and 0,0 points are invalid
 * samples; text where a number belongs is a malformed row.
 */
import { basename } from 'node:path';
import { InputError } from '../util/errors.ts';
import { splitCsvLine } from './csv-line.ts';
import { readLines } from './line-reader.ts';
import { RecordingBuilder, isValidPoint, parseCoordinate, type SampleReadOptions } from './recording-builder.ts';
import type { GazeRecording } from './types.ts';

export interface CsvSampleReadOptions extends SampleReadOptions {
  /** Stimulus name when the file has no `stimulus` column (default: the file's base name). */
  defaultStimulus?: string;
}

export async function readSampleCsv(file: string, options: CsvSampleReadOptions = {}): Promise<GazeRecording> {
  const b = new RecordingBuilder(file, options);
  let col: { t: number; x: number; y: number; stimulus: number; valid: number; width: number } | null = null;
  let currentName: string | null = null;
  let lastT = -Infinity;

  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    if (col === null) {
      if (f === null) throw new InputError('header row has an unclosed quote', { file, line: lineNo });
      const names = f.map((s) => s.trim().toLowerCase());
      const at = (n: string) => names.indexOf(n);
      col = { t: at('t_ms'), x: at('x'), y: at('y'), stimulus: at('stimulus'), valid: at('valid'), width: names.length };
      if (col.t < 0 || col.x < 0 || col.y < 0) {
        throw new InputError(`header row must name columns t_ms, x, y (found: ${f.join(', ')})`, { file, line: lineNo });
      }
      if (col.stimulus < 0) b.startStimulus(options.defaultStimulus ?? basename(file), 0);
      continue;
    }
    b.counts.rows++;
    if (f === null) {
      b.malformed(lineNo, 'unclosed quote');
      continue;
    }
    if (f.length !== col.width) {
      b.malformed(lineNo, `row has ${f.length} fields, the header has ${col.width}`);
      continue;
    }
    const tField = f[col.t].trim();
    const t = Number(tField);
    if (tField === '' || !Number.isFinite(t)) {
      b.malformed(lineNo, `t_ms "${f[col.t]}" is not a number`);
      continue;
    }
    if (col.stimulus >= 0) {
      const name = f[col.stimulus].trim();
      if (name === '') {
        b.malformed(lineNo, 'empty stimulus');
        continue;
      }
      if (name !== currentName) {
        currentName = name;
        lastT = -Infinity;
        b.startStimulus(name, 0);
      }
    }
    if (t < lastT) {
      b.malformed(lineNo, `t_ms ${t} goes backwards (previous row: ${lastT})`);
      continue;
    }
    const x = parseCoordinate(f[col.x]);
    const y = parseCoordinate(f[col.y]);
    if (x === undefined || y === undefined) {
      b.malformed(lineNo, `x/y "${f[col.x]}", "${f[col.y]}" is not a number`);
      continue;
    }
    let flag = true;
    if (col.valid >= 0) {
      const v = f[col.valid].trim().toLowerCase();
      if (v === '0' || v === 'false') flag = false;
      else if (!(v === '1' || v === 'true' || v === '')) {
        b.malformed(lineNo, `valid "${f[col.valid]}" is not 0/1/true/false`);
        continue;
      }
    }
    lastT = t;
    const ok = flag && isValidPoint(x, y);
    b.addSample(t, ok ? (x as number) : NaN, ok ? (y as number) : NaN, ok);
  }
  if (col === null) throw new InputError('empty file: no header row with t_ms, x, y', { file });
  return b.finish(null, null, null);
}
