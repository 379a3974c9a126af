/**
 * The `eyemulator` argument parser, without running it: every command of ./commands/ (one per file,
 * each default-exporting a yargs CommandModule) registered on one yargs instance. `main.ts` parses
 * the process arguments with it; tests build it to read every command's --help in-process.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type Argv, type CommandModule } from 'yargs';

const here = dirname(fileURLToPath(import.meta.url));

/** The command modules of ./commands/ in file-name order (files starting with `_` are helpers, not commands). */
export async function loadCommands(): Promise<CommandModule[]> {
  const dir = join(here, 'commands');
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .sort();
  const mods: CommandModule[] = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    if (mod.default) mods.push(mod.default as CommandModule);
  }
  return mods;
}

/**
 * The parser for `argv` (the arguments after the program name): every command, strict options,
 * --help. The caller adds what happens on failure (`.fail`) and parses.
 */
export async function buildCli(argv: string[]): Promise<Argv> {
  let cli = yargs(argv).scriptName('eyemulator');
  for (const c of await loadCommands()) cli = cli.command(c);
  return cli.demandCommand(1, 'name a command (eyemulator --help lists them)').strict().help();
}
