/** Test helpers: temp files and the shared data folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GazeSample } from '../../src/gaze/index.ts';
import { dataRoot as sharedDataRoot } from '../../src/util/paths.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<repo>/../shared/data`, or $EYEMULATOR_DATA. */
export const dataRoot = sharedDataRoot();

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'eyemulator-gaze-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'eyemulator-gaze-'));
}

/** Samples from [t, x, y] triples; NaN or 0,0 make an invalid sample. */
export function samples(rows: Array<[number, number, number]>): GazeSample[] {
  return rows.map(([t, x, y]) => ({ t, x, y, valid: Number.isFinite(x) && Number.isFinite(y) && !(x === 0 && y === 0) }));
}
