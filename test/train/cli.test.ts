import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tiny-model.ts';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { cliEntry } from '../../src/experiment/runner.ts';
import { readStepRecords } from '../../src/train/run-dir.ts';


function run(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; out: string }> {
  const e = cliEntry();
  return new Promise((res) => {
    const child = spawn(e.cmd, [...e.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const kill = () => { if (!sent) { sent = true; child.kill('SIGINT'); } };
    const take = (d: Buffer) => {
      out += d.toString();
      for (const l of d.toString().split('\n')) if (l.trim()) onLine?.(l, kill);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => res({ code, out }));
  });
}

test.serial('eyemulator train: Ctrl-C saves the state and exits 130; --resume finishes the run with every step logged once', async (t) => {
  const dir = tempDir();
  const tok = join(dir, 'tokenizer.json');
  writeFileSync(tok, JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  const out = join(dir, 'run');
  const args = ['train', '--task', 'translation', '--init-hidden', '16', '--init-layers', '1', '--init-heads', '2', '--tokenizer', tok,
    '--variant', 'full', '--train-n', '40', '--batch-size', '2', '--max-length', '400', '--max-steps', '200', '--seed', '3', '--threads', '1',
    '--out', out, '--progress', 'lines', '--log-every', '1'];
  const first = await run(args, (l, kill) => { if (/^step 3\//.test(l)) kill(); });
  t.is(first.code, 130, first.out);
  t.regex(first.out, /state saved .*--resume/);
  t.true(existsSync(join(out, 'state', 'trainer.safetensors')));
  const done = readStepRecords(out).length;
  t.true(done >= 3 && done < 200, `stopped early (${done} steps)`);
  const again = await run([...args.filter((a) => a !== '--max-steps' && a !== '200'), '--max-steps', '200', '--resume']);
  t.is(again.code, 0, again.out);
  t.regex(again.out, new RegExp(`resumed at step ${done}`));
  t.deepEqual(readStepRecords(out).map((r) => r.step), Array.from({ length: 200 }, (_, i) => i + 1));
  const bad = await run(['train', '--task', 'translation', '--model', join(dir, 'nope'), '--out', join(dir, 'r2')]);
  t.is(bad.code, 1);
  t.regex(bad.out, /no config\.json/);
});

test.serial('eyemulator train: a run that fails at start leaves nothing that blocks the corrected rerun; --out RUN --resume needs no other flag; a changed field is named', async (t) => {
  const dir = tempDir();
  const tok = join(dir, 'tokenizer.json');
  writeFileSync(tok, JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  const out = join(dir, 'run');
  const common = ['train', '--task', 'translation', '--variant', 'baseline', '--train-n', '8', '--batch-size', '2', '--max-length', '400',
    '--seed', '3', '--threads', '1', '--out', out, '--progress', 'none'];
  const bad = await run([...common, '--model', join(dir, 'nope'), '--max-steps', '2']);
  t.is(bad.code, 1, bad.out);
  t.regex(bad.out, /no config\.json/);
  t.false(existsSync(join(out, 'config.json')), 'a failed start leaves no config.json');
  t.false(existsSync(join(out, 'state')), 'nor an empty state folder');
  const good = [...common, '--init-hidden', '16', '--init-layers', '1', '--init-heads', '2', '--tokenizer', tok];
  const first = await run([...good, '--max-steps', '2', '--json']);
  t.is(first.code, 0, first.out);
  // --json: the run summary as one JSON line on stdout (human lines go to stderr)
  const summary = JSON.parse(first.out.split('\n').find((l) => l.startsWith('{"train":'))!);
  t.is(summary.train.steps, 2);
  t.is(summary.eval, null);
  const changed = await run(['train', '--out', out, '--resume', '--max-steps', '3', '--lr', '0.5']);
  t.is(changed.code, 1, changed.out);
  t.regex(changed.out, /configuration differs from the one .* in lr, maxSteps;/);
  const again = await run(['train', '--out', out, '--resume', '--progress', 'none']);
  t.is(again.code, 0, again.out);
  t.regex(again.out, /training already finished/);
});
