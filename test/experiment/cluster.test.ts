// The experiment grid on a cluster (docs/cluster.md): `--list-cells`, `--cell K` in concurrent
// processes on one shared folder, then `--report`, give the report of the serial run.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { cliEntry, listCells, reportExperiment, runExperiment, runExperimentCell } from '../../src/experiment/runner.ts';
import { LockBusyError, tryLock } from '../../src/experiment/lock.ts';
import { readStepRecords } from '../../src/train/run-dir.ts';
import { OptionError } from '../../src/util/errors.ts';


function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const e = cliEntry();
  return new Promise((res) => {
    const child = spawn(e.cmd, [...e.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/** A two-cell grid (baseline and full, one seed), tiny model, 3 steps, 4 examples decoded. */
function tinyGrid(tokenizer: string) {
  return {
    title: 'cluster', tasks: ['translation'], variants: ['baseline', 'full'], seeds: [1], regimes: [16], parallel: 1, threadsPerCell: 1,
    run: { init: { hidden: 16, layers: 1, heads: 2, maxPositions: 512 }, tokenizer, maxLength: 400, batchSize: 4, maxSteps: 3, lr: 0.01, evalN: 4, maxNewTokens: 8, evalBatchSize: 4 },
    report: { bootstrapB: 100 },
  };
}

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test.serial('two concurrent --cell processes, then --report: the serial run\'s report; finished cells are no-ops; a running cell is not started twice', async (t) => {
  const dir = tempDir();
  const tok = join(dir, 'tokenizer.json');
  writeFileSync(tok, JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  const grid = tinyGrid(tok);
  const cfgPath = join(dir, 'grid.json');
  writeFileSync(cfgPath, JSON.stringify(grid));

  const serial = join(dir, 'serial');
  const rs = await runExperiment(grid, serial, { log: () => {} });
  t.deepEqual(rs.ran, ['translation-n16-baseline-s1', 'translation-n16-full-s1']);

  const shared = join(dir, 'shared');
  const listed = await cli(['experiment', cfgPath, '--out', shared, '--list-cells', '--json']);
  t.is(listed.code, 0, listed.stderr);
  t.deepEqual(JSON.parse(listed.stdout).map((c: { index: number; name: string; status: string }) => [c.index, c.name, c.status]), [
    [0, 'translation-n16-baseline-s1', 'pending'], [1, 'translation-n16-full-s1', 'pending'],
  ]);
  t.false(existsSync(join(shared, 'experiment.json')), '--list-cells writes nothing');
  await t.throwsAsync(reportExperiment(grid, shared, { log: () => {} }), { instanceOf: OptionError, message: /no experiment/ });

  // Two array tasks at once (by index and by name), and a duplicate of the second.
  const [a, b, dup] = await Promise.all([
    cli(['experiment', cfgPath, '--out', shared, '--cell', '0']),
    cli(['experiment', cfgPath, '--out', shared, '--cell', 'translation-n16-full-s1']),
    cli(['experiment', cfgPath, '--out', shared, '--cell', '1']),
  ]);
  t.is(a.code, 0, a.stderr);
  t.is(b.code === 0 || dup.code === 0, true, b.stderr + dup.stderr);
  for (const r of [b, dup]) t.true(r.code === 0 || /being run by pid \d+ on /.test(r.stderr), r.stderr);
  for (const name of ['translation-n16-baseline-s1', 'translation-n16-full-s1']) {
    t.deepEqual(readStepRecords(join(shared, 'cells', name)).map((s) => s.step), [1, 2, 3], `${name} trained once`);
    t.false(existsSync(join(shared, 'cells', `${name}.lock`)), 'locks are released');
  }
  t.deepEqual(listCells(grid, shared).map((c) => c.status), ['done', 'done']);
  t.is((await runExperimentCell(grid, shared, 0, { log: () => {} })).outcome, 'done', 'a finished cell is a no-op');
  await t.throwsAsync(runExperimentCell(grid, shared, '2', { log: () => {} }), { instanceOf: OptionError, message: /2 cells, 0–1/ });

  const rep = await cli(['experiment', cfgPath, '--out', shared, '--report']);
  t.is(rep.code, 0, rep.stderr);
  t.regex(rep.stdout, /2 of 2 cells in the report/);
  t.deepEqual(json(join(shared, 'report', 'report.json')), json(join(serial, 'report', 'report.json')), 'the same report as the serial run');
  t.deepEqual(json(join(shared, 'results.json')), json(join(serial, 'results.json')));
  t.is(readFileSync(join(shared, 'report', 'report.md'), 'utf8'), readFileSync(join(serial, 'report', 'report.md'), 'utf8'));

  // --json: one JSON value on stdout per mode (the report's numbers are report.json's).
  const [repJson, cellJson, runJson] = await Promise.all([
    cli(['experiment', cfgPath, '--out', shared, '--report', '--json']),
    cli(['experiment', cfgPath, '--out', shared, '--cell', '0', '--json']),
    cli(['experiment', cfgPath, '--out', serial, '--json']),
  ]);
  for (const r of [repJson, cellJson, runJson]) t.is(r.code, 0, r.stderr);
  const rj = JSON.parse(repJson.stdout);
  t.deepEqual([rj.out, rj.cells, rj.missing], [shared, ['translation-n16-baseline-s1', 'translation-n16-full-s1'], []]);
  t.deepEqual(rj.report, json(join(shared, 'report', 'report.json')));
  t.true(rj.files.some((f: string) => f.endsWith('report.md')), rj.files.join(', '));
  const cj = JSON.parse(cellJson.stdout);
  t.deepEqual([cj.out, cj.cell, cj.outcome, typeof cj.seconds], [shared, { index: 0, name: 'translation-n16-baseline-s1' }, 'done', 'number']);
  const xj = JSON.parse(runJson.stdout);
  t.deepEqual([xj.ran, xj.reused], [[], ['translation-n16-baseline-s1', 'translation-n16-full-s1']], 'a rerun reuses every cell');
  t.deepEqual(xj.report, json(join(serial, 'report', 'report.json')));

  // A cell being run elsewhere is refused, listed as running; a missing cell makes a partial report.
  const full = join(shared, 'cells', 'translation-n16-full-s1');
  rmSync(join(full, 'result.json'));
  const lock = tryLock(join(shared, 'cells', 'translation-n16-full-s1.lock'), 'cell translation-n16-full-s1');
  t.is(listCells(grid, shared)[1].status, 'running');
  await t.throwsAsync(runExperimentCell(grid, shared, 1, { log: () => {} }), { instanceOf: LockBusyError, message: /being run by pid/ });
  const partial = await reportExperiment(grid, shared, { log: () => {} });
  t.deepEqual(partial.missing, ['translation-n16-full-s1']);
  t.regex(partial.results.title ?? '', /partial: 1 of 2 cells/);
  lock.release();
  t.is(listCells(grid, shared)[1].status, 'partial');
  const re = await runExperimentCell(grid, shared, 'translation-n16-full-s1', { log: () => {} });
  t.is(re.outcome, 'ran');
  t.deepEqual(readStepRecords(full).map((s) => s.step), [1, 2, 3], 'only evaluated again');
  await reportExperiment(grid, shared, { log: () => {} });
  t.deepEqual(json(join(shared, 'report', 'report.json')), json(join(serial, 'report', 'report.json')));
  await t.throwsAsync(reportExperiment({ ...grid, seeds: [2] }, shared), { instanceOf: OptionError, message: /different configuration/ });

  // The serial path beside a --cell process: it leaves the busy cell, waits for it, then finishes what is left.
  rmSync(join(full, 'result.json'));
  const held = tryLock(join(shared, 'cells', 'translation-n16-full-s1.lock'), 'cell translation-n16-full-s1');
  setTimeout(() => held.release(), 1000);
  const lines: string[] = [];
  const r = await runExperiment(grid, shared, { log: (l) => lines.push(l), pollMs: 50 });
  t.true(lines.some((l) => /being run by other processes: waiting/.test(l)), lines.join('\n'));
  t.deepEqual(r.ran, ['translation-n16-full-s1']);
  t.deepEqual(json(join(shared, 'report', 'report.json')), json(join(serial, 'report', 'report.json')));
});
