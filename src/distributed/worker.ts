/**
 * One rank of a data-parallel training run, through the library (`trainRun` with `distributed`
 * from the torchrun environment), so the launcher does not depend on the CLI's flag spelling:
 *
 *   WORLD_SIZE=… RANK=… MASTER_ADDR=… MASTER_PORT=… node [--import tsx] src/distributed/worker.ts RUN_DIR RUN_CONFIG.json [--resume]
 *
 * `workerEntry()` (launch.ts) picks the sources or dist/ form. Rank 0 logs to stderr (unless
 * EYEMULATOR_WORKER_QUIET=1); other ranks print only their errors, prefixed with their rank. Exit code 0: trained; 130: interrupted by
 * SIGINT/SIGTERM (all ranks stop at the same step, rank 0 saves the state; a second signal quits at
 * once); 1: failed (the message says why: a DistributedError names the rank and collective);
 * 2: bad arguments. With EYEMULATOR_LAUNCHER_PID set, a worker whose launcher is gone exits 1.
 */
import { trainRun } from '../train/run.ts';
import { parseRunConfig } from '../train/config.ts';
import { lineProgress, silentProgress } from '../train/progress.ts';
import { readJsonFile } from '../util/json.ts';
import { EyemulatorError } from '../util/errors.ts';
import { distributedFromEnv } from './options.ts';

const args = process.argv.slice(2);
const resume = args.includes('--resume');
const pos = args.filter((a) => a !== '--resume');
const write = (l: string) => process.stderr.write(l + '\n');
if (pos.length !== 2) {
  write('usage: WORLD_SIZE=… RANK=… MASTER_ADDR=… MASTER_PORT=… worker RUN_DIR RUN_CONFIG.json [--resume]');
  process.exit(2);
}
const [runDir, configPath] = pos;
let rank = -1;
const fail = (msg: string, code: number) => {
  write(rank > 0 ? `eyemulator rank ${rank}: ${msg}` : `eyemulator: ${msg}`);
  process.exit(code);
};
const launcher = Number(process.env.EYEMULATOR_LAUNCHER_PID ?? 0);
if (launcher > 0) {
  // Detached from the terminal's process group (the launcher forwards signals): do not outlive it.
  setInterval(() => { if (process.ppid !== launcher) fail('the launcher is gone; stopping', 1); }, 1000).unref();
}
const ac = new AbortController();
const onSignal = () => {
  if (ac.signal.aborted) process.exit(130);
  if (rank <= 0) write('stopping after the current step (all ranks) and saving the state');
  ac.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
try {
  const distributed = distributedFromEnv();
  if (!distributed) fail('WORLD_SIZE and RANK are not set (run through eyemulator train --nproc N, torchrun or a scheduler that sets them)', 2);
  rank = distributed!.rank;
  const config = parseRunConfig(readJsonFile(configPath), configPath);
  const quiet = rank !== 0 || process.env.EYEMULATOR_WORKER_QUIET === '1';
  await trainRun(config, runDir, {
    resume, signal: ac.signal, distributed: distributed!,
    log: quiet ? () => {} : write,
    progress: quiet ? silentProgress : lineProgress(write, config.logEvery),
  });
  process.exit(0);
} catch (e) {
  if (e instanceof EyemulatorError) fail(e.message, e.code === 'EYEMULATOR_INTERRUPTED' ? 130 : 1);
  fail((e as Error)?.stack ?? String(e), 1);
}
