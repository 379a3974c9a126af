import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataRoot as sharedDataRoot } from '../../src/util/paths.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared/data (EYEMULATOR_DATA overrides), as shared/README.md asks. */
export const dataDir = sharedDataRoot();
export const sampleDir = join(dataDir, 'codexglue', 'evaluator-sample');
export const hasSample = existsSync(join(sampleDir, 'predictions.txt'));
// Printed by every test file that imports this (each runs in its own worker), so each skip has its reason.
if (!hasSample) console.log(`[skip] CodeXGLUE evaluator sample not found under ${sampleDir}: the reference-value tests need ../shared/data (or EYEMULATOR_DATA)`);
export { repoRoot };

/** Python `readlines()` of a file, minus the trailing empty piece after the final newline. */
export function readLines(file: string): string[] {
  const parts = readFileSync(file, 'utf8').split('\n');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
