/**
 * `model init` / `model merge` replace their --out folder whole (util/atomic-write.ts writeDirAtomic);
 * assertReplaceableModelDir keeps that from taking a user's other files with it.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertReplaceableModelDir } from '../../src/cli/commands/model/merge.ts';
import { OptionError } from '../../src/util/errors.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'eyemulator-modelout-'));

test('a missing, empty or model-only folder may be replaced', (t) => {
  const d = dir();
  t.notThrows(() => assertReplaceableModelDir(join(d, 'new')));
  t.notThrows(() => assertReplaceableModelDir(d));
  for (const f of ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json',
    'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', `model.safetensors.tmp-${process.pid}`]) writeFileSync(join(d, f), '');
  t.notThrows(() => assertReplaceableModelDir(d));
});

test('a folder with other files is refused, naming them', (t) => {
  const d = dir();
  writeFileSync(join(d, 'config.json'), '{}');
  writeFileSync(join(d, 'README.md'), 'mine');
  mkdirSync(join(d, 'notes'));
  const e = t.throws(() => assertReplaceableModelDir(d), { instanceOf: OptionError });
  t.regex(e!.message, /holds README\.md, notes, which a model folder does not; .*choose a new or empty folder$/);
});
