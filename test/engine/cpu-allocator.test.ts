// The caching CPU allocator (cpp/cpu_allocator.h): a second identical training step is served from
// blocks the first one freed, and EYEMULATOR_CPU_ALLOCATOR=system leaves libtorch's allocator.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { native } from '../../src/native/index.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { TINY, randomBatch, tinyModel } from '../helpers/tiny-model.ts';

test('large blocks freed by one training step are reused by the next (hits grow, misses do not)', async (t) => {
  // Big enough that activations and logits pass the 128 KiB threshold: 4 × 256 rows × vocab.
  const shape = { ...TINY, vocabSize: 512, hiddenSize: 64, intermediateSize: 128 };
  const { model } = await tinyModel(shape, { seed: 3 });
  const trainer = new Trainer(model, { lr: 1e-3, gamma: 0 });
  const batch = randomBatch(shape.vocabSize, 4, 256, 7, false);
  await trainer.step(batch);
  await trainer.step(batch);
  const a = native().cpuCacheStats();
  t.true(a.installed);
  await trainer.step(batch);
  const b = native().cpuCacheStats();
  t.true(b.hits > a.hits, `hits ${a.hits} → ${b.hits}`);
  t.is(b.misses, a.misses, 'a repeated step needs no fresh large block');
  t.true(b.limitBytes > 0);
  trainer.dispose();
  model.dispose();
});

test('EYEMULATOR_CPU_ALLOCATOR=system keeps libtorch’s own allocator', (t) => {
  const here = fileURLToPath(new URL('../../src/native/index.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(here)}).then(m => console.log(JSON.stringify(m.native().cpuCacheStats())))`], {
    encoding: 'utf8', env: { ...process.env, EYEMULATOR_CPU_ALLOCATOR: 'system' },
  });
  t.is(r.status, 0, r.stderr);
  t.false(JSON.parse(r.stdout.trim().split('\n').pop()!).installed);
});
