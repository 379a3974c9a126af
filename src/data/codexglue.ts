/**
 * CodeXGLUE code-to-code translation files: one function per line, `<split>.java-cs.txt.java` and
 * `.cs` line-aligned. A count mismatch or an empty line is an error naming file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';

export interface CodePair {
  /** 0-based line index in the split files (stable id for seeding and reports). */
  id: number;
  java: string;
  cs: string;
}

export function readCodexglueSplit(dir: string, split: 'train' | 'valid' | 'test'): CodePair[] {
  const jf = join(dir, `${split}.java-cs.txt.java`);
  const cf = join(dir, `${split}.java-cs.txt.cs`);
  for (const f of [jf, cf]) if (!existsSync(f)) throw new InputError('missing CodeXGLUE file (expected <split>.java-cs.txt.{java,cs})', { file: f });
  const strip = (s: string) => s.replace(/\r?\n$/, '');
  const java = strip(readFileSync(jf, 'utf8')).split(/\r?\n/);
  const cs = strip(readFileSync(cf, 'utf8')).split(/\r?\n/);
  if (java.length !== cs.length)
    throw new InputError(`has ${java.length} lines but ${cf} has ${cs.length}: the files must be line-aligned`, { file: jf });
  return java.map((j, i) => {
    if (!j.trim()) throw new InputError('empty Java function', { file: jf, line: i + 1 });
    if (!cs[i].trim()) throw new InputError('empty C# function', { file: cf, line: i + 1 });
    return { id: i, java: j, cs: cs[i] };
  });
}
