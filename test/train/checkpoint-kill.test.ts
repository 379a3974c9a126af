/**
 * A run SIGKILLed around an epoch's checkpoint write resumes and writes that checkpoint: the
 * checkpoint folder is written before the trainer state (src/train/run.ts), so a kill between the
 * two — or inside the checkpoint write — resumes from the previous state and rewrites it, equal
 * byte for byte to an uninterrupted run's. The kills are real: a child process runs the training
 * and SIGKILLs itself at the chosen point (after the epoch's state is saved; after the model file
 * is in the checkpoint's temp folder, before the folder is swapped in).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { trainRun } from '../../src/train/run.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function config() {
  const dir = tempDir('eyemulator-tok-');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  // 7 of the 12 examples fit maxLength: batch 4 = 2 steps per epoch; 6 steps = 3 epochs.
  return {
    task: 'translation', init: { hidden: 16, layers: 1, heads: 2, maxPositions: 512 }, tokenizer: join(dir, 'tokenizer.json'),
    maxLength: 400, trainN: 12, batchSize: 4, maxSteps: 6, lr: 1e-2, seed: 7, threads: 1, variant: 'baseline', loraRank: 0,
  };
}

/** Runs the training in a child that SIGKILLs itself at `at`; returns its exit signal. */
function runKilled(cfg: object, out: string, at: 'after-state' | 'in-checkpoint'): string | null {
  const src = (p: string) => JSON.stringify(join(repo, 'src', p));
  const script = `
    import { trainRun } from ${src('train/run.ts')};
    import { Trainer } from ${src('train/trainer.ts')};
    import { Model } from ${src('model/model.ts')};
    const at = ${JSON.stringify(at)};
    const saveState = Trainer.prototype.saveState;
    Trainer.prototype.saveState = async function (path, meta) {
      await saveState.call(this, path, meta);
      if (at === 'after-state' && meta.epoch === '1' && meta.batch === '0') process.kill(process.pid, 'SIGKILL');
    };
    const save = Model.prototype.save;
    Model.prototype.save = async function (dir, o) {
      await save.call(this, dir, o);
      if (at === 'in-checkpoint' && /epoch-1\\.tmp-/.test(dir)) process.kill(process.pid, 'SIGKILL');
    };
    await trainRun(${JSON.stringify(cfg)}, ${JSON.stringify(out)}, { log: () => {} });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8', env: process.env });
  return r.signal;
}

test.serial('killed after the epoch state or inside the checkpoint write: resume writes the epoch checkpoint', async (t) => {
  const cfg = config();
  const ref = join(tempDir(), 'ref');
  await trainRun(cfg, ref, { log: () => {} });
  const refCkpt = readFileSync(join(ref, 'checkpoints', 'epoch-1', 'model.safetensors'));
  for (const at of ['after-state', 'in-checkpoint'] as const) {
    const out = join(tempDir(), at);
    t.is(runKilled(cfg, out, at), 'SIGKILL', at);
    t.false(existsSync(join(out, 'train-done.json')), at);
    if (at === 'in-checkpoint') {
      t.false(existsSync(join(out, 'checkpoints', 'epoch-1')), 'the half checkpoint is not in place');
      t.true(readdirSync(join(out, 'checkpoints')).some((n) => /^epoch-1\.tmp-\d+$/.test(n)), 'its temp folder is left');
    }
    const logs: string[] = [];
    const s = await trainRun(cfg, out, { log: (l) => logs.push(l), resume: true });
    t.is(s.steps, 6, at);
    t.is(s.resumedFromStep, at === 'after-state' ? 2 : 0, `${at}: resumed from the last state saved`);
    t.deepEqual(readFileSync(join(out, 'checkpoints', 'epoch-1', 'model.safetensors')), refCkpt, `${at}: epoch-1 checkpoint as the uninterrupted run's`);
    t.deepEqual(readFileSync(join(out, 'final', 'model.safetensors')), readFileSync(join(ref, 'final', 'model.safetensors')), at);
    t.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), readdirSync(join(ref, 'checkpoints')).sort(), `${at}: no leftovers`);
    if (at === 'in-checkpoint') t.true(logs.some((l) => /^removed .*epoch-1\.tmp-\d+ \(left by an interrupted write\)$/.test(l)), logs.join('\n'));
  }
});
