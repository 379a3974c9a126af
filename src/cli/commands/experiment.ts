/**
 * `eyemulator experiment CONFIG.yaml --out DIR [--parallel N]`: trains and evaluates every cell of
 * the grid (variants × seeds × tasks × regimes), resumably, then writes results.json and the
 * report (report.md, report.html, SVG charts) and prints the results table. See
 * src/experiment/runner.ts and docs/experiments.md.
 */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExperiment, runExperiment } from '../../experiment/runner.ts';
import { reportText } from '../../report/index.ts';
import { interruptSignal } from '../signals.ts';

const experiment: CommandModule = {
  command: 'experiment <config>',
  describe: 'run an experiment grid (variants × seeds × tasks × regimes) and write the report',
  builder: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'experiment config (YAML or JSON)' })
      .option('out', { type: 'string', demandOption: true, describe: 'experiment folder (rerun the same command to resume)' })
      .option('parallel', { type: 'number', describe: 'cells trained at once (overrides the config)' }),
  handler: async (a) => {
    const config = loadExperiment(a.config as string);
    const log = (l: string) => process.stderr.write(l + '\n');
    const { signal, dispose } = interruptSignal('the experiment (each running cell saves its state)');
    try {
      const r = await runExperiment(config, a.out as string, { log, signal, parallel: a.parallel as number | undefined });
      process.stdout.write('\n' + reportText(r.report.report) + '\n');
      process.stdout.write(`\n${r.ran.length} cells run, ${r.skipped.length} reused, ${r.seconds.toFixed(0)} s. Report: ${join(a.out as string, 'report', 'report.md')} (and report.html)\n`);
    } finally {
      dispose();
    }
  },
};
export default experiment;
