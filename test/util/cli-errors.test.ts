/**
 * The CLI's top level (src/cli/main.ts): filesystem failures print one line naming the path and the
 * cause, never a stack trace, and exit 1; standard output that cannot be written (ENOSPC at
 * `> /dev/full`) is an error too, a closed pipe (EPIPE) ends quietly with 141 (128 + SIGPIPE).
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const main = join(repo, 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'eyemulator-cli-errors-'));
const java = join(dir, 'A.java');
writeFileSync(java, 'class A {\n  int f(int a) {\n    return a + 1;\n  }\n}\n');
const scanpath = join(dir, 'paths.jsonl');
writeFileSync(scanpath, JSON.stringify({
  participant: 'p', stimulus: 's', mode: 'reading', tokens: [{ id: 1, text: 'for', label: 'loop', line: 1 }, { id: 2, text: 'x', label: 'return', line: 2 }], visits: [1, 2, 1],
}) + '\n');

function run(args: string[], stdoutFd?: number) {
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { cwd: repo, encoding: 'utf8', stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] });
}

const noStack = (t: import('ava').ExecutionContext, stderr: string) => {
  t.notRegex(stderr, /\n\s+at /, 'no stack trace');
  t.is(stderr.trim().split('\n').length, 1, stderr);
};

test('weights --json > /dev/full: exit 1 with a message naming standard output and ENOSPC', (t) => {
  if (!existsSync('/dev/full')) return t.pass('no /dev/full here');
  const fd = openSync('/dev/full', 'w');
  try {
    const r = run(['weights', '--code', java, '--json'], fd);
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, /^eyemulator: standard output: cannot write: no space left on the device \(ENOSPC\)/);
    noStack(t, r.stderr);
  } finally {
    closeSync(fd);
  }
});

test('a reader that closes the pipe early: exit 141 (SIGPIPE convention), nothing on stderr', async (t) => {
  // Enough output that the writer is still writing when the reader goes.
  const big = join(dir, 'Big.java');
  writeFileSync(big, 'class Big {\n' + Array.from({ length: 3000 }, (_, i) => `  int f${i}(int a) { return a + ${i}; }\n`).join('') + '}\n');
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'label', big, '--json'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
  t.is(code, 141, stderr);
  t.is(stderr, '');
});

test('--out under a file (ENOTDIR) and --out that is a folder (EISDIR): one line, exit 1', (t) => {
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  const a = run(['priors', 'distill', scanpath, '--min-count', '1', '--out', join(file, 'p.json')]);
  t.is(a.status, 1, a.stderr);
  t.is(a.stderr.trim(), `eyemulator: ${file}: cannot create folder: a file stands where a folder is expected (ENOTDIR); check the path`);
  noStack(t, a.stderr);
  const folder = join(dir, 'afolder');
  mkdirSync(folder);
  const b = run(['priors', 'distill', scanpath, '--min-count', '1', '--out', folder]);
  t.is(b.status, 1, b.stderr);
  t.is(b.stderr.trim(), `eyemulator: ${folder}: cannot write: is a folder, a file was expected (EISDIR); give a file path`);
  noStack(t, b.stderr);
});
