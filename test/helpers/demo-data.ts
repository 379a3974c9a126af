/**
 * The demo data the training-run tests train on: CodeXGLUE java-cs as the project ships it
 * (`data/codexglue`, or wherever EYEMULATOR_DATA points), found exactly as the library finds it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTaskSource } from '../../src/data/tasks.ts';

const source = defaultTaskSource('translation', 'train') as { dir: string };

/** The java-cs folder the tests read. */
export const demoDataDir = source.dir;
/** Whether its training file is there (a clone always has it; a trimmed EYEMULATOR_DATA may not). */
export const hasDemoData = existsSync(join(demoDataDir, 'train.java-cs.txt.java'));
/** The skip line: what is missing and why it matters. */
export const demoDataSkip = (what: string) => `[skip] ${join(demoDataDir, 'train.java-cs.txt.java')} is absent: ${what} train on the demo data`;
