// Lock files for shared experiment folders (src/experiment/lock.ts): one holder at a time, pid +
// host + time inside, stale locks (dead pid on this host, or no heartbeat) taken over.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/tiny-model.ts';
import { LockBusyError, readLock, tryLock, waitLock } from '../../src/experiment/lock.ts';
import { InterruptedError } from '../../src/util/errors.ts';

/** A pid that is not running on this host (a child that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('a lock names its holder, refuses a second taker, and is removed on release', (t) => {
  const p = join(tempDir(), 'cell.lock');
  const a = tryLock(p, 'cell x');
  const info = JSON.parse(readFileSync(p, 'utf8'));
  t.like(info, { pid: process.pid, host: hostname(), purpose: 'cell x' });
  t.true(Date.now() - Date.parse(info.startedAt) < 60_000);
  const e = t.throws(() => tryLock(p, 'cell x'), { instanceOf: LockBusyError });
  t.regex(e!.message, new RegExp(`pid ${process.pid} on ${hostname()}`));
  t.is(e!.holder!.token, a.info.token);
  t.is(readLock(p)!.stale, null);
  a.release();
  t.false(existsSync(p));
  a.release();
  const b = tryLock(p, 'again');
  b.release();
});

test('stale locks are taken over: a dead pid on this host, or no heartbeat for staleMs (any host)', (t) => {
  const dir = tempDir();
  const dead = join(dir, 'dead.lock');
  writeFileSync(dead, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), purpose: 'cell y', token: 'old' }));
  t.regex(readLock(dead)!.stale!, /is gone/);
  const a = tryLock(dead, 'cell y');
  t.is(JSON.parse(readFileSync(dead, 'utf8')).token, a.info.token);
  a.release();

  const far = join(dir, 'far.lock');
  writeFileSync(far, JSON.stringify({ pid: 1, host: 'another-node', startedAt: new Date().toISOString(), purpose: 'cell z', token: 'far' }));
  t.is(readLock(far, { staleMs: 60_000 })!.stale, null, 'another host: alive while it beats');
  t.throws(() => tryLock(far, 'cell z', { staleMs: 60_000 }), { instanceOf: LockBusyError, message: /another-node/ });
  const old = new Date(Date.now() - 120_000);
  utimesSync(far, old, old);
  t.regex(readLock(far, { staleMs: 60_000 })!.stale!, /no heartbeat/);
  const b = tryLock(far, 'cell z', { staleMs: 60_000 });
  b.release();
  t.deepEqual(readdirSync(dir), [], 'nothing left behind');
});

test('the heartbeat keeps a lock fresh; a holder whose lock was taken over learns it; waitLock waits', async (t) => {
  const p = join(tempDir(), 'hb.lock');
  const a = tryLock(p, 'cell', { staleMs: 200 });
  const old = new Date(Date.now() - 10_000);
  utimesSync(p, old, old);
  await new Promise((r) => setTimeout(r, 150));
  t.is(readLock(p, { staleMs: 200 })!.stale, null, 'refreshed by the heartbeat');
  let waited = false;
  const w = waitLock(p, 'second', { staleMs: 200, pollMs: 20, onWait: () => { waited = true; } });
  await new Promise((r) => setTimeout(r, 100));
  a.release();
  const b = await w;
  t.true(waited);
  t.is(JSON.parse(readFileSync(p, 'utf8')).purpose, 'second');
  // Someone replaces b's file (as a takeover after a hang would): b sees it at its next beat.
  writeFileSync(p, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: new Date().toISOString(), purpose: 'other', token: 'x' }));
  await new Promise((r) => setTimeout(r, 150));
  t.true(b.lost());
  b.release();
  t.true(existsSync(p), 'release leaves a lock that is not ours');
  const ac = new AbortController();
  const w2 = waitLock(p, 'third', { pollMs: 20, signal: ac.signal });
  ac.abort();
  await t.throwsAsync(w2, { instanceOf: InterruptedError });
});

test('a lock with our own pid but not our token (a restarted container got the same pid) is stale', (t) => {
  const p = join(tempDir(), 'own.lock');
  writeFileSync(p, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'before restart', token: 'earlier' }));
  t.regex(readLock(p)!.stale!, /is gone/);
  const a = tryLock(p, 'now');
  t.is(readLock(p)!.stale, null, 'the one we hold is alive');
  t.throws(() => tryLock(p, 'twice'), { instanceOf: LockBusyError });
  a.release();
});
