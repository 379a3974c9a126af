/**
 * `eyemulator train … --nproc N`: N local ranks of one data-parallel run (the torchrun
 * `--standalone --nproc-per-node N` case), each a worker process (worker.ts) with its share of the
 * cores as libtorch threads, meeting at a TCPStore on 127.0.0.1 and a free port.
 *
 * Failure is loud: when a rank exits non-zero or is killed, the launcher kills the others and
 * rejects with a DistributedLaunchError naming that rank. An abort (Ctrl-C) is forwarded once to
 * every rank: they stop at the same step, rank 0 saves the state, and the launcher rejects with
 * InterruptedError; a second abort kills them at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunConfig } from '../train/config.ts';
import { EyemulatorError, InterruptedError, OptionError } from '../util/errors.ts';
import { DEFAULT_TIMEOUT_SECONDS } from './options.ts';

/** A rank of a launched job failed; `rank` is the first one that did (its exit code or signal in the message). */
export class DistributedLaunchError extends EyemulatorError {
  readonly rank: number;
  constructor(rank: number, message: string) {
    super('EYEMULATOR_DISTRIBUTED', message);
    this.rank = rank;
  }
}

export interface LaunchOptions {
  /** Local ranks (processes), ≥ 1. */
  nproc: number;
  /** Continue the run in `runDir` (saved with the same number of ranks). */
  resume?: boolean;
  /** libtorch threads per rank (default: the config's `threads`, else available cores / nproc, at least 1). */
  threadsPerRank?: number;
  /** Rendezvous and collective timeout, seconds (default 300). */
  timeoutSeconds?: number;
  /** Forwarded to every rank as SIGINT (first abort) or SIGKILL (second). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Rank 0 prints only errors too (no log lines, no progress): for tests and services. Default false. */
  quiet?: boolean;
  /** Extra environment for the workers (tests). */
  env?: NodeJS.ProcessEnv;
  /** Called with each rank's pid once it is started (tests, supervisors). */
  onSpawn?: (rank: number, pid: number) => void;
}

/** The worker module under the same Node: the sources under tsx when running from sources, else dist/. */
export function workerEntry(): { cmd: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return { cmd: process.execPath, args: [join(dirname(here), 'worker.js')] };
  let tsx = 'tsx';
  try { tsx = import.meta.resolve('tsx'); } catch { /* resolved from the working folder then */ }
  return { cmd: process.execPath, args: ['--import', tsx, join(dirname(here), 'worker.ts')] };
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the kernel's pick, as torchrun's standalone mode does). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

function describeExit(code: number | null, sig: NodeJS.Signals | null): string {
  return sig ? `was killed by ${sig}` : `exited with code ${code}`;
}

/**
 * Trains `runConfig` (a RunConfig object, checked by parseRunConfig) into `runDir` with `nproc` local ranks. Resolves when every rank exited 0.
 * Rejects with DistributedLaunchError (a rank failed: named), InterruptedError (aborted: every
 * rank stopped, the state is saved) or OptionError (bad nproc).
 */
export async function launchLocal(runConfig: unknown, runDir: string, o: LaunchOptions): Promise<void> {
  const config = parseRunConfig(runConfig);
  const n = o.nproc;
  if (!Number.isInteger(n) || n < 1) throw new OptionError(`--nproc must be a positive integer, got ${n}`);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const threads = o.threadsPerRank ?? config.threads ?? Math.max(1, Math.floor(availableParallelism() / n));
  const tmp = mkdtempSync(join(tmpdir(), 'eyemulator-ddp-'));
  const configPath = join(tmp, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...config, threads }));
  const port = await freePort();
  const entry = workerEntry();
  const children: ChildProcess[] = [];
  const alive = new Set<number>();
  let failure: { rank: number; msg: string } | null = null;
  let interrupted = 0;
  let stopped = false;
  const killAll = () => { for (const r of alive) children[r].kill('SIGKILL'); };
  const onAbort = () => {
    interrupted += 1;
    for (const r of alive) children[r].kill(interrupted === 1 ? 'SIGINT' : 'SIGKILL');
  };
  o.signal?.addEventListener('abort', onAbort);
  log(`data-parallel: ${n} ranks × ${threads} thread(s), TCPStore on 127.0.0.1:${port}`);
  try {
    const exits = Array.from({ length: n }, (_, rank) => new Promise<void>((resolveExit) => {
      const child = spawn(entry.cmd, [...entry.args, runDir, configPath, ...(o.resume ? ['--resume'] : [])], {
        // Own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it once.
        detached: true,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env, ...o.env,
          WORLD_SIZE: String(n), RANK: String(rank), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(n),
          MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
          EYEMULATOR_DIST_TIMEOUT: String(o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
          EYEMULATOR_LAUNCHER_PID: String(process.pid),
          ...(o.quiet ? { EYEMULATOR_WORKER_QUIET: '1' } : {}),
          OMP_NUM_THREADS: String(threads),
        },
      });
      children[rank] = child;
      alive.add(rank);
      if (child.pid) o.onSpawn?.(rank, child.pid);
      child.on('error', (e) => {
        if (!failure) failure = { rank, msg: `rank ${rank} could not start (${e.message})` };
        alive.delete(rank);
        killAll();
        resolveExit();
      });
      child.on('exit', (code, sig) => {
        alive.delete(rank);
        // 130: the rank was interrupted (by us, or a signal sent to it directly: the ranks agree
        // on stopping within a step, so the others follow on their own).
        if (code === 130) stopped = true;
        const ok = code === 0 || code === 130 || (interrupted > 0 && (sig === 'SIGINT' || sig === 'SIGKILL'));
        if (!ok && !failure) {
          failure = { rank, msg: `rank ${rank} (pid ${child.pid}) ${describeExit(code, sig)}` };
          killAll();  // the others would only wait for it until the timeout
        }
        resolveExit();
      });
    }));
    await Promise.all(exits);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
  const f = failure as { rank: number; msg: string } | null;
  if (f) throw new DistributedLaunchError(f.rank, `data-parallel training failed: ${f.msg}; the other ranks were stopped`);
  if (interrupted || stopped) throw new InterruptedError(`interrupted: all ${n} ranks stopped at the same step; rank 0 saved the state in ${join(runDir, 'state')}; continue with --resume --nproc ${n}`);
}
