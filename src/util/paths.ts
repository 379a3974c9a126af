/** Where the shared data lives: `<repo>/../shared/data`, overridable by EYEMULATOR_DATA. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // src/util or dist/src/util → repo root
  dir = resolve(dir, '..', '..');
  return dir.endsWith('/dist') ? resolve(dir, '..') : dir;
}

export function dataRoot(): string {
  return process.env.EYEMULATOR_DATA ? resolve(process.env.EYEMULATOR_DATA) : join(repoRoot(), '..', 'shared', 'data');
}

/** The data shipped in the package (`<repo>/data`): what the main job needs, with its licence. */
export function bundledDataRoot(): string {
  return join(repoRoot(), 'data');
}
