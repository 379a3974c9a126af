/**
 * Reading and writing priors files, and where the shipped default (`priors/eyetrans.json`, the
 * EyeMulator artifact's EyeTrans priors) lives.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ensureDir, writeTextAtomic } from '../util/atomic-write.ts';
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../util/paths.ts';
import { InputError } from '../util/errors.ts';
import { parsePriors, type Priors } from './format.ts';
import { stripBom } from '../util/json.ts';

/** Loads and validates a priors file; errors name the file and the field. */
export function loadPriors(path: string): Priors {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read priors file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  return parsePriors(value, path);
}

/**
 * Validates then writes priors (stable key order, one trailing newline). Validating on save means
 * a file this project writes always loads again.
 */
export function savePriors(priors: Priors, path: string): void {
  const checked = parsePriors(priors, path);
  ensureDir(dirname(resolve(path)));
  writeTextAtomic(path, JSON.stringify(checked, null, 2) + '\n');
}

const DEFAULT_FILE = join('priors', 'eyetrans.json');

/** Path of the shipped default priors: `<package>/priors/eyetrans.json` (src/util/paths.ts). */
export function defaultPriorsPath(): string {
  const path = join(packageRoot(), DEFAULT_FILE);
  if (!existsSync(path)) throw new InputError(`the shipped default priors were not found at ${path}: the package is incomplete; reinstall it or pass --priors FILE`);
  return path;
}
