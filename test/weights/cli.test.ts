import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args], { cwd: repo, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'eyemulator-weights-cli-'));
const javaFile = join(dir, 'Sum.java');
writeFileSync(javaFile, 'public int sum(int[] a) {\n  int t = 0; // ünï 😀\n  for (int i = 0; i < a.length; i++) { t += a[i]; }\n  return t;\n}\n');
const tokenizer = join(repo, 'node_modules', '@lenml', 'tokenizer-llama3', 'models', 'tokenizer.json');

test('weights --json: code tokens with labels, path, groups and weights; sub-words projected', (t) => {
  const r = run('weights', '--code', javaFile, '--tokenizer', tokenizer, '--seed', '4', '--json');
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.is(out.variant, 'full');
  t.true(out.priors.endsWith(join('priors', 'eyetrans.json')));
  t.true(out.tokens.length > 20);
  const onPath = out.tokens.filter((x: { onPath: boolean }) => x.onPath);
  t.is(onPath.length, out.pathLength);
  for (const x of out.tokens) {
    if (x.onPath) {
      t.true(x.weight > 1);
      t.true(Array.isArray(x.group) && x.group.length >= 1 && x.group.length <= 3);
      t.false(x.punct);
    } else t.is(x.weight, 1);
  }
  for (const s of out.subwords) t.is(s.weight, s.owner === null ? 1 : out.tokens[s.owner].weight);
  // same seed, same output
  t.is(run('weights', '--code', javaFile, '--tokenizer', tokenizer, '--seed', '4', '--json').stdout, r.stdout);
});

test('weights: table output, variants and option errors', (t) => {
  const r = run('weights', '--code', javaFile, '--variant', 'baseline');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /variant baseline/);
  const bad = run('weights', '--code', javaFile, '--variant', 'fancy');
  t.is(bad.status, 1);
  t.regex(bad.stderr, /unknown weighting variant "fancy"; valid: baseline, full/);
  const noLang = run('weights', '--code', join(dir, 'x.txt'));
  t.is(noLang.status, 1);
  t.regex(noLang.stderr, /--lang/);
});
