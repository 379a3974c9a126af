/**
 * Reader for SMI iView / BeGaze IDF text exports (the EMIP `rawdata/*.tsv` files).
 *
 * Layout: `##` header lines (`## Sample Rate:\t250`, `## Calibration Area:\t1920\t1080`, …), then a
 * tab-separated column header row (`Time`, `Type`, `Trial`, …, `L POR X [px]`, …), then data rows.
 * `Type` is SMP (a sample) or MSG (a message; its text is in the column after `Trial`, e.g.
 * `# Message: rectangle_java2.jpg`). A MSG naming an image file marks the onset of that stimulus;
 * other messages (mouse clicks) do not end it. `Time` is in µs.
 *
 * Eyes: each eye's point of regard counts when it is a finite number, not 0,0, and the eye's
 * `Validity` column (when present) is not 0. 'average' (default) takes the mean of the eyes that
 * count, or the one eye that does; 'left' / 'right' use one eye only. EMIP was recorded with SMI's
 * bilateral filter on, so L POR and R POR are identical whenever both eyes are tracked and
 * averaging changes nothing; when one eye is lost the export carries the other eye's point.
 */
import { InputError } from '../util/errors.ts';
import { readLines } from './line-reader.ts';
import { RecordingBuilder, isValidPoint, parseCoordinate, type SampleReadOptions } from './recording-builder.ts';
import type { GazeRecording, ScreenGeometry } from './types.ts';

export type EyeChoice = 'average' | 'left' | 'right';

export interface SmiReadOptions extends SampleReadOptions {
  eyes?: EyeChoice;
}

const IMAGE_RE = /([^\s\\/:]+\.(?:jpe?g|png|bmp|gif|tiff?))\b/i;

/** The image file a MSG row names, or null for other messages. */
export function stimulusOfMessage(text: string): string | null {
  const m = IMAGE_RE.exec(text);
  return m ? m[1] : null;
}

interface Columns {
  time: number;
  type: number;
  trial: number;
  lx: number;
  ly: number;
  rx: number;
  ry: number;
  lValid: number;
  rValid: number;
  /** The highest index a sample row must reach. */
  needed: number;
}

function findColumns(names: string[], file: string, lineNo: number, eyes: EyeChoice): Columns {
  const idx = (name: string) => names.findIndex((n) => n.trim().toLowerCase() === name.toLowerCase());
  const c: Columns = {
    time: idx('Time'),
    type: idx('Type'),
    trial: idx('Trial'),
    lx: idx('L POR X [px]'),
    ly: idx('L POR Y [px]'),
    rx: idx('R POR X [px]'),
    ry: idx('R POR Y [px]'),
    lValid: idx('L Validity'),
    rValid: idx('R Validity'),
    needed: 0,
  };
  if (c.time < 0 || c.type < 0) throw new InputError('column header row lacks "Time" and "Type" columns (is this an SMI IDF text export?)', { file, line: lineNo });
  const hasL = c.lx >= 0 && c.ly >= 0;
  const hasR = c.rx >= 0 && c.ry >= 0;
  if (eyes === 'left' && !hasL) throw new InputError('no "L POR X [px]" / "L POR Y [px]" columns for --eyes left', { file, line: lineNo });
  if (eyes === 'right' && !hasR) throw new InputError('no "R POR X [px]" / "R POR Y [px]" columns for --eyes right', { file, line: lineNo });
  if (!hasL && !hasR) throw new InputError('no "L POR X [px]"/"L POR Y [px]" or "R POR …" columns: nothing to read gaze from', { file, line: lineNo });
  if (!hasL) c.lx = c.ly = -1;
  if (!hasR) c.rx = c.ry = -1;
  c.needed = Math.max(c.time, c.type, c.lx, c.ly, c.rx, c.ry);
  return c;
}

function headerNumbers(value: string): number[] {
  return value
    .split(/[\t ]+/)
    .map((s) => Number(s))
    .filter((v) => Number.isFinite(v));
}

export async function readSmi(file: string, options: SmiReadOptions = {}): Promise<GazeRecording> {
  const eyes = options.eyes ?? 'average';
  const b = new RecordingBuilder(file, options);
  const header = new Map<string, string>();
  let cols: Columns | null = null;
  let lastTimeUs = -Infinity;
  let onsetUs = 0;

  for await (const { line, lineNo } of readLines(file)) {
    if (cols === null) {
      if (line.startsWith('##')) {
        const colon = line.indexOf(':');
        if (colon > 0) header.set(line.slice(2, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        continue;
      }
      if (line.trim() === '') continue;
      cols = findColumns(line.split('\t'), file, lineNo, eyes);
      continue;
    }
    if (line.trim() === '') continue;
    b.counts.rows++;
    const f = line.split('\t');
    const type = (f[cols.type] ?? '').trim();
    const timeUs = Number((f[cols.time] ?? '').trim());
    if (!Number.isFinite(timeUs) || (f[cols.time] ?? '').trim() === '') {
      b.malformed(lineNo, `Time "${f[cols.time] ?? ''}" is not a number`);
      continue;
    }
    if (timeUs < lastTimeUs) {
      b.malformed(lineNo, `Time ${timeUs} µs goes backwards (previous row: ${lastTimeUs})`);
      continue;
    }
    if (type === 'MSG') {
      lastTimeUs = timeUs;
      b.counts.messages++;
      const text = f.slice(Math.max(cols.trial, cols.type) + 1).join('\t');
      const image = stimulusOfMessage(text);
      if (image !== null) {
        onsetUs = timeUs;
        b.startStimulus(image, timeUs / 1000);
      }
      continue;
    }
    if (type !== 'SMP') {
      b.malformed(lineNo, `Type "${type}" is neither SMP nor MSG`);
      continue;
    }
    if (f.length <= cols.needed) {
      b.malformed(lineNo, `sample row has ${f.length} fields, the column header needs at least ${cols.needed + 1}`);
      continue;
    }
    const lx = cols.lx >= 0 ? parseCoordinate(f[cols.lx]) : null;
    const ly = cols.ly >= 0 ? parseCoordinate(f[cols.ly]) : null;
    const rx = cols.rx >= 0 ? parseCoordinate(f[cols.rx]) : null;
    const ry = cols.ry >= 0 ? parseCoordinate(f[cols.ry]) : null;
    const bad = [
      [lx, cols.lx],
      [ly, cols.ly],
      [rx, cols.rx],
      [ry, cols.ry],
    ].find(([v]) => v === undefined);
    if (bad) {
      b.malformed(lineNo, `gaze coordinate "${f[bad[1] as number]}" is not a number`);
      continue;
    }
    lastTimeUs = timeUs;
    const flagOk = (i: number) => i < 0 || (f[i] ?? '').trim() !== '0';
    const lOk = eyes !== 'right' && isValidPoint(lx, ly) && flagOk(cols.lValid);
    const rOk = eyes !== 'left' && isValidPoint(rx, ry) && flagOk(cols.rValid);
    const t = (timeUs - onsetUs) / 1000;
    if (lOk && rOk) b.addSample(t, ((lx as number) + (rx as number)) / 2, ((ly as number) + (ry as number)) / 2, true);
    else if (lOk) b.addSample(t, lx as number, ly as number, true);
    else if (rOk) b.addSample(t, rx as number, ry as number, true);
    else b.addSample(t, NaN, NaN, false);
  }
  if (cols === null) throw new InputError('no column header row (Time, Type, …) after the ## header lines', { file });

  const rate = header.has('sample rate') ? Number(header.get('sample rate')) : NaN;
  const subject = header.get('subject')?.trim() || null;
  return b.finish(Number.isFinite(rate) && rate > 0 ? rate : null, subject, smiGeometry(header));
}

/** Screen geometry from `Calibration Area`, `Stimulus Dimension [mm]` and `Head Distance [mm]`. */
function smiGeometry(header: Map<string, string>): ScreenGeometry | null {
  const area = headerNumbers(header.get('calibration area') ?? '');
  const dim = headerNumbers(header.get('stimulus dimension [mm]') ?? '');
  const dist = headerNumbers(header.get('head distance [mm]') ?? '');
  if (area.length < 2 || dim.length < 2 || dist.length < 1) return null;
  return { widthPx: area[0], heightPx: area[1], widthMm: dim[0], heightMm: dim[1], distanceMm: dist[0] };
}
