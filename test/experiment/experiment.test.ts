import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { cliEntry, runExperiment } from '../../src/experiment/runner.ts';
import { cellsOf, parseExperiment } from '../../src/experiment/config.ts';
import { curveFrom, readStepRecords } from '../../src/train/run-dir.ts';
import { InputError, OptionError } from '../../src/util/errors.ts';
import type { Report } from '../../src/report/index.ts';

const exec = promisify(execFile);

function tinyExperiment(tokenizer: string) {
  return {
    title: 'tiny',
    tasks: ['translation'],
    variants: ['baseline', 'full'],
    seeds: [1, 2],
    regimes: [16],
    parallel: 2,
    threadsPerCell: 1,
    run: {
      init: { hidden: 16, layers: 1, heads: 2, maxPositions: 512 }, tokenizer,
      maxLength: 400, batchSize: 4, maxSteps: 3, lr: 0.01, evalN: 6, maxNewTokens: 8, evalBatchSize: 6, attentionN: 2,
    },
    report: { bootstrapB: 200 },
  };
}

test('experiment config: the grid sets task/variant/seed; errors name the field', (t) => {
  const c = parseExperiment({ tasks: ['translation'], variants: ['baseline', 'full'], seeds: [1, 2], regimes: ['full', 200], run: { model: 'm' } });
  t.deepEqual(cellsOf(c).map((x) => x.name), [
    'translation-full-baseline-s1', 'translation-full-full-s1', 'translation-full-baseline-s2', 'translation-full-full-s2',
    'translation-n200-baseline-s1', 'translation-n200-full-s1', 'translation-n200-baseline-s2', 'translation-n200-full-s2',
  ]);
  t.throws(() => parseExperiment({ tasks: ['translation'], variants: ['baseline'], seeds: [1], run: { seed: 3 } }), { instanceOf: InputError, message: /run\.seed/ });
  t.throws(() => parseExperiment({ tasks: ['translation'], variants: ['baseline', 'baseline'], seeds: [1] }), { instanceOf: InputError, message: /variants/ });
  t.throws(() => parseExperiment({ tasks: ['translate'], variants: ['baseline'], seeds: [1] }), { instanceOf: InputError, message: /tasks/ });
});

test('curveFrom: per bin of steps the mean objective and the mean plain CE (ce only when every step logged it)', (t) => {
  const dir = tempDir();
  const rec = (step: number, loss: number, ce?: number) => JSON.stringify({ type: 'step', step, epoch: 0, loss, sft: loss, pref: 0, ...(ce === undefined ? {} : { ce }), gradNorm: 1, lr: 1e-3, tokens: 10, seqTokens: 20, tokensPerS: 1, elapsedS: step });
  const lines = [rec(1, 4, 3), rec(2, 2, 1), JSON.stringify({ type: 'epoch', epoch: 0, epochEndStep: 2 }), rec(3, 1, 0.5), rec(4, 3, 1.5), rec(5, 6)];
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  // 5 steps, at most 3 points → bins of 2: [1,2], [3,4], [5].
  t.deepEqual(curveFrom(dir, 3), [{ step: 2, loss: 3, ce: 2 }, { step: 4, loss: 2, ce: 1 }, { step: 5, loss: 6 }]);
  t.deepEqual(curveFrom(dir).map((p) => p.ce), [3, 1, 0.5, 1.5, undefined]);
});

test.serial('tiny experiment end to end: report numbers match the run logs; rerun reuses finished cells; compare', async (t) => {
  const tokDir = tempDir('eyemulator-tok-');
  const tok = join(tokDir, 'tokenizer.json');
  writeFileSync(tok, JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(tokDir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  const out = join(tempDir(), 'exp');
  const cfg = tinyExperiment(tok);
  const lines: string[] = [];
  const r = await runExperiment(cfg, out, { log: (l) => lines.push(l) });
  t.is(r.ran.length, 4, lines.slice(-20).join('\n'));
  t.deepEqual(r.skipped, []);

  // Every number in the report traces back to the cells' own logs.
  const report = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as Report;
  t.is(report.groups.length, 1);
  const g = report.groups[0];
  t.is(g.ids.length, 6);
  for (const cell of g.cells.filter((c) => c.kind === 'variant')) {
    t.deepEqual(cell.seeds, [1, 2]);
    for (const [i, seed] of cell.seeds.entries()) {
      const dir = join(out, 'cells', `translation-n16-${cell.variant}-s${seed}`);
      const ev = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
      for (const m of ['exact', 'bleu', 'chrf', 'rougeL', 'codebleu'] as const) {
        t.true(Math.abs(cell.metrics[m]!.perSeed[i] - ev[m]) < 1e-9, `${cell.variant} seed ${seed} ${m}: report ${cell.metrics[m]!.perSeed[i]} vs eval.json ${ev[m]}`);
      }
      const steps = readStepRecords(dir);
      t.deepEqual(steps.map((s) => s.step), [1, 2, 3]);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
      t.deepEqual(result.curve.map((p: { loss: number }) => p.loss), steps.map((s) => s.loss), 'the report curve is the logged loss');
      t.deepEqual(result.curve.map((p: { ce: number }) => p.ce), steps.map((s) => s.ce), 'and the logged plain CE');
      for (const s of steps) {
        t.true(Number.isFinite(s.ce) && s.ce! > 0, `step ${s.step} logs plain CE`);
        // Weights all 1 and no preference term: the objective's SFT part is the plain CE (computed apart in the engine).
        if (cell.variant === 'baseline') t.true(Math.abs(s.ce! - s.sft) < 1e-5 * s.sft, `baseline step ${s.step}: ce ${s.ce} vs sft ${s.sft}`);
      }
      // Gaze weights change the objective, not the plain CE: some step of full must differ.
      if (cell.variant === 'full') t.true(steps.some((s) => Math.abs(s.ce! - s.sft) > 1e-4), 'full: ce is not the weighted SFT');
      t.is(readFileSync(join(dir, 'predictions.jsonl'), 'utf8').trim().split('\n').length, 6);
    }
  }
  t.truthy(g.cells.find((c) => c.variant === 'copy-input' && c.kind === 'trivial'), 'the copy baseline is beside the models');
  t.true(g.diagnostics.some((d) => d.name === 'focus' && d.variant === 'full'));
  for (const f of ['report.md', 'report.html']) t.true(statSync(join(out, 'report', f)).size > 500);
  t.regex(readFileSync(join(out, 'report', 'report.md'), 'utf8'), /Zhang|EyeTrans|EyeMulator/);

  // Rerun: nothing is redone.
  const cell = join(out, 'cells', 'translation-n16-full-s2');
  const before = readFileSync(join(cell, 'metrics.jsonl'), 'utf8');
  const r2 = await runExperiment(cfg, out, { log: () => {} });
  t.deepEqual(r2.ran, []);
  t.is(r2.skipped.length, 4);
  // A cell whose evaluation is missing is evaluated again, without retraining.
  rmSync(join(cell, 'result.json'));
  const r3 = await runExperiment(cfg, out, { log: () => {} });
  t.deepEqual(r3.ran, ['translation-n16-full-s2']);
  t.is(readFileSync(join(cell, 'metrics.jsonl'), 'utf8'), before, 'training was not rerun');
  t.deepEqual(JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')).groups[0].cells.map((c: { metrics: { bleu: { mean: number } } }) => c.metrics.bleu.mean), g.cells.map((c) => c.metrics.bleu!.mean));

  // A changed grid in the same folder is refused.
  await t.throwsAsync(runExperiment({ ...cfg, seeds: [1, 3] }, out, { log: () => {} }), { instanceOf: OptionError, message: /different configuration/ });

  // compare: one pair, B − A.
  const e = cliEntry();
  const { stdout } = await exec(e.cmd, [...e.args, 'compare', join(out, 'cells', 'translation-n16-baseline-s1'), cell], { maxBuffer: 1 << 24 });
  t.regex(stdout, /B: full s2/);
  t.regex(stdout, /95% CI of Δ/);
  // --json: the same report as one JSON document
  const j = JSON.parse((await exec(e.cmd, [...e.args, 'compare', join(out, 'cells', 'translation-n16-baseline-s1'), cell, '--json'], { maxBuffer: 1 << 24 })).stdout);
  t.true(JSON.stringify(j).includes('B: full s2'));
});
