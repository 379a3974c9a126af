/**
 * util/atomic-write.ts: files and folders are replaced whole, leftovers of killed writers are
 * cleared, and every filesystem failure is one FileSystemError naming the path and the cause.
 * Tests run as root in CI, where permissions do not stop writes: EACCES comes from /sys (sysfs
 * refuses new files even to root) or from a chmod'ed folder for other users; EROFS and a real
 * full disk from small tmpfs mounts when this process may mount (skipped with a message otherwise).
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cleanTempLeftovers, copyFileAtomic, ensureDir, writeDirAtomic, writeFileAtomic, writeJsonAtomic, writeTextAtomic,
} from '../../src/util/atomic-write.ts';
import { FileSystemError } from '../../src/util/errors.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = () => mkdtempSync(join(tmpdir(), 'eyemulator-atomic-'));
const isRoot = process.getuid?.() === 0;

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function fsError(t: import('ava').ExecutionContext, f: () => unknown, errno: string, path: string): void {
  const e = t.throws(f, { instanceOf: FileSystemError });
  t.is(e?.errno, errno, e?.message);
  t.is(e?.path, path);
  t.true(e!.message.startsWith(`${path}: cannot `), e?.message);
  t.true(e!.message.includes(`(${errno})`), e?.message);
}

test('writeTextAtomic / writeJsonAtomic replace the content and leave no temp file', (t) => {
  const d = tmp();
  const f = join(d, 'a.json');
  writeJsonAtomic(f, { a: 1 });
  writeTextAtomic(f, 'second\n');
  t.is(readFileSync(f, 'utf8'), 'second\n');
  writeFileAtomic(f, new Uint8Array([104, 105]));
  t.is(readFileSync(f, 'utf8'), 'hi');
  t.deepEqual(readdirSync(d), ['a.json']);
  chmodSync(f, 0o640);
  writeTextAtomic(f, 'mode kept');
  t.is(statSync(f).mode & 0o777, 0o640, 'a replaced file keeps its permissions');
});

test('a symbolic link is followed (the file it points at is replaced, the link stays)', (t) => {
  const d = tmp();
  writeFileSync(join(d, 'real.txt'), 'old');
  spawnSync('ln', ['-s', 'real.txt', join(d, 'link.txt')]);
  writeTextAtomic(join(d, 'link.txt'), 'new');
  t.is(readFileSync(join(d, 'real.txt'), 'utf8'), 'new');
  t.deepEqual(readdirSync(d).sort(), ['link.txt', 'real.txt']);
});

test('ENOSPC: /dev/full (a device is written in place, never replaced)', (t) => {
  if (!existsSync('/dev/full')) return t.pass('no /dev/full on this system');
  fsError(t, () => writeTextAtomic('/dev/full', 'x'), 'ENOSPC', '/dev/full');
  t.true(existsSync('/dev/full'));
  t.false(existsSync(`/dev/full.tmp-${process.pid}`));
});

test('ENOTDIR: a path under a file; EISDIR: a folder where a file is expected; ENOENT: a missing folder', (t) => {
  const d = tmp();
  const file = join(d, 'f.txt');
  writeFileSync(file, 'x');
  fsError(t, () => writeTextAtomic(join(file, 'out.json'), '{}'), 'ENOTDIR', join(file, 'out.json'));
  fsError(t, () => ensureDir(join(file, 'sub')), 'ENOTDIR', join(file, 'sub'));
  mkdirSync(join(d, 'dir'));
  fsError(t, () => writeTextAtomic(join(d, 'dir'), '{}'), 'EISDIR', join(d, 'dir'));
  t.true(readdirSync(join(d, 'dir')).length === 0);
  fsError(t, () => writeTextAtomic(join(d, 'missing', 'x.json'), '{}'), 'ENOENT', join(d, 'missing', 'x.json'));
  t.deepEqual(readdirSync(d).sort(), ['dir', 'f.txt']);
  const e = t.throws(() => writeTextAtomic(join(d, 'dir'), '{}'));
  t.regex(e!.message, /is a folder, a file was expected \(EISDIR\); give a file path$/);
});

test('EACCES: a folder the process may not write', (t) => {
  if (isRoot) {
    // Root passes permission checks on ordinary folders; sysfs refuses new files even to root.
    if (!existsSync('/sys/kernel')) return t.pass('root and no /sys: EACCES cannot be provoked here');
    fsError(t, () => writeTextAtomic('/sys/kernel/eyemulator-test.json', '{}'), 'EACCES', '/sys/kernel/eyemulator-test.json');
    return;
  }
  const d = tmp();
  chmodSync(d, 0o555);
  fsError(t, () => writeTextAtomic(join(d, 'x.json'), '{}'), 'EACCES', join(d, 'x.json'));
  chmodSync(d, 0o755);
});

/** Mounts a small tmpfs (ro or size-limited) at a new folder; null when this process may not mount. */
function mountTmpfs(opts: string): string | null {
  if (!isRoot) return null;
  const d = tmp();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', d], { encoding: 'utf8' });
  return r.status === 0 ? d : null;
}
const umount = (d: string) => spawnSync('umount', [d]);

test('EROFS: a read-only file system (tmpfs mounted ro)', (t) => {
  const d = mountTmpfs('ro,size=64k');
  if (!d) return t.pass('cannot mount here (not root or no CAP_SYS_ADMIN): EROFS case skipped');
  try {
    fsError(t, () => writeTextAtomic(join(d, 'x.json'), '{}'), 'EROFS', join(d, 'x.json'));
    t.regex(t.throws(() => writeTextAtomic(join(d, 'x.json'), '{}'))!.message, /read-only file system \(EROFS\); choose a writable location/);
  } finally {
    umount(d);
  }
});

test('a full disk mid-write keeps the previous version and leaves no temp file', (t) => {
  const d = mountTmpfs('size=256k');
  if (!d) return t.pass('cannot mount here (not root or no CAP_SYS_ADMIN): full-disk case skipped');
  try {
    const f = join(d, 'eval.json');
    writeJsonAtomic(f, { ok: 1 });
    fsError(t, () => writeTextAtomic(f, 'x'.repeat(1 << 20)), 'ENOSPC', f);
    t.deepEqual(JSON.parse(readFileSync(f, 'utf8')), { ok: 1 });
    t.deepEqual(readdirSync(d), ['eval.json']);
    // A folder write that runs out of space leaves the old folder whole.
    mkdirSync(join(d, 'ckpt'));
    writeFileSync(join(d, 'ckpt', 'w.bin'), 'v1');
    return writeDirAtomic(join(d, 'ckpt'), (tmpDir) => writeFileAtomic(join(tmpDir, 'w.bin'), Buffer.alloc(1 << 20)))
      .then(() => t.fail('expected ENOSPC'), (e) => {
        t.true(e instanceof FileSystemError && e.errno === 'ENOSPC', String(e));
        t.is(readFileSync(join(d, 'ckpt', 'w.bin'), 'utf8'), 'v1');
        t.deepEqual(readdirSync(d).sort(), ['ckpt', 'eval.json']);
      });
  } finally {
    setTimeout(() => umount(d), 0);
  }
});

test('copyFileAtomic copies; a missing source is named as such', (t) => {
  const d = tmp();
  writeFileSync(join(d, 'a'), 'A');
  copyFileAtomic(join(d, 'a'), join(d, 'b'));
  t.is(readFileSync(join(d, 'b'), 'utf8'), 'A');
  fsError(t, () => copyFileAtomic(join(d, 'none'), join(d, 'c')), 'ENOENT', join(d, 'none'));
  t.deepEqual(readdirSync(d).sort(), ['a', 'b']);
});

test('writeDirAtomic: new folder, replacement, and a failing fill leaves the old folder untouched', async (t) => {
  const d = tmp();
  const ck = join(d, 'checkpoints', 'epoch-1');
  await writeDirAtomic(ck, (x) => writeFileSync(join(x, 'w'), 'v1'));
  t.is(readFileSync(join(ck, 'w'), 'utf8'), 'v1');
  await writeDirAtomic(ck, (x) => { writeFileSync(join(x, 'w'), 'v2'); writeFileSync(join(x, 'extra'), 'e'); });
  t.deepEqual(readdirSync(ck).sort(), ['extra', 'w']);
  t.is(readFileSync(join(ck, 'w'), 'utf8'), 'v2');
  await t.throwsAsync(writeDirAtomic(ck, (x) => { writeFileSync(join(x, 'w'), 'v3'); throw new Error('engine failed'); }), { message: 'engine failed' });
  t.is(readFileSync(join(ck, 'w'), 'utf8'), 'v2');
  t.deepEqual(readdirSync(join(d, 'checkpoints')), ['epoch-1']);
  // A file where the folder should go is refused and left alone.
  const file = join(d, 'notes.txt');
  writeFileSync(file, 'keep me');
  const e = await t.throwsAsync(writeDirAtomic(file, (x) => writeFileSync(join(x, 'w'), 'v')), { instanceOf: FileSystemError });
  t.is(e?.errno, 'ENOTDIR');
  t.is(readFileSync(file, 'utf8'), 'keep me');
  t.deepEqual(readdirSync(d).sort(), ['checkpoints', 'notes.txt']);
});

test('cleanTempLeftovers: dead writers\' temps removed, a folder moved aside restored, live ones kept', (t) => {
  const d = tmp();
  const dead = deadPid();
  // Killed between "old aside" and "new in": only epoch-1.old-P and the complete epoch-1.tmp-P.
  mkdirSync(join(d, `epoch-1.old-${dead}`));
  writeFileSync(join(d, `epoch-1.old-${dead}`, 'w'), 'previous');
  mkdirSync(join(d, `epoch-1.tmp-${dead}`));
  // Killed before removing the old folder: epoch-2 and epoch-2.old-P.
  mkdirSync(join(d, 'epoch-2'));
  mkdirSync(join(d, `epoch-2.old-${dead}`));
  // A file temp (also the C++ engine's naming) and one of this live process.
  writeFileSync(join(d, `trainer.safetensors.tmp-${dead}`), 'half');
  writeFileSync(join(d, `eval.json.tmp-${process.pid}`), 'in progress');
  writeFileSync(join(d, 'notes.tmp-x'), 'user file');
  const done = cleanTempLeftovers(d);
  t.deepEqual(readdirSync(d).sort(), ['epoch-1', 'epoch-2', `eval.json.tmp-${process.pid}`, 'notes.tmp-x']);
  t.is(readFileSync(join(d, 'epoch-1', 'w'), 'utf8'), 'previous');
  t.deepEqual(done.filter((a) => a.action === 'restored').map((a) => a.path), [join(d, 'epoch-1')]);
  t.is(done.filter((a) => a.action === 'removed').length, 3);
  t.deepEqual(cleanTempLeftovers(join(d, 'missing')), []);
});

test('writeDirAtomic first clears its own target\'s leftovers (and only those)', async (t) => {
  const d = tmp();
  const dead = deadPid();
  // A killed write of `final` between its renames: final missing, final.old-P holds the previous one.
  mkdirSync(join(d, `final.old-${dead}`));
  writeFileSync(join(d, `final.old-${dead}`, 'w'), 'previous');
  mkdirSync(join(d, `final.tmp-${dead}`));
  mkdirSync(join(d, `other.tmp-${dead}`));
  await writeDirAtomic(join(d, 'final'), (x) => writeFileSync(join(x, 'w'), 'new'));
  t.is(readFileSync(join(d, 'final', 'w'), 'utf8'), 'new');
  t.deepEqual(readdirSync(d).sort(), ['final', `other.tmp-${dead}`]);
});

test('SIGKILL during repeated writes: the file always parses whole, leftovers are cleaned', async (t) => {
  const d = tmp();
  const f = join(d, 'result.json');
  writeJsonAtomic(f, { n: -1, pad: '' });
  const script = `import { writeJsonAtomic } from ${JSON.stringify(join(repo, 'src/util/atomic-write.ts'))};
    const pad = 'x'.repeat(8 << 20); process.stdout.write('ready\\n');
    for (let n = 0; ; n++) writeJsonAtomic(${JSON.stringify(f)}, { n, pad });`;
  let cleaned = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    // Kill while a temp file exists (mid-write), or after 3 s whatever the state.
    const until = Date.now() + 3000;
    while (Date.now() < until && !readdirSync(d).some((n) => n.includes('.tmp-'))) await new Promise((ok) => setImmediate(ok));
    child.kill('SIGKILL');
    await new Promise((ok) => child.once('exit', ok));
    const v = JSON.parse(readFileSync(f, 'utf8'));
    t.true(Number.isInteger(v.n));
    cleaned += cleanTempLeftovers(d).length;
    t.deepEqual(readdirSync(d), ['result.json']);
  }
  t.log(`${cleaned} of 3 kills landed mid-write (a temp file was left and removed)`);
  t.true(cleaned >= 1, 'at least one kill landed mid-write');
});

test.after.always(() => {
  for (const e of readdirSync(tmpdir())) if (e.startsWith('eyemulator-atomic-')) try { rmSync(join(tmpdir(), e), { recursive: true, force: true }); } catch { /* mounted */ }
});
