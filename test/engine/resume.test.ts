import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { tempDir, TINY } from '../helpers/tiny-model.ts';

const script = join(import.meta.dirname, '..', 'fixtures', 'resume-run.ts');

function run(args: string[], killAfterSaved?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (killAfterSaved !== undefined && out.includes(`saved ${killAfterSaved}\n`)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code, signal) => (code && code !== 0 ? reject(new Error(err)) : resolve({ code, signal, out })));
  });
}

test('a run killed with SIGKILL and resumed ends with weights bit-identical to an uninterrupted run', async (t) => {
  const dir = tempDir();
  (await Model.create(join(dir, 'model'), TINY, { seed: 3 })).dispose();
  const steps = 12;
  await run([join(dir, 'model'), join(dir, 'a.state'), String(steps), '--final', join(dir, 'a.safetensors')]);
  const killed = await run([join(dir, 'model'), join(dir, 'b.state'), String(steps)], 5);
  t.is(killed.signal, 'SIGKILL');
  t.false(killed.out.includes(`saved ${steps}\n`), 'the first run really was cut short');
  await run([join(dir, 'model'), join(dir, 'b.state'), String(steps), '--resume', '--final', join(dir, 'b.safetensors')]);
  const a = readFileSync(join(dir, 'a.safetensors'));
  const b = readFileSync(join(dir, 'b.safetensors'));
  t.true(a.equals(b), 'final adapter weights differ');
});
