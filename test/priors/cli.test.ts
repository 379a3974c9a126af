import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataRoot as sharedDataRoot } from '../../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args], { cwd: repo, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'eyemulator-priors-cli-'));
const artifact = join(sharedDataRoot(), 'eyemulator');
if (!existsSync(artifact)) console.log(`[skip] ${artifact} is absent: priors import is checked against the EyeMulator artifact in ../shared/data (or EYEMULATOR_DATA)`);

test('priors show prints the salience table, transitions and credit', (t) => {
  const r = run('priors', 'show', 'priors/eyetrans.json', '--mode', 'reading', '--top', '3');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /priors: mode reading, 19 labels/);
  t.regex(r.stdout, /label\s+alpha\s+beta\s+E\[θ\]\s+shown\s+fixated/);
  t.regex(r.stdout, /top bigram transitions/);
  t.regex(r.stdout, /cite: .*EyeTrans/);
});

(existsSync(artifact) ? test : test.skip)('priors import reproduces the shipped priors and reports drops', (t) => {
  const out = join(dir, 'eyetrans.json');
  const r = run('priors', 'import', artifact, '--out', out);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /dropped from combined\/monogram_counts\.json: \d+ keys/);
  t.deepEqual(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFileSync(join(repo, 'priors', 'eyetrans.json'), 'utf8')));
});

test('priors distill writes priors; a malformed row exits 1 with file:line', (t) => {
  const good = { participant: 'p', stimulus: 's', mode: 'reading', tokens: [{ id: 1, text: 'for', label: 'loop', line: 1 }, { id: 2, text: 'x', label: 'return', line: 2 }], visits: [1, 2, 1] };
  const f = join(dir, 'paths.jsonl');
  writeFileSync(f, JSON.stringify(good) + '\n');
  const out = join(dir, 'distilled.json');
  const r = run('priors', 'distill', f, '--min-count', '1', '--out', out);
  t.is(r.status, 0, r.stderr);
  const p = JSON.parse(readFileSync(out, 'utf8'));
  t.deepEqual(p.modes.reading.labels.loop, { alpha: 2, beta: 1, fixated: 1, shown: 1 });
  t.is(p.modes.reading.ngrams['2']['loop|return'], 1);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, JSON.stringify(good) + '\n' + JSON.stringify({ ...good, visits: [1, 7] }) + '\n');
  const e = run('priors', 'distill', bad, '--out', join(dir, 'x.json'));
  t.is(e.status, 1);
  t.true(e.stderr.includes(`${bad}:2: field visits[1]`), e.stderr);
  const m = run('priors', 'show', bad);
  t.is(m.status, 1);
  t.regex(m.stderr, /not valid JSON/);
});

test('the CLI entry is importable without data (help lists the priors command)', (t) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'priors', '--help'], { cwd: repo, encoding: 'utf8' });
  t.regex(out, /import <dir>/);
  t.regex(out, /distill <scanpaths\.\.>/);
  t.regex(out, /show <file>/);
});
