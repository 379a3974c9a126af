/**
 * The demo data the training-run and attention tests use: CodeXGLUE java-cs as the project ships
 * it (`data/codexglue`, or where EYEMULATOR_DATA points), found exactly as the library finds it.
 * It is part of the package, so the tests that use it never skip.
 */
import { defaultTaskSource } from '../../src/data/tasks.ts';

/** The java-cs folder (train.java-cs.txt.* and valid.java-cs.txt.*). */
export const demoDataDir = (defaultTaskSource('translation', 'valid') as { dir: string }).dir;
