/**
 * Turning what a user types (`--train`, `--valid`, `--data`, a config's data entry) into a
 * TaskSource — the one resolver every command uses:
 * - absent or "default": the shared data's files for the task (tasks.ts `defaultTaskSource`);
 * - a `.jsonl` file: the artifact's JSONL format, read as the given task;
 * - a CodeXGLUE java-cs folder (split from the role, or `folder#split`), or one of its
 *   `<split>.java-cs.txt.{java,cs}` files (translation only).
 * Errors name the path and say what is expected.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { defaultTaskSource, type TaskSource } from './tasks.ts';
import type { TaskName } from './prompt.ts';
import { InputError, OptionError } from '../util/errors.ts';

export type Split = 'train' | 'valid' | 'test';

export function resolveTaskSource(task: TaskName, spec: string | undefined, split: Split): TaskSource {
  if (spec === undefined || spec === '' || spec === 'default') {
    if (split === 'test') throw new OptionError('the shared data has no default test split: name a file');
    return defaultTaskSource(task, split);
  }
  const hash = spec.lastIndexOf('#');
  const [pathPart, splitPart] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  const path = resolve(pathPart);
  if (!existsSync(path)) throw new InputError('no such file or folder (give a CodeXGLUE java-cs folder or split file, an artifact .jsonl, or "default")', { file: path });
  const codexglue = (dir: string, s: string): TaskSource => {
    if (task !== 'translation') throw new OptionError(`CodeXGLUE java-cs data (${path}) holds translation pairs, not ${task}: use an artifact .jsonl`);
    if (s !== 'train' && s !== 'valid' && s !== 'test') throw new OptionError(`unknown CodeXGLUE split "${s}" in ${spec} (use train, valid or test)`);
    return { kind: 'codexglue', dir, split: s };
  };
  if (statSync(path).isDirectory()) {
    const s = splitPart ?? split;
    if (!existsSync(join(path, `${s}.java-cs.txt.java`))) throw new InputError(`folder has no ${s}.java-cs.txt.java (a CodeXGLUE java-cs folder is expected)`, { file: path });
    return codexglue(path, s);
  }
  const m = /^(train|valid|test)\.java-cs\.txt\.(java|cs)$/.exec(basename(path));
  if (m) return codexglue(dirname(path), m[1]);
  if (path.endsWith('.jsonl')) return { kind: 'artifact', file: path, task };
  throw new InputError('not a recognised data file (expected a CodeXGLUE <split>.java-cs.txt.java/.cs file or folder, or an artifact .jsonl)', { file: path });
}

/** Short human label of a source, for logs. */
export function describeSource(s: TaskSource): string {
  return s.kind === 'codexglue' ? `CodeXGLUE ${s.dir} (${s.split})` : s.file;
}
