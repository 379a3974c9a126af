/**
 * Reader for AOI (area of interest) files: the EMIP `aois/*.csv` layout
 * `kind,name,x,y,width,height,local_id,image[,token]`, where `sub-line` rows are token boxes and
 * `line` rows whole-line boxes. Only token boxes are AOIs for scan paths; line rows are counted and
 * skipped. A file without a `kind` column is read as token boxes only (x, y, width, height and an
 * optional `token`/`text` column), so hand-made AOI files work too.
 *
 * EMIP quirks this reader copes with: `aois_rectangle_java.csv` and `aois_vehicle_java2.csv` have
 * no token column (text = null), and every EMIP AOI file says `rectangle_java2.jpg` in its image
 * column, even the vehicle one: use `stimulusOfAoiFile` to name the stimulus.
 */
import { basename } from 'node:path';
import { InputError } from '../util/errors.ts';
import { splitCsvLine } from './csv-line.ts';
import { readLines } from './line-reader.ts';
import type { Aoi } from './types.ts';

export interface AoiFile {
  file: string;
  /** Token boxes, in file order (`id` = index here). */
  aois: Aoi[];
  /** true when the file carries token text. */
  hasText: boolean;
  /** Non-token rows skipped (EMIP `line` boxes). */
  skippedRows: number;
}

const NAME_RE = /^\s*line\s+(\d+)\s+part\s+(\d+)\s*$/i;

export async function readAois(file: string): Promise<AoiFile> {
  let col: { kind: number; name: number; x: number; y: number; w: number; h: number; image: number; text: number; width: number } | null = null;
  const aois: Aoi[] = [];
  let skippedRows = 0;
  const named: boolean[] = [];
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    if (f === null) throw new InputError('unclosed quote', { file, line: lineNo });
    if (col === null) {
      const names = f.map((s) => s.trim().toLowerCase());
      const at = (...ns: string[]) => {
        for (const n of ns) {
          const i = names.indexOf(n);
          if (i >= 0) return i;
        }
        return -1;
      };
      col = { kind: at('kind'), name: at('name'), x: at('x'), y: at('y'), w: at('width', 'w'), h: at('height', 'h'), image: at('image'), text: at('token', 'text'), width: names.length };
      if (col.x < 0 || col.y < 0 || col.w < 0 || col.h < 0) {
        throw new InputError(`AOI header must name x, y, width, height (found: ${f.join(', ')})`, { file, line: lineNo });
      }
      continue;
    }
    // EMIP rows omit trailing empty fields now and then; more fields than the header is an error.
    if (f.length > col.width || f.length < Math.max(col.x, col.y, col.w, col.h) + 1) {
      throw new InputError(`row has ${f.length} fields, the header has ${col.width}`, { file, line: lineNo });
    }
    if (col.kind >= 0 && f[col.kind].trim() !== 'sub-line') {
      skippedRows++;
      continue;
    }
    const num = (i: number, what: string) => {
      const v = Number(f[i].trim());
      if (f[i].trim() === '' || !Number.isFinite(v)) throw new InputError(`${what} "${f[i]}" is not a number`, { file, line: lineNo });
      return v;
    };
    const x = num(col.x, 'x'), y = num(col.y, 'y'), width = num(col.w, 'width'), height = num(col.h, 'height');
    if (width < 0 || height < 0) throw new InputError(`negative box size ${width}×${height}`, { file, line: lineNo });
    const name = col.name >= 0 ? (f[col.name] ?? '').trim() : '';
    const m = NAME_RE.exec(name);
    named.push(m !== null);
    const text = col.text >= 0 ? (f[col.text] ?? '') : '';
    const image = col.image >= 0 ? (f[col.image] ?? '').trim() : '';
    aois.push({
      id: aois.length,
      x, y, width, height,
      text: text === '' ? null : text,
      line: m ? Number(m[1]) : 0,
      part: m ? Number(m[2]) : 0,
      name: name || `aoi ${aois.length}`,
      image: image === '' ? null : image,
    });
  }
  if (col === null) throw new InputError('empty file: no header row', { file });
  // A header alone (or only `line` rows) maps no fixation to anything: every later step would
  // succeed with empty scan paths.
  if (aois.length === 0)
    throw new InputError(
      skippedRows > 0
        ? `no token boxes: all ${skippedRows} rows are of another kind than "sub-line" (EMIP token boxes)`
        : 'no AOI rows after the header: an AOI file needs one box per token',
      { file },
    );
  if (aois.length > 0 && !named.every(Boolean)) assignLinesByPosition(aois);
  return { file, aois, hasText: aois.some((a) => a.text !== null), skippedRows };
}

/**
 * For AOI files without `line N part M` names: a box starts a new line when its vertical centre is
 * more than half the median box height below the previous line's centre; parts go left to right.
 */
export function assignLinesByPosition(aois: Aoi[]): void {
  const heights = aois.map((a) => a.height).sort((p, q) => p - q);
  const tol = Math.max(1, heights[Math.floor(heights.length / 2)] / 2);
  const order = [...aois].sort((p, q) => p.y + p.height / 2 - (q.y + q.height / 2) || p.x - q.x);
  let line = 0;
  let centre = -Infinity;
  const lines: Aoi[][] = [];
  for (const a of order) {
    const c = a.y + a.height / 2;
    if (c - centre > tol) {
      line++;
      centre = c;
      lines.push([]);
    }
    lines[lines.length - 1].push(a);
  }
  lines.forEach((row, k) => {
    row.sort((p, q) => p.x - q.x);
    row.forEach((a, i) => {
      a.line = k + 1;
      a.part = i + 1;
    });
  });
}

/** AOIs in reading order: by line, then part, then x. */
export function readingOrder(aois: readonly Aoi[]): Aoi[] {
  return [...aois].sort((p, q) => p.line - q.line || p.part - q.part || p.x - q.x);
}

/**
 * The stimulus an AOI file describes. EMIP names its files `aois_<stimulus>.csv` and its image
 * column is wrong for most files, so the file name wins when it follows that pattern; otherwise
 * the most common image column value; otherwise null (the caller must say --stimulus).
 */
export function stimulusOfAoiFile(aoiFile: AoiFile): string | null {
  const m = /^aois_(.+)\.csv$/i.exec(basename(aoiFile.file));
  if (m) return `${m[1]}.jpg`;
  const counts = new Map<string, number>();
  for (const a of aoiFile.aois) if (a.image) counts.set(a.image, (counts.get(a.image) ?? 0) + 1);
  let best: string | null = null;
  let bestN = 0;
  for (const [k, n] of counts) if (n > bestN) [best, bestN] = [k, n];
  return best;
}

/**
 * Boxes whose width does not fit their text: width per character more than `factor`× off the
 * file's median. EMIP's `aois_rectangle_java2.csv` has such rows (lines 9–10: a 65 px wide "-" and
 * a 5 px wide "this.x1": the texts of a row are shifted against the boxes). Reported, not fixed:
 * the file is the data.
 */
export function implausibleBoxes(aois: readonly Aoi[], factor = 3): Aoi[] {
  const ratio = (a: Aoi) => a.width / [...(a.text ?? '')].filter((c) => !/\s/.test(c)).length;
  const withText = aois.filter((a) => a.text !== null && a.text.trim() !== '' && a.width > 0);
  if (withText.length < 5) return [];
  const sorted = withText.map(ratio).sort((p, q) => p - q);
  const median = sorted[Math.floor(sorted.length / 2)];
  return withText.filter((a) => ratio(a) > factor * median || ratio(a) < median / factor);
}
