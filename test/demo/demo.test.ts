import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTranslationDemo, DEMO_DEFAULTS } from '../../src/demo/translation-demo.ts';
import { Model } from '../../src/model/model.ts';
import { dataRoot } from '../../src/util/paths.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const haveData = existsSync(join(dataRoot(), 'codexglue', 'java-cs', 'train.java-cs.txt.java'));

test('the demo trains on real CodeXGLUE pairs with gaze weights, logs every step and saves a loadable HF folder', async (t) => {
  if (!haveData) { t.log(`shared data not found under ${dataRoot()}: skipped`); t.pass(); return; }
  const out = tempDir();
  const lines: string[] = [];
  const r = await runTranslationDemo({
    ...DEMO_DEFAULTS, out, steps: 12, batchSize: 4, seqLen: 256, hidden: 32, layers: 1, heads: 2, validN: 8, logEvery: 4, lr: 1e-2,
    progress: () => {}, print: (l) => lines.push(l),
  });
  t.is(r.steps, 12);
  t.true(r.trainExamples > 1000);
  const log = readFileSync(join(out, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(log.length, 12);
  t.deepEqual(log.map((x) => x.step), Array.from({ length: 12 }, (_, i) => i + 1));
  t.true(log.every((x) => Number.isFinite(x.loss) && x.tokens > 0));
  t.true(r.validAfter < r.validBefore, `held-out CE ${r.validBefore} → ${r.validAfter}`);
  const m = await Model.load(r.modelDir);
  t.is(m.info().vocabSize, 259);
  m.dispose();
  t.true(existsSync(join(r.modelDir, 'tokenizer.json')));
  t.true(lines.some((l) => l.includes('held-out CE')));
});
