/**
 * Lock files for experiment folders on shared storage (cluster array jobs write one experiment
 * folder from many processes and hosts). A lock is a file created with O_CREAT|O_EXCL (`wx`; atomic
 * on local file systems and NFSv3+) holding who holds it:
 *
 *   {"pid": 4242, "host": "node17", "startedAt": "2026-12-01T02:40:00.000Z", "purpose": "cell …", "token": "…"}
 *
 * The holder refreshes the file's mtime every `staleMs / 4` (heartbeat). A lock is stale — and
 * taken over — when its holder is gone: on the same host, its pid no longer exists (or is our own
 * pid without our token: a restarted container that got the same pid); on any host, its mtime is
 * older than `staleMs` (default 2 min: a holder on another host that died is detected within that,
 * and clocks need agree only to well within it). Host names must tell pid namespaces apart (they
 * do on Slurm nodes and Kubernetes pods; two containers sharing one host name and one folder
 * would not). Taking over renames the stale file
 * aside and checks that it moved the one it judged stale (else it puts the other one back), so two
 * processes that find the same stale lock cannot both win. The heartbeat also checks that the file
 * is still the holder's (`lost()`), so a holder that was taken over (e.g. it hung for > staleMs)
 * learns it and stops instead of writing beside the new holder.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EyemulatorError, InterruptedError } from '../util/errors.ts';

export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** What the holder does (for messages). */
  purpose: string;
  /** Random id of this acquisition (tells two holders with the same pid and host apart). */
  token: string;
}

export interface LockState {
  info: LockInfo | null;
  /** Milliseconds since the last heartbeat (file mtime). */
  ageMs: number;
  /** Why the lock is stale, or null when its holder is (as far as can be told) alive. */
  stale: string | null;
}

export interface LockOptions {
  /** A lock without heartbeat for this long is stale (ms; default 10 min). */
  staleMs?: number;
}

export interface HeldLock {
  path: string;
  info: LockInfo;
  /** True once the heartbeat found the file gone or someone else's (the lock was taken over). */
  lost(): boolean;
  /** Removes the lock file (when it is still ours) and stops the heartbeat. Idempotent. */
  release(): void;
}

export const DEFAULT_STALE_MS = 2 * 60 * 1000;

/** Tokens of the locks this process holds now. */
const heldTokens = new Set<string>();

/** A lock held by a live holder, with its details. */
export class LockBusyError extends EyemulatorError {
  readonly holder: LockInfo | null;
  constructor(message: string, holder: LockInfo | null) {
    super('EYEMULATOR_LOCKED', message);
    this.name = 'LockBusyError';
    this.holder = holder;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Reads a lock file's state; null when there is no lock. */
export function readLock(path: string, o: LockOptions = {}): LockState | null {
  let raw: string, mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let info: LockInfo | null = null;
  try {
    info = JSON.parse(raw) as LockInfo;
  } catch {
    info = null; // being written right now, or torn by a crash: judged by its age alone
  }
  const ageMs = Math.max(0, Date.now() - mtime);
  const staleMs = o.staleMs ?? DEFAULT_STALE_MS;
  let stale: string | null = null;
  if (info && info.host === hostname() && Number.isInteger(info.pid)) {
    if (info.pid === process.pid ? !heldTokens.has(info.token) : !pidAlive(info.pid)) stale = `process ${info.pid} on ${info.host} is gone`;
  }
  if (!stale && ageMs > staleMs) stale = `no heartbeat for ${Math.round(ageMs / 1000)} s`;
  return { info, ageMs, stale };
}

/** "pid 4242 on node17 since 2026-12-01T02:40:00Z (cell …)" */
export function describeHolder(info: LockInfo | null): string {
  return info ? `pid ${info.pid} on ${info.host} since ${info.startedAt} (${info.purpose})` : 'a process that is still writing its lock file';
}

function create(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(info) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Moves a stale lock aside, making sure it is the one judged stale (`seen`). */
function takeOver(path: string, seen: string): void {
  const aside = `${path}.stale-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // already gone
    throw e;
  }
  let moved = '';
  try { moved = readFileSync(aside, 'utf8'); } catch { /* vanished: nothing to restore */ }
  if (moved !== seen) {
    // Someone took it over between our look and our rename: put their fresh lock back (fails
    // harmlessly when yet another lock exists by now).
    try { linkSync(aside, path); } catch { /* EEXIST */ }
  }
  rmSync(aside, { force: true });
}

function hold(path: string, info: LockInfo, staleMs: number): HeldLock {
  let lost = false, released = false;
  heldTokens.add(info.token);
  const mine = () => {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as LockInfo).token === info.token;
    } catch {
      return false;
    }
  };
  const timer = setInterval(() => {
    if (!mine()) { lost = true; clearInterval(timer); return; }
    const now = new Date();
    try { utimesSync(path, now, now); } catch { lost = true; }
  }, Math.max(50, Math.floor(staleMs / 4)));
  timer.unref();
  return {
    path, info,
    lost: () => lost,
    release: () => {
      if (released) return;
      released = true;
      heldTokens.delete(info.token);
      clearInterval(timer);
      if (!lost && mine()) rmSync(path, { force: true });
    },
  };
}

/**
 * Takes the lock at `path` now, or throws LockBusyError naming its live holder. A stale lock is
 * taken over (see the module comment).
 */
export function tryLock(path: string, purpose: string, o: LockOptions = {}): HeldLock {
  const staleMs = o.staleMs ?? DEFAULT_STALE_MS;
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose, token: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path, info)) return hold(path, info, staleMs);
    let seen: string;
    try { seen = readFileSync(path, 'utf8'); } catch { continue; } // released meanwhile: try again
    const st = readLock(path, o);
    if (!st) continue;
    if (!st.stale) throw new LockBusyError(`${path} is held by ${describeHolder(st.info)}`, st.info);
    takeOver(path, seen);
  }
  throw new LockBusyError(`${path}: could not take the lock (it changed hands 5 times)`, null);
}

/**
 * Waits until the lock at `path` can be taken (polling every `pollMs`, default 500 ms), then takes
 * it. `onWait` is called once with the holder when the lock is busy. Throws InterruptedError when
 * `signal` aborts.
 */
export async function waitLock(
  path: string, purpose: string,
  o: LockOptions & { pollMs?: number; signal?: AbortSignal; onWait?: (holder: LockInfo | null) => void } = {},
): Promise<HeldLock> {
  let told = false;
  for (;;) {
    if (o.signal?.aborted) throw new InterruptedError(`interrupted while waiting for ${path}`);
    try {
      return tryLock(path, purpose, o);
    } catch (e) {
      if (!(e instanceof LockBusyError)) throw e;
      if (!told) { told = true; o.onWait?.(e.holder); }
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}
