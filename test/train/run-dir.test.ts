// The run folder's records (src/train/run-dir.ts): no engine, only files.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunResult, readStepRecords, readTrainSummary, truncateMetrics, writeRunResult, writeTrainSummary, type TrainRunSummary } from '../../src/train/run-dir.ts';
import { InputError } from '../../src/util/errors.ts';
import { newTruncationReport } from '../../src/data/truncation.ts';
import type { RunResult } from '../../src/report/types.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'eyemulator-run-dir-'));
const step = (n: number) => JSON.stringify({ type: 'step', step: n, epoch: 0, loss: n, sft: n, pref: 0, gradNorm: 1, lr: 1e-3, tokens: 1, seqTokens: 1, tokensPerS: 1, elapsedS: n });

test('truncateMetrics keeps step and epoch lines up to the saved step and drops a torn last line', (t) => {
  const d = dir();
  const p = join(d, 'metrics.jsonl');
  writeFileSync(p, [step(1), step(2), JSON.stringify({ type: 'epoch', epoch: 0, epochEndStep: 2 }), step(3), JSON.stringify({ type: 'epoch', epoch: 1, epochEndStep: 3 }), '{"type":"st'].join('\n') + '\n');
  truncateMetrics(p, 2);
  t.deepEqual(readStepRecords(d).map((r) => r.step), [1, 2]);
  t.is(readFileSync(p, 'utf8').trim().split('\n').length, 3, 'the epoch line ending at step 2 stays');
  truncateMetrics(join(d, 'absent.jsonl'), 1); // no file: nothing to do
});

test('truncateMetrics and readStepRecords name file:line for a bad line that is not the last', (t) => {
  const d = dir();
  const p = join(d, 'metrics.jsonl');
  writeFileSync(p, [step(1), 'not json', step(2)].join('\n') + '\n');
  t.throws(() => truncateMetrics(p, 5), { instanceOf: InputError, message: /metrics\.jsonl:2/ });
  t.throws(() => readStepRecords(d), { instanceOf: InputError, message: /metrics\.jsonl:2/ });
  t.deepEqual(readStepRecords(dir()), [], 'no metrics.jsonl yet: no steps');
});

test('train summary and run result: null before they are written, the same object after', (t) => {
  const d = dir();
  t.is(readTrainSummary(d), null);
  t.is(readRunResult(d), null);
  const summary: TrainRunSummary = {
    runDir: d, steps: 3, totalSteps: 3, epochs: 1, seconds: 1.5, finalLoss: 0.25, trainExamples: 4,
    truncation: newTruncationReport(16),
    modelDir: d, adapterDir: null, resumedFromStep: 0,
  };
  writeTrainSummary(d, summary);
  t.deepEqual(readTrainSummary(d), summary);
  const result: RunResult = { variant: 'baseline', seed: 1, task: 'translation', regime: 'full', examples: [{ id: 'a', inputLength: 3 }], metrics: { exact: { kind: 'mean', values: [100] } } };
  writeRunResult(d, result);
  t.deepEqual(readRunResult(d), result);
});

test('a result.json that is not JSON is an InputError naming the file and what to do', (t) => {
  const d = dir();
  writeFileSync(join(d, 'result.json'), '{"variant": "base');
  t.throws(() => readRunResult(d), { instanceOf: InputError, message: /result\.json.*evaluate the run again/s });
});
