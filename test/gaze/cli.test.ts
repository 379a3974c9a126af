/** The `eyemulator gaze` commands, run as a user would (node --import tsx src/cli/main.ts gaze …). */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFixationsCsv, readScanPaths } from '../../src/gaze/index.ts';
import { dataRoot, repoRoot, tempDir, tempFile } from './helpers.ts';

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'gaze', ...args], { cwd: repoRoot });

test('gaze fixations on a generic CSV writes the fixation table and prints the counts', async (t) => {
  const rows = ['t_ms,x,y'];
  for (let k = 0; k <= 10; k++) rows.push(`${k * 20},${100 + (k % 3)},200`);
  rows.push('220,0,0', '240,900,900');
  for (let k = 13; k <= 25; k++) rows.push(`${k * 20},${500},${300 + (k % 2)}`);
  const input = tempFile('trace.csv', rows.join('\n'));
  const { stdout, stderr } = await cli(['fixations', input, '--dispersion', '10']);
  t.is(stdout.split('\n')[0], 'stimulus,start_ms,end_ms,duration_ms,x,y');
  t.is(stdout.trim().split('\n').length, 3);
  // x over k = 0..10 is 100,101,102,… → 1110 / 11 = 100.909…; y over k = 13..25 has 7 odd k → 300 + 7/13.
  t.regex(stdout, /^trace\.csv,0,200,200,100\.91,200$/m);
  t.regex(stdout, /^trace\.csv,260,500,240,500,300\.54$/m);
  t.regex(stderr, /samples: 26, invalid: 1, fixations: 2/);
  const out = join(tempDir(), 'f.csv');
  await cli(['fixations', input, '--dispersion', '10', '--algorithm', 'ivt', '--velocity', '1', '--out', out]);
  t.is((await readFixationsCsv(out)).length, 2);
});

test('gaze fixations reports a malformed row as file:line and exits 1', async (t) => {
  const input = tempFile('broken.csv', 't_ms,x,y\n0,1,1\n10,x,1\n');
  const err = await t.throwsAsync(cli(['fixations', input]));
  t.is((err as unknown as { code?: number }).code, 1);
  t.regex((err as unknown as { stderr: string }).stderr, /broken\.csv:3: x\/y "x", "1" is not a number/);
});

const emip = join(dataRoot, 'emip');
const haveEmip = existsSync(join(emip, 'rawdata', '134_rawdata.tsv'));
if (!haveEmip) console.log(`EMIP data not found under ${emip}: skipping the EMIP CLI test`);
(haveEmip ? test : test.skip)('gaze fixations → scanpaths → plot on EMIP participant 134', async (t) => {
  const dir = tempDir();
  const fix = join(dir, '134_fixations.csv');
  const { stderr } = await cli(['fixations', join(emip, 'rawdata', '134_rawdata.tsv'), '--stimulus', 'rectangle_java2.jpg', '--out', fix]);
  t.regex(stderr, /samples: 5060, invalid: 66, fixations: 96 /);
  const sp = join(dir, 's.jsonl');
  const aois = join(emip, 'aois', 'aois_rectangle_java2.csv');
  const r2 = await cli(['scanpaths', '--fixations', fix, '--aois', aois, '--code', join(emip, 'programs', 'Rectangle.java'), '--mode', 'reading', '--margin', '34', '--out', sp]);
  t.regex(r2.stderr, /participant 134, stimulus rectangle_java2\.jpg: 96 fixations, 86 on a token, 10 unmapped \(10\.4%, margin 34 px\)/);
  const [path] = await readScanPaths(sp);
  t.is(path.participant, '134');
  t.is(path.tokens.length, 142);
  t.true(path.tokens.some((tok) => tok.label !== null));
  t.true(path.visits.length > 0 && path.visits.length <= 86);
  for (let i = 1; i < path.visits.length; i++) t.not(path.visits[i], path.visits[i - 1]);
  const svg = join(dir, 'p.svg');
  await cli(['plot', '--scanpath', sp, '--aois', aois, '--image', join(emip, 'stimuli', 'rectangle_java2.jpg'), '--fixations', fix, '--out', svg]);
  const text = readFileSync(svg, 'utf8');
  t.true(text.startsWith('<svg'));
  t.regex(text, /width="1920" height="1080"/);
  t.regex(text, /href="data:image\/jpeg;base64,\/9j\//);
  t.is(text.match(/<circle /g)?.length, 96);
  t.regex(text, />96<\/text>/);
});
