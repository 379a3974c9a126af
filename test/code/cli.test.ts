/** `eyemulator label`: JSON lines shape, stdin, and the unknown-extension error. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'label', ...args], {
    cwd: repo,
    input,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'eyemulator-label-'));
const javaFile = join(dir, 'A.java');
const csFile = join(dir, 'B.cs');
writeFileSync(javaFile, 'int f(int a) {\n  return a + 1;\n}\n');
writeFileSync(csFile, 'int G(int b) { return b; }');

test('--json: one line per file with {file, tokens:[{text,start,end,line,label,labelId}]}', (t) => {
  const r = cli([javaFile, '-', '--json', '--lang', 'java'], 'void g() { h(); }');
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 2);
  t.deepEqual(lines.map((l) => l.file), [javaFile, '-']);
  for (const l of lines) {
    t.deepEqual(Object.keys(l), ['file', 'tokens']);
    for (const tok of l.tokens) t.deepEqual(Object.keys(tok), ['text', 'start', 'end', 'line', 'label', 'labelId']);
  }
  const ret = lines[0].tokens.find((x: { text: string }) => x.text === 'return');
  t.deepEqual(ret, { text: 'return', start: 17, end: 23, line: 2, label: 'return', labelId: 17 });
  t.is(lines[1].tokens.find((x: { text: string }) => x.text === 'h').label, 'externally defined variable or function');
});

test('languages from extensions; table output without --json', (t) => {
  const r = cli([javaFile, csFile]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /== .*A\.java \(java\)/);
  t.regex(r.stdout, /== .*B\.cs \(csharp\)/);
  t.regex(r.stdout, /\n\s+2\s+return\s+return\n/);
});

test('unknown extension without --lang is an option error naming the file', (t) => {
  const txt = join(dir, 'c.txt');
  writeFileSync(txt, 'int f() { return 1; }');
  const r = cli([txt]);
  t.is(r.status, 1);
  t.regex(r.stderr, /c\.txt: unknown code file extension.*--lang/);
  t.is(r.stdout, '');
  const ok = cli([txt, '--lang', 'java', '--json']);
  t.is(ok.status, 0, ok.stderr);
});
