// One spelling per flag across commands (issue 11): the decoding limit is --max-new-tokens in
// generate, train and attention; generate's old --max-new still works but is out of --help.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const help = async (cmd: string) => (await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', cmd, '--help'], { cwd: process.cwd() })).stdout;

test('--max-new-tokens is the spelling in generate, train and attention; --max-new is hidden; every generate option is described', async (t) => {
  const [gen, train, att] = await Promise.all([help('generate'), help('train'), help('attention')]);
  for (const h of [gen, train, att]) t.regex(h, /--max-new-tokens/);
  t.notRegex(gen, /--max-new\s/);
  // Each option line of `generate --help` carries a description after its flag (yargs prints
  // "--flag  description  [type] [default]"; a bare "--flag  [type]" has none).
  const bare = gen.split('\n').filter((l) => /^\s+--[\w-]+\s+\[/.test(l));
  t.deepEqual(bare, [], `options without a description:\n${bare.join('\n')}`);
});
