// One spelling per flag across commands (issue 11): the decoding limit is --max-new-tokens in
// generate, train and attention; generate's old --max-new still works but is out of --help.
// Every command's --help describes each of its options and positionals and shows an example; the
// model folder is --model everywhere (model info keeps its positional too).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { buildCli } from '../../src/cli/program.ts';

const run = promisify(execFile);
const cliArgs = (args: string[]) => [process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]] as const;
const help = async (cmd: string) => (await run(...cliArgs([cmd, '--help']), { cwd: process.cwd() })).stdout;

test('--max-new-tokens is the spelling in generate, train and attention; --max-new is hidden; every generate option is described', async (t) => {
  const [gen, train, att] = await Promise.all([help('generate'), help('train'), help('attention')]);
  for (const h of [gen, train, att]) t.regex(h, /--max-new-tokens/);
  t.notRegex(gen, /--max-new\s/);
  // Each option line of `generate --help` carries a description after its flag (yargs prints
  // "--flag  description  [type] [default]"; a bare "--flag  [type]" has none).
  const bare = gen.split('\n').filter((l) => /^\s+--[\w-]+\s+\[/.test(l));
  t.deepEqual(bare, [], `options without a description:\n${bare.join('\n')}`);
});

// --- every command's --help, read in-process from the CLI's own parser -------------------------------

/** The --help text of a parser for `path` (e.g. ['model', 'info']), as the CLI prints it. */
function helpText(cli: Argv, path: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    cli.exitProcess(false).parse([...path, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)));
  });
}

const cliHelp = async (path: readonly string[]) => helpText(await buildCli([...path, '--help']), path);

/** The entries of one section ("Options", "Positionals", "Commands") of a help text: their lines, wrapped continuations joined. */
function section(help: string, name: string): string[][] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return [];
  const entries: string[][] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '' || /^\S/.test(l)) break;
    // An entry starts at the name column (2 spaces, or 6 for options beside a "-h, " alias);
    // a wrapped description or type line is indented further.
    if (/^ {2}(?:-\w, |    )?-{0,2}[\w$]/.test(l) && l.search(/\S/) <= 6) entries.push([l]);
    else entries.at(-1)?.push(l);
  }
  return entries;
}

/** Options and positionals whose entry has no description (the name followed by nothing or by "[type]"). */
function undescribed(help: string): string[] {
  const out: string[] = [];
  for (const sec of ['Positionals', 'Options']) {
    for (const [first] of section(help, sec)) {
      const m = /^\s*(?:-\w, )?(-{0,2}[\w$.-]+)\s*(.*)$/.exec(first)!;
      const rest = m[2].trim();
      if (rest === '' || rest.startsWith('[')) out.push(m[1]);
    }
  }
  return out;
}

/** The subcommands a help text lists under "Commands:", as paths (e.g. ['model', 'info']). */
function subcommands(help: string): string[][] {
  return section(help, 'Commands').map(([first]) => {
    // "eyemulator model info [dir]   description…": the command is what precedes the gap.
    const words = first.trim().split(/\s{2,}/)[0].split(' ').slice(1); // drop the script name
    const path: string[] = [];
    for (const w of words) {
      if (!/^[a-z][\w-]*$/.test(w)) break; // <positional>, [optional], or the description after the gap
      path.push(w);
    }
    return path;
  }).filter((p) => p.length > 0);
}

test('every command and subcommand: each option and positional is described, and --help shows an example', async (t) => {
  const top = await cliHelp([]);
  const paths: string[][] = [];
  for (const c of subcommands(top)) {
    paths.push(c);
    for (const s of subcommands(await cliHelp(c))) if (s.length > c.length) paths.push(s);
  }
  t.true(paths.length >= 25, `read ${paths.length} commands: ${paths.map((p) => p.join(' ')).join(', ')}`);
  for (const want of [['train'], ['generate'], ['experiment'], ['model', 'info'], ['gaze', 'plot'], ['tokenizer', 'encode']])
    t.true(paths.some((p) => p.join(' ') === want.join(' ')), `found ${want.join(' ')}`);
  const problems: string[] = [];
  for (const p of paths) {
    const h = await cliHelp(p);
    for (const o of undescribed(h)) problems.push(`eyemulator ${p.join(' ')}: ${o} has no description (add describe)`);
    if (!/^Examples:$/m.test(h)) problems.push(`eyemulator ${p.join(' ')}: --help has no example (add .example(...))`);
  }
  t.deepEqual(problems, []);
});

test('the help checks catch what they look for: an undescribed option, positional or long-choices option, and a missing example', async (t) => {
  const bad: CommandModule = {
    command: 'probe <thing>',
    describe: 'a command written without descriptions',
    builder: (y) =>
      y
        .positional('thing', { type: 'string' })
        .option('bare', { type: 'string' })
        .option('described', { type: 'number', describe: 'has one' })
        .option('picky', { choices: ['alpha-one', 'beta-two', 'gamma-three', 'delta-four', 'epsilon-five', 'zeta-six'], default: 'alpha-one' }),
    handler: () => {},
  };
  const h = await helpText(yargs().scriptName('eyemulator').command(bad).help(), ['probe']);
  t.deepEqual(undescribed(h).sort(), ['--bare', '--picky', 'thing']);
  t.notRegex(h, /^Examples:$/m);
  t.deepEqual(subcommands(await helpText(yargs().scriptName('eyemulator').command(bad).help(), [])), [['probe']]);
});

test('weights --variant names every variant in its description (an unknown one is a typed OptionError listing them)', async (t) => {
  const entry = section(await cliHelp(['weights']), 'Options').find(([first]) => /^\s+--variant\s/.test(first));
  const text = entry?.join(' ').replace(/\s+/g, ' ') ?? '';
  t.regex(text, /baseline, full, reading, writing, random, no-semantic, no-rarity, scale-matched, shuffled/);
});

// --- model info: --model like every other command, the positional still accepted ---------------------

/** A header-only HF folder: config.json and a model.safetensors holding one 2×2 float32 tensor. */
function tinyFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eyemulator-flags-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 2, hidden_size: 2, num_hidden_layers: 0 }));
  const header = Buffer.from(JSON.stringify({ 'model.embed_tokens.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(16)]));
  return dir;
}

test('model info takes --model DIR, and DIR as before; two different folders or none is an error naming --model', async (t) => {
  const dir = tinyFolder();
  const cli = (args: string[]) => run(...cliArgs(['model', 'info', ...args]), { cwd: process.cwd() }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const [flag, positional, both, differ, none] = await Promise.all([
    cli(['--model', dir, '--json']), cli([dir, '--json']), cli([dir, '--model', dir, '--json']), cli([dir, '--model', join(dir, 'other'), '--json']), cli(['--json']),
  ]);
  t.is(flag.code, 0, flag.stderr);
  const info = JSON.parse(flag.stdout);
  t.is(info.parameters, 4);
  t.is(info.architecture, 'LlamaForCausalLM');
  t.deepEqual(JSON.parse(positional.stdout), info);
  t.deepEqual(JSON.parse(both.stdout), info);
  t.is(differ.code, 1);
  t.regex(differ.stderr, /--model .*other and the folder .* differ/);
  t.is(none.code, 1);
  t.regex(none.stderr, /give the model folder with --model DIR/);
});
