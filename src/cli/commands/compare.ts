/**
 * `eyemulator compare RUN_A RUN_B [--out DIR] [--bootstrap B]`: one paired comparison of two
 * evaluated runs (run folders with result.json, e.g. two experiment cells): every metric's mean and
 * 95% CI for each, and B − A with its paired-bootstrap 95% CI and p, paired by example id. Both runs
 * must have been evaluated on the same examples of the same task.
 */
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { readRunResult } from '../../train/run-dir.ts';
import { buildReport, reportText, writeReport, RESULTS_FORMAT, type ResultsFile, type RunResult } from '../../report/index.ts';
import { InputError } from '../../util/errors.ts';

function load(dir: string, tag: 'A' | 'B'): RunResult {
  const r = readRunResult(resolve(dir));
  if (!r) throw new InputError('no result.json: evaluate the run first (`eyemulator train --resume --evaluate --out RUN`)', { file: resolve(dir) });
  // One group for both runs, and distinct cell names even for two runs of one variant.
  return { ...r, variant: `${tag}: ${r.variant} s${r.seed}`, regime: 'compared', seed: 0 };
}

const compare: CommandModule = {
  command: 'compare <runA> <runB>',
  describe: 'paired comparison of two evaluated runs (B − A per metric, bootstrap 95% CI and p)',
  builder: (y) =>
    y
      .positional('runA', { type: 'string', demandOption: true, describe: 'the reference run folder' })
      .positional('runB', { type: 'string', demandOption: true, describe: 'the run compared with it' })
      .option('out', { type: 'string', describe: 'also write report.md/html/json here' })
      .option('bootstrap', { type: 'number', default: 2000, describe: 'bootstrap resamples' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (the report.json of --out) instead of text' })
      .example('$0 compare runs/baseline runs/full', 'B − A for every metric, paired by example'),
  handler: async (a) => {
    const A = load(a.runA as string, 'A');
    const B = load(a.runB as string, 'B');
    if (A.task !== B.task) throw new InputError(`the runs are on different tasks (${A.task} vs ${B.task})`, { file: String(a.runB) });
    const results: ResultsFile = { format: RESULTS_FORMAT, title: `compare ${a.runA} vs ${a.runB}`, lengthUnit: 'tokens', runs: [A, B] };
    const opts = { baseline: A.variant, bootstrapB: a.bootstrap as number };
    const report = a.out ? (await writeReport(results, a.out as string, opts)).report : buildReport(results, opts);
    if (a.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
      return;
    }
    process.stdout.write(reportText(report) + '\n');
    process.stdout.write('One seed per side: the CI covers the evaluation examples, not training-seed variation (use `eyemulator experiment` with several seeds for that).\n');
  },
};
export default compare;
