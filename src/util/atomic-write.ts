/**
 * The one writer of the project's files and folders, so a kill, a crash or a full disk never leaves
 * a torn or empty output and never loses the previous version.
 *
 * Files (`writeFileAtomic`, `writeTextAtomic`, `writeJsonAtomic`, `copyFileAtomic`): the bytes go
 * to `<path>.tmp-<pid>` in the same folder, which is fsynced, renamed over `<path>` (atomic on
 * POSIX), and the folder is fsynced so the rename itself survives a power loss. A reader sees the
 * old or the new content, never a mix. An existing target that is not a regular file (/dev/stdout,
 * /dev/null, a FIFO) is written in place (it cannot be replaced); a symbolic link is followed, so
 * the file it points at is replaced and the link stays.
 *
 * Folders (`writeDirAtomic`): the new folder is filled at `<dir>.tmp-<pid>` beside the target
 * (every file fsynced), then the old folder is renamed aside to `<dir>.old-<pid>`, the new one
 * renamed in, and only then the old one removed — never delete-then-rename, so at every instant
 * either the old or the new folder is complete under one of these names.
 *
 * Leftovers of a killed writer (`*.tmp-<pid>`, `*.old-<pid>` whose process is gone; the C++ engine
 * names its temp files the same way) are cleared by `cleanTempLeftovers` at the start of the
 * commands that write into a folder; an `.old-` folder whose target is missing (killed between the
 * two renames) is renamed back, restoring the previous version.
 *
 * Every failure is a FileSystemError naming the target path and the cause (ENOSPC, EACCES, EROFS,
 * EISDIR, ENOTDIR, ENOENT, ...); the temp file is removed.
 */
import {
  closeSync, copyFileSync, existsSync, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileSystemError, isErrnoError } from './errors.ts';

/** `<path>.tmp-<pid>` / `<path>.old-<pid>`: the names this writer (and the C++ engine) gives temps. */
export const LEFTOVER_PATTERN = /^(.+)\.(tmp|old)-(\d+)$/;

/** The temp name of `path` for this process. */
export function tempPathOf(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

function fsError(op: string, path: string, e: unknown): unknown {
  return isErrnoError(e) ? new FileSystemError(op, path, e) : e;
}

/** fsync a folder (best effort: some file systems, e.g. some network ones, refuse it). */
function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch {
    // The rename stands; only its durability across a power loss is not guaranteed there.
  }
}

function writeAll(fd: number, buf: Uint8Array): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/** A target that exists and is not a regular file (a device, a FIFO, a socket) is written in place. */
function writeInPlace(path: string, buf: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw fsError('write', path, e);
  }
  try {
    writeAll(fd, buf);
  } catch (e) {
    throw fsError('write', path, e);
  } finally {
    try { closeSync(fd); } catch { /* already reported */ }
  }
}

/**
 * Writes `data` (a string is UTF-8) to `path` atomically. The folder must exist (`ensureDir`).
 * Throws FileSystemError naming `path`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let target = path;
  let mode: number | null = null;
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) target = realpathSync(path);
    const real = target === path ? st : statSync(target);
    if (!real.isFile() && !real.isDirectory()) return writeInPlace(target, buf);
    if (real.isFile()) mode = real.mode & 0o7777; // a replaced file keeps its permissions
  } catch (e) {
    // ENOENT: a new file (a dangling link is replaced by the file). Other causes surface below.
    if (!isErrnoError(e) || (e.code !== 'ENOENT' && e.code !== 'ENOTDIR')) throw fsError('write', path, e);
  }
  const tmp = tempPathOf(target);
  try {
    const fd = openSync(tmp, 'w');
    try {
      if (mode !== null) fchmodSync(fd, mode);
      writeAll(fd, buf);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try { rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    throw fsError('write', path, e);
  }
  fsyncDir(dirname(target));
}

/** Writes `text` (UTF-8) to `path` atomically (see writeFileAtomic). */
export function writeTextAtomic(path: string, text: string): void {
  writeFileAtomic(path, text);
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline) to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Copies `from` to `to` atomically (temp beside `to`, fsync, rename). Throws FileSystemError. */
export function copyFileAtomic(from: string, to: string): void {
  const tmp = tempPathOf(to);
  try {
    copyFileSync(from, tmp);
    const fd = openSync(tmp, 'r+');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, to);
  } catch (e) {
    try { rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    if (isErrnoError(e) && e.code === 'ENOENT' && !existsSync(from)) throw new FileSystemError('read', from, e);
    throw fsError('write', to, e);
  }
  fsyncDir(dirname(to));
}

/** `mkdir -p dir`; throws FileSystemError (ENOTDIR when a file stands where a folder is expected, ...). */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    // mkdir -p of a path that is a file says EEXIST; what the user needs to hear is ENOTDIR.
    if (isErrnoError(e) && e.code === 'EEXIST') e.code = 'ENOTDIR';
    throw fsError('create folder', dir, e);
  }
}

/** fsync every regular file under `dir` and every folder (so a renamed-in folder is durable). */
function fsyncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else if (e.isFile()) {
      const fd = openSync(p, 'r');
      try { fsyncSync(fd); } finally { closeSync(fd); }
    }
  }
  fsyncDir(dir);
}

/**
 * Replaces (or creates) folder `dir` with one filled by `fill(tmp)` (first clearing what a killed
 * earlier write of `dir` left, see cleanTempLeftovers): `tmp` is a fresh empty folder
 * beside `dir`; after `fill` returns, the old folder is renamed aside, the new one renamed in, the
 * old one removed. If `fill` throws, `tmp` is removed and `dir` is untouched. The parent folder is
 * created if needed; an existing `dir` that is not a folder (a file, a link) is refused with
 * FileSystemError ENOTDIR, untouched. Throws FileSystemError naming `dir` for filesystem failures (errors of
 * `fill` pass through unchanged, as FileSystemErrors when they are raw filesystem errors).
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => void | Promise<void>): Promise<void> {
  ensureDir(dirname(dir));
  // A file where the folder should go is the user's: refused, never moved aside and removed.
  let existing: ReturnType<typeof lstatSync> | undefined;
  try { existing = lstatSync(dir); } catch { /* absent: created */ }
  if (existing && !existing.isDirectory()) {
    throw new FileSystemError('write folder', dir, Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR', errno: -20, path: dir }));
  }
  // An earlier write of this folder that was killed: its temp goes, a moved-aside original returns.
  cleanTempLeftovers(dirname(dir), basename(dir));
  const tmp = tempPathOf(dir);
  const old = `${dir}.old-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
  } catch (e) {
    throw fsError('create folder', tmp, e);
  }
  try {
    await fill(tmp);
    fsyncTree(tmp);
  } catch (e) {
    try { rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
    throw fsError('write', dir, e);
  }
  let hadOld = false;
  try {
    if (existsSync(dir)) {
      rmSync(old, { recursive: true, force: true });
      renameSync(dir, old);
      hadOld = true;
    }
    renameSync(tmp, dir);
  } catch (e) {
    if (hadOld && !existsSync(dir)) { try { renameSync(old, dir); } catch { /* cleanTempLeftovers restores it */ } }
    try { rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
    throw fsError('replace folder', dir, e);
  }
  fsyncDir(dirname(dir));
  if (hadOld) {
    try {
      rmSync(old, { recursive: true, force: true });
    } catch (e) {
      throw fsError('remove', old, e);
    }
  }
}

/** Whether process `pid` is alive on this machine (EPERM: alive, owned by someone else). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isErrnoError(e) && e.code === 'EPERM';
  }
}

/** One action of cleanTempLeftovers. */
export interface LeftoverAction {
  path: string;
  action: 'removed' | 'restored';
}

/**
 * Clears what killed writers left in `dir` (not recursive): `X.tmp-<pid>` files/folders are
 * removed; `X.old-<pid>` is removed when X exists, else renamed back to X (the write was killed
 * between its two renames: the previous version is restored). Entries of live processes on this
 * machine are left alone (writers on other machines sharing the folder must hold the folder's lock).
 * With `only`, just the leftovers of entry `only` (`only.tmp-<pid>`, `only.old-<pid>`). A missing
 * `dir` is nothing to clean. Returns what was done.
 */
export function cleanTempLeftovers(dir: string, only?: string): LeftoverAction[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (isErrnoError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return [];
    throw fsError('list folder', dir, e);
  }
  const done: LeftoverAction[] = [];
  // .old- first so a restore is decided before its .tmp- sibling goes.
  const found = names.map((n) => ({ n, m: LEFTOVER_PATTERN.exec(n) }))
    .filter((x) => x.m && (only === undefined || x.m[1] === only) && !alive(Number(x.m[3])));
  found.sort((a, b) => (a.m![2] === b.m![2] ? 0 : a.m![2] === 'old' ? -1 : 1));
  for (const { n, m } of found) {
    const p = join(dir, n);
    const target = join(dir, m![1]);
    try {
      if (m![2] === 'old' && !existsSync(target)) {
        renameSync(p, target);
        done.push({ path: target, action: 'restored' });
      } else {
        rmSync(p, { recursive: true, force: true });
        done.push({ path: p, action: 'removed' });
      }
    } catch (e) {
      throw fsError('clean up', p, e);
    }
  }
  return done;
}
