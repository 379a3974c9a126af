/**
 * Participant id from a file name: EMIP names raw files `<id>_rawdata.tsv`, so a leading number
 * followed by `_`, `-` or `.` is the id; otherwise the base name without extension.
 */
import { basename, extname } from 'node:path';

export function participantFromPath(file: string): string {
  const base = basename(file);
  const m = /^(\d+)[_.-]/.exec(base);
  return m ? m[1] : basename(base, extname(base));
}
