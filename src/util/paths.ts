/** Where the package's own files live: its root folder, the shared data beside a checkout, the bundled data. */
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the folder holding package.json, build/ and prebuilds/, priors/, models/ — a
 * checkout or an installed node_modules/eyemulator. The one definition; from src/util (sources
 * under tsx) or dist/src/util (the compiled package) alike.
 */
export function packageRoot(): string {
  const up = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return basename(up) === 'dist' ? dirname(up) : up;
}

/** Where the shared data lives: `<package>/../shared/data`, overridable by EYEMULATOR_DATA. */
export function dataRoot(): string {
  return process.env.EYEMULATOR_DATA ? resolve(process.env.EYEMULATOR_DATA) : join(packageRoot(), '..', 'shared', 'data');
}

/** The data shipped in the package (`<repo>/data`): what the main job needs, with its licence. */
export function bundledDataRoot(): string {
  return join(packageRoot(), 'data');
}
