/**
 * `eyemulator` CLI entry. Commands live one per file in ./commands/ (each default-exports a yargs
 * CommandModule); they are discovered from that folder so adding a command never edits this file.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EyemulatorError } from '../util/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function loadCommands(): Promise<CommandModule[]> {
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

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv).scriptName('eyemulator');
  for (const c of await loadCommands()) cli = cli.command(c);
  await cli
    .demandCommand(1, 'name a command (eyemulator --help lists them)')
    .strict()
    .help()
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`eyemulator: ${msg}`);
      console.error('Run with --help for usage.');
      process.exit(2);
    })
    .parseAsync();
}

try {
  await main(hideBin(process.argv));
} catch (err) {
  if (err instanceof EyemulatorError) {
    console.error(`eyemulator: ${err.message}`);
    // 130 = ended by SIGINT, the shell convention; scripts can tell "stopped" from "failed".
    process.exit(err.code === 'EYEMULATOR_INTERRUPTED' ? 130 : 1);
  }
  throw err;
}
