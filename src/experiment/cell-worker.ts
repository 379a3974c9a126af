/**
 * Child-process entry that runs one experiment cell through the library (`runCell`), so that the
 * experiment runner does not depend on the CLI's flag spelling:
 *
 *   node [--import tsx] src/experiment/cell-worker.ts CELL_DIR RUN_CONFIG.json     (sources)
 *   node dist/src/experiment/cell-worker.js CELL_DIR RUN_CONFIG.json                (built)
 *
 * `cellWorkerEntry()` in runner.ts picks the form. Lines (progress every `logEvery` steps, evaluation)
 * go to stderr. Exit code 0: the cell is finished (result.json); 130: interrupted by SIGINT/SIGTERM
 * after saving the training state (a second signal quits at once); 1: failed (the message says why);
 * 2: bad arguments.
 */
import { runCell } from './cell.ts';
import { parseRunConfig } from '../train/config.ts';
import { lineProgress } from '../train/progress.ts';
import { readJsonFile } from '../util/json.ts';
import { EyemulatorError } from '../util/errors.ts';

const args = process.argv.slice(2);
const write = (l: string) => process.stderr.write(l + '\n');
if (args.length !== 2) {
  write('usage: cell-worker CELL_DIR RUN_CONFIG.json');
  process.exit(2);
}
const [cellDir, configPath] = args;
const ac = new AbortController();
const onSignal = () => {
  if (ac.signal.aborted) process.exit(130);
  write('stopping the cell and saving its state (the step in progress makes no update)');
  ac.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
try {
  const config = parseRunConfig(readJsonFile(configPath), configPath);
  let last = 0;
  const r = await runCell(config, cellDir, {
    log: write, signal: ac.signal, progress: lineProgress(write, config.logEvery),
    onDecode: (d, t) => { if (d === t || d - last >= Math.max(16, t / 10)) { last = d; write(`decoded ${d}/${t}`); } },
  });
  if (r.reused) write('finished already');
  process.exit(0);
} catch (e) {
  if (e instanceof EyemulatorError) {
    write(`eyemulator: ${e.message}`);
    process.exit(e.code === 'EYEMULATOR_INTERRUPTED' ? 130 : 1);
  }
  write(`eyemulator: ${(e as Error)?.stack ?? String(e)}`);
  process.exit(1);
}
