/**
 * `eyemulator experiment CONFIG.yaml --out DIR [--parallel N]`: trains and evaluates every cell of
 * the grid (variants × seeds × tasks × regimes), resumably, then writes results.json and the
 * report (report.md, report.html, SVG charts) and prints the results table.
 *
 * On a cluster (docs/cluster.md), one process per cell on shared storage:
 *   --list-cells [--json]   index, name and status (done / running / partial / pending) of every cell; runs nothing
 *   --cell K                runs exactly cell K (0-based index or name); a finished cell is a no-op
 *   --report                the report from the finished cells (naming the missing ones); runs nothing
 * See src/experiment/runner.ts and docs/experiments.md.
 *
 * `--json` prints one JSON value on stdout instead of the text (logs stay on stderr), as train,
 * generate and compare do:
 *   run         {"out", "ran": [names], "reused": [names], "seconds", "files": [report files], "report": report.json's object}
 *   --report    {"out", "cells": [names in the report], "missing": [names], "files", "report"}
 *   --cell K    {"out", "cell": {"index", "name"}, "outcome": "ran" | "done", "seconds"}
 *   --list-cells  an array of {"index", "name", "status", "task", "regime", "variant", "seed", "dir"[, "holder", "staleLock"]}
 */
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { listCells, loadExperiment, reportExperiment, runExperiment, runExperimentCell } from '../../experiment/runner.ts';
import { describeHolder } from '../../experiment/lock.ts';
import { reportText } from '../../report/index.ts';
import { interruptSignal } from '../signals.ts';
import { OptionError } from '../../util/errors.ts';

const experiment: CommandModule = {
  command: 'experiment <config>',
  describe: 'run an experiment grid (variants × seeds × tasks × regimes) and write the report; or list, run one cell, or report',
  builder: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'experiment config (YAML or JSON)' })
      .option('out', { type: 'string', demandOption: true, describe: 'experiment folder (rerun the same command to resume)' })
      .option('parallel', { type: 'number', describe: 'cells trained at once (overrides the config)' })
      .option('list-cells', { type: 'boolean', default: false, describe: 'print every cell\'s index, name and status (done, running, partial, pending); runs nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON value on stdout instead of the text: the run summary with the report, the --report summary, the --cell outcome, or the --list-cells array' })
      .option('cell', { type: 'string', describe: 'run exactly this cell (0-based index, e.g. $SLURM_ARRAY_TASK_ID, or its name); a finished cell is a no-op' })
      .option('report', { type: 'boolean', default: false, describe: 'write the report from the finished cells (and name the missing ones); runs nothing' })
      .example('$0 experiment experiments/demo-quick.yaml --out runs/exp1', 'train and evaluate every cell, then write runs/exp1/report/ (rerun to resume)')
      .example('$0 experiment grid.yaml --out /shared/exp1 --cell $SLURM_ARRAY_TASK_ID', 'one cell per cluster job; then --report once they are done'),
  handler: async (a) => {
    const modes = [a['list-cells'] && '--list-cells', a.cell !== undefined && '--cell', a.report && '--report'].filter(Boolean);
    if (modes.length > 1) throw new OptionError(`${modes.join(' and ')} do not go together: give one`);
    const config = loadExperiment(a.config as string);
    const out = a.out as string;
    const log = (l: string) => process.stderr.write(l + '\n');

    if (a['list-cells']) {
      const cells = listCells(config, out);
      if (a.json) {
        process.stdout.write(JSON.stringify(cells.map((x) => ({
          index: x.index, name: x.name, status: x.status, task: x.task, regime: x.regime, variant: x.variant, seed: x.seed, dir: x.dir,
          ...(x.holder !== undefined ? { holder: x.holder } : {}), ...(x.staleLock ? { staleLock: x.staleLock } : {}),
        })), null, 2) + '\n');
        return;
      }
      const w = Math.max(...cells.map((x) => x.name.length));
      for (const x of cells) {
        const note = x.status === 'running' ? `  ${describeHolder(x.holder ?? null)}` : x.staleLock ? `  (stale lock: ${x.staleLock})` : '';
        process.stdout.write(`${String(x.index).padStart(String(cells.length - 1).length)}  ${x.name.padEnd(w)}  ${x.status}${note}\n`);
      }
      const count = (s: string) => cells.filter((x) => x.status === s).length;
      process.stdout.write(`${cells.length} cells: ${count('done')} done, ${count('running')} running, ${count('partial')} partial, ${count('pending')} pending\n`);
      return;
    }

    if (a.report) {
      const r = await reportExperiment(config, out, { log });
      if (a.json) {
        process.stdout.write(JSON.stringify({ out, cells: r.cells, missing: r.missing, files: r.report.files, report: r.report.report }) + '\n');
        return;
      }
      process.stdout.write('\n' + reportText(r.report.report) + '\n');
      process.stdout.write(`\n${r.cells.length} of ${r.cells.length + r.missing.length} cells in the report${r.missing.length ? ` (missing: ${r.missing.join(', ')})` : ''}. Report: ${join(out, 'report', 'report.md')} (and report.html)\n`);
      return;
    }

    const { signal, dispose } = interruptSignal('the experiment (each running cell saves its state)');
    try {
      if (a.cell !== undefined) {
        const r = await runExperimentCell(config, out, a.cell as string, { log, signal });
        if (a.json) {
          process.stdout.write(JSON.stringify({ out, cell: { index: r.cell.index, name: r.cell.name }, outcome: r.outcome, seconds: r.seconds }) + '\n');
          return;
        }
        process.stdout.write(`cell ${r.cell.index} ${r.cell.name}: ${r.outcome === 'ran' ? `finished in ${r.seconds.toFixed(0)} s` : 'finished already'}\n`);
        return;
      }
      const r = await runExperiment(config, out, { log, signal, parallel: a.parallel as number | undefined });
      if (a.json) {
        process.stdout.write(JSON.stringify({ out, ran: r.ran, reused: r.skipped, seconds: r.seconds, files: r.report.files, report: r.report.report }) + '\n');
        return;
      }
      process.stdout.write('\n' + reportText(r.report.report) + '\n');
      process.stdout.write(`\n${r.ran.length} cells run, ${r.skipped.length} reused, ${r.seconds.toFixed(0)} s. Report: ${join(out, 'report', 'report.md')} (and report.html)\n`);
    } finally {
      dispose();
    }
  },
};
export default experiment;
