import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSample, readLines, repoRoot, sampleDir } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'eyemulator-eval-'));

function runCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'eval', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
}

const sampleTest = hasSample ? test : test.skip;

sampleTest('eval --json prints one object with the headline keys (CodeXGLUE sample: BLEU 61.08)', (t) => {
  const preds = readLines(join(sampleDir, 'predictions.txt'));
  const refs = readLines(join(sampleDir, 'references.txt'));
  const file = join(dir, 'preds.jsonl');
  writeFileSync(file, preds.map((p, i) => JSON.stringify({ id: String(i), input: '', prediction: p, reference: refs[i] })).join('\n') + '\n\n');
  const targets = join(dir, 'train.txt');
  writeFileSync(targets, refs.join('\n'));
  const out = runCli(['--preds', file, '--task', 'translation', '--json', '--train-targets', targets]);
  t.is(out.status, 0, out.stderr);
  const obj = JSON.parse(out.stdout.trim());
  t.deepEqual(Object.keys(obj), ['n', 'exact', 'contain', 'hExact', 'bleu', 'codebleu', 'chrf', 'crystalbleu', 'meteor', 'rougeL']);
  t.is(obj.n, 10);
  t.is(obj.bleu.toFixed(2), '61.08');
  t.is(typeof obj.crystalbleu, 'number');

  const table = runCli(['--preds', file, '--task', 'translation']);
  t.is(table.status, 0, table.stderr);
  t.regex(table.stdout, /BLEU-4 \(corpus, CodeXGLUE\)\s+61\.08/);
  t.regex(table.stdout, /CrystalBLEU\s+—/);
});

test('eval: a malformed line fails with file:line', (t) => {
  const file = join(dir, 'bad.jsonl');
  writeFileSync(file, '{"id":"1","prediction":"a","reference":"a"}\n{"id":"2","prediction":3,"reference":"b"}\n');
  const out = runCli(['--preds', file, '--task', 'summarization', '--json']);
  t.is(out.status, 1);
  t.regex(out.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: field "prediction"`));
  writeFileSync(file, '{"id":"1","prediction":"a","reference":"a"}\nnot json\n');
  const out2 = runCli(['--preds', file, '--task', 'summarization']);
  t.is(out2.status, 1);
  t.regex(out2.stderr, /bad\.jsonl:2: not valid JSON/);
});

test('eval: summarization --json has nulls for code-only metrics', (t) => {
  const file = join(dir, 'sum.jsonl');
  writeFileSync(file, JSON.stringify({ id: 'a', input: 'int f(){}', prediction: 'returns the name', reference: 'returns the name .' }) + '\n');
  const out = runCli(['--preds', file, '--task', 'summarization', '--json']);
  t.is(out.status, 0, out.stderr);
  const obj = JSON.parse(out.stdout);
  t.is(obj.codebleu, null);
  t.is(obj.crystalbleu, null);
  t.is(obj.n, 1);
});
