/**
 * One CSV record per text line (RFC 4180 quoting: "a,b" and "" for a quote). The gaze inputs
 * (EMIP AOI files, sample and fixation CSVs) never put newlines inside fields, so a line reader
 * plus this splitter is enough and keeps every error tied to a file line.
 */

/** Splits one CSV line; returns null when a quoted field is not closed (the caller reports file:line). */
export function splitCsvLine(line: string, sep = ','): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (i < n && line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        if (i >= n) return null;
        const c = line[i];
        if (c === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      // Anything between the closing quote and the separator is kept verbatim (lenient, like most readers).
      const next = line.indexOf(sep, i);
      field += next < 0 ? line.slice(i) : line.slice(i, next);
      out.push(field);
      if (next < 0) return out;
      i = next + sep.length;
    } else {
      const next = line.indexOf(sep, i);
      if (next < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, next));
      i = next + sep.length;
    }
  }
}

/** Quotes a field for CSV output when it needs it. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
