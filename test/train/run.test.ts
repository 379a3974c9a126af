import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { trainRun } from '../../src/train/run.ts';
import { readStepRecords } from '../../src/train/run-dir.ts';
import { parseRunConfig } from '../../src/train/config.ts';
import { prepareTrainExamples, rowFor } from '../../src/train/examples.ts';
import { loadTask, defaultTaskSource } from '../../src/data/tasks.ts';
import { codeOffsetInPrompt } from '../../src/data/prompt.ts';
import { buildWeightModel } from '../../src/weights/index.ts';
import { defaultPriorsPath, loadPriors } from '../../src/priors/index.ts';
import { Tokenizer } from 'tokenizers';
import { InputError, InterruptedError } from '../../src/util/errors.ts';
import type { NativeBatch } from '../../src/native/index.ts';

// Serial: these run whole training loops, one at a time, as a user's process would.

function byteTokenizer(): string {
  const dir = tempDir('eyemulator-tok-');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  return join(dir, 'tokenizer.json');
}

function baseConfig(tokenizer: string, extra: Record<string, unknown> = {}) {
  return {
    task: 'translation', init: { hidden: 16, layers: 1, heads: 2, maxPositions: 512 }, tokenizer,
    maxLength: 400, trainN: 24, batchSize: 4, maxSteps: 3, lr: 1e-2, seed: 7, threads: 1, ...extra,
  };
}

test('run config: a bad field is named; model and init are exclusive; summaries need input+output for gaze weights', (t) => {
  const e1 = t.throws(() => parseRunConfig({ task: 'translation', model: 'm', batchSize: 0 }), { instanceOf: InputError });
  t.regex(e1!.message, /batchSize/);
  const e2 = t.throws(() => parseRunConfig({ task: 'translation', model: 'm', init: { hidden: 8, layers: 1, heads: 2 }, tokenizer: 't' }), { instanceOf: InputError });
  t.regex(e2!.message, /exactly one of model/);
  const e3 = t.throws(() => parseRunConfig({ task: 'translation', model: 'm', lerning_rate: 1 }), { instanceOf: InputError });
  t.regex(e3!.message, /lerning_rate/);
  const e4 = t.throws(() => parseRunConfig({ task: 'summarization', model: 'm', variant: 'full' }), { instanceOf: InputError });
  t.regex(e4!.message, /lossOn/);
  t.notThrows(() => parseRunConfig({ task: 'summarization', model: 'm', variant: 'full', lossOn: 'input+output' }));
  const e5 = t.throws(() => parseRunConfig({ task: 'translation', model: 'm', variant: 'fool' }), { instanceOf: InputError });
  t.regex(e5!.message, /variant/);
});

test.serial('variants differ only in weights: same examples, order, ids and loss positions at every step', async (t) => {
  const tok = byteTokenizer();
  const seen: Record<string, Array<{ ids: string[]; batches: NativeBatch[] }>> = {};
  for (const variant of ['baseline', 'full', 'scale-matched']) {
    seen[variant] = [];
    await trainRun(baseConfig(tok, { variant }), join(tempDir(), 'run'), {
      log: () => {},
      onBatch: (_s, _e, micro, ids) => seen[variant].push({ ids: [...ids], batches: micro.map((b) => ({ ...b })) }),
    });
  }
  t.is(seen.baseline.length, 3);
  let differing = 0;
  for (const v of ['full', 'scale-matched']) {
    t.is(seen[v].length, 3);
    seen[v].forEach((step, i) => {
      const base = seen.baseline[i];
      t.deepEqual(step.ids, base.ids, `${v} step ${i + 1}: same examples in the same order`);
      step.batches.forEach((b, k) => {
        const bb = base.batches[k];
        t.deepEqual(b.inputIds, bb.inputIds);
        t.deepEqual(b.labels, bb.labels, 'identical loss positions');
        t.deepEqual(b.attentionMask, bb.attentionMask);
        t.is(bb.weights, undefined, 'baseline: all weights 1');
        t.truthy(b.weights && b.pathMask);
        for (let j = 0; j < b.labels.length; j++) {
          if (b.labels[j] === -100) t.is(b.weights![j], 1, 'no-loss positions keep weight 1');
          else if (b.weights![j] !== 1) differing++;
        }
      });
    });
  }
  t.true(differing > 50, `gaze weights differ from 1 on loss positions (${differing})`);
});

test.serial('interrupted run resumes to bit-identical weights; metrics hold each step once', async (t) => {
  const tok = byteTokenizer();
  // 12 examples / batch 4 = 3 steps per epoch: 7 steps cross two epoch boundaries.
  const cfg = baseConfig(tok, { variant: 'full', trainN: 12, maxSteps: 7, loraRank: 0, gamma: 0.1 });
  const a = join(tempDir(), 'a');
  await trainRun(cfg, a, { log: () => {} });
  const b = join(tempDir(), 'b');
  const ac = new AbortController();
  // Aborted as step 6's batch is handed over: the signal reaches the engine, step 6 stops inside
  // (AbortError, no update) and the run saves its state after step 5.
  await t.throwsAsync(trainRun(cfg, b, { log: () => {}, signal: ac.signal, onBatch: (step) => { if (step === 6) ac.abort(); } }), { instanceOf: InterruptedError, message: /at step 5\/7.*--resume/ });
  t.false(existsSync(join(b, 'train-done.json')));
  await t.throwsAsync(trainRun(cfg, b, { log: () => {} }), { message: /--resume/ }, 'a started run is not overwritten by accident');
  const s = await trainRun(cfg, b, { log: () => {}, resume: true });
  t.is(s.resumedFromStep, 5);
  t.deepEqual(readFileSync(join(b, 'final', 'model.safetensors')), readFileSync(join(a, 'final', 'model.safetensors')));
  t.deepEqual(readStepRecords(b).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7]);
  t.deepEqual(readStepRecords(b).map((r) => r.loss), readStepRecords(a).map((r) => r.loss));
  t.true(existsSync(join(b, 'checkpoints', 'epoch-3', 'model.safetensors')));
  const prov = JSON.parse(readFileSync(join(b, 'provenance.json'), 'utf8'));
  t.is(prov.seed, 7);
  t.regex(prov.priors.sha256, /^[0-9a-f]{64}$/);
  t.regex(prov.data[0].sha256, /^[0-9a-f]{64}$/);
});

test.serial('an abort that lands while a step runs stops the run; resume still matches the uninterrupted run', async (t) => {
  const tok = byteTokenizer();
  const cfg = baseConfig(tok, { variant: 'full', trainN: 12, maxSteps: 5, loraRank: 0, gamma: 0.1 });
  const a = join(tempDir(), 'a');
  await trainRun(cfg, a, { log: () => {} });
  const b = join(tempDir(), 'b');
  const ac = new AbortController();
  // The timer fires once step 3 is in the engine: it stops there (no update, resume after step 2),
  // or, when the step is quicker than the timer, before step 4 (resume after step 3).
  const err = await t.throwsAsync(trainRun(cfg, b, { log: () => {}, signal: ac.signal, onBatch: (step) => { if (step === 3) setTimeout(() => ac.abort(), 0); } }), { instanceOf: InterruptedError });
  const at = Number(/at step (\d+)\//.exec(err!.message)?.[1]);
  t.true(at === 2 || at === 3, err!.message);
  t.log(`stopped after step ${at}${at === 2 ? " (inside step 3)" : " (step 3 finished first)"}`);
  const s = await trainRun(cfg, b, { log: () => {}, resume: true });
  t.is(s.resumedFromStep, at);
  t.deepEqual(readFileSync(join(b, 'final', 'model.safetensors')), readFileSync(join(a, 'final', 'model.safetensors')));
  t.deepEqual(readStepRecords(b).map((r) => r.loss), readStepRecords(a).map((r) => r.loss));
});

test.serial('resume refuses a changed configuration', async (t) => {
  const tok = byteTokenizer();
  const dir = join(tempDir(), 'r');
  const ac = new AbortController();
  await t.throwsAsync(trainRun(baseConfig(tok), dir, { log: () => {}, signal: ac.signal, onBatch: () => ac.abort() }), { instanceOf: InterruptedError });
  await t.throwsAsync(trainRun(baseConfig(tok, { lr: 0.5 }), dir, { log: () => {}, resume: true }), { message: /configuration differs/ });
});

test.serial('input+output loss: only the input code and the target carry loss; gaze weights land there only', async (t) => {
  const tokPath = byteTokenizer();
  const tok = Tokenizer.fromFile(tokPath);
  const data = await loadTask(defaultTaskSource('translation', 'valid'));
  const exs = data.examples.slice(0, 4);
  const { examples } = await prepareTrainExamples(tok as never, exs, { task: 'translation', maxLength: 4000, lossOn: 'input+output', special: { bos: 256, eos: 257 }, label: true });
  const wm = buildWeightModel(loadPriors(defaultPriorsPath()), 'full');
  const codeStart = codeOffsetInPrompt('translation');
  let weighted = 0;
  examples.forEach((e, i) => {
    const input = exs[i].input;
    // Byte-level ids: prompt token j is byte j of the prompt (ASCII sources).
    for (let j = e.promptStart; j < e.targetStart; j++) {
      const off = j - e.promptStart;
      const inCode = off >= codeStart && off < codeStart + input.length;
      t.is(e.lossMask[j] === 1, inCode, `prompt position ${off}: loss iff inside the input code`);
    }
    for (let j = e.targetStart; j < e.ids.length; j++) t.is(e.lossMask[j], 1);
    const row = rowFor(e, wm, 3, 0, 'dynamic');
    for (let j = 0; j < e.ids.length; j++) {
      if (!e.lossMask[j]) t.is(row.weights![j], 1);
      else if (row.weights![j] !== 1 && j < e.targetStart) weighted++;
    }
  });
  t.true(weighted > 10, 'some input-code tokens are weighted');
});
