/**
 * Runs one CLI invocation in this process and classifies how it ended, the way `bin/eyemulator.js`
 * would end it (src/cli/main.ts): a thrown EyemulatorError — or a raw Node filesystem error that
 * main.ts turns into a FileSystemError — is a clean typed error; a yargs usage failure
 * (process.exit(2) with a message) is a clean usage error; any other thrown value would be printed
 * by Node as a raw stack trace. Signals, timeouts and memory are judged by the parent (run.ts),
 * which sees the worker process die.
 *
 * The CLI is assembled from src/cli/commands exactly as main.ts does (main.ts runs the CLI when
 * imported, so it cannot be imported here). Used by the fuzz worker and by the regression replay
 * test (test/fuzz/regressions.test.ts).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { EyemulatorError, FileSystemError } from '../../src/util/errors.ts';

export type Ending = 'typed-error' | 'usage-error' | 'accepted' | 'stack-trace';

export interface CaseEnding {
  ending: Ending;
  /** Exit status main.ts would give (0, 1, 2). */
  status: number;
  /** The first line of the error message (or of the stack for a stack trace). */
  message: string;
  /** Error class name (typed errors) or the thrown value's constructor. */
  errorClass?: string;
  ms: number;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'commands');
let commands: CommandModule[] | null = null;

async function loadCommands(): Promise<CommandModule[]> {
  if (commands) return commands;
  const files = readdirSync(commandsDir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_')).sort();
  const mods: CommandModule[] = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(commandsDir, f)).href);
    if (mod.default) mods.push(mod.default as CommandModule);
  }
  commands = mods;
  return mods;
}

class ExitCalled extends Error {
  constructor(readonly status: number) {
    super(`process.exit(${status})`);
  }
}

/**
 * Runs `eyemulator ...argv` in this process. Output to stdout/stderr is swallowed (its tail is kept
 * in `output`); process.exit is intercepted. Never throws.
 */
export async function runCli(argv: string[]): Promise<CaseEnding & { output: string }> {
  const cmds = await loadCommands();
  let output = '';
  const keep = (chunk: unknown) => {
    output = (output + String(chunk)).slice(-4000);
    return true;
  };
  const saved = { out: process.stdout.write, err: process.stderr.write, exit: process.exit, log: console.log, error: console.error, warn: console.warn };
  process.stdout.write = keep as typeof process.stdout.write;
  process.stderr.write = keep as typeof process.stderr.write;
  console.log = (...a: unknown[]) => void keep(a.join(' ') + '\n');
  console.error = console.warn = console.log;
  process.exit = ((code?: number) => {
    throw new ExitCalled(code ?? 0);
  }) as typeof process.exit;
  const t0 = performance.now();
  const done = (e: Omit<CaseEnding, 'ms'>) => ({ ...e, ms: Math.round(performance.now() - t0), output });
  try {
    let cli = yargs(argv).scriptName('eyemulator');
    for (const c of cmds) cli = cli.command(c);
    await cli
      .demandCommand(1, 'name a command')
      .strict()
      .help()
      .fail((msg, err) => {
        if (err) throw err;
        keep(`eyemulator: ${msg}\n`);
        process.exit(2);
      })
      .parseAsync();
    return done({ ending: 'accepted', status: 0, message: '' });
  } catch (err) {
    if (err instanceof ExitCalled)
      return done({ ending: err.status === 0 ? 'accepted' : 'usage-error', status: err.status, message: output.trim().split('\n').pop() ?? '' });
    const typed = err instanceof EyemulatorError ? err : FileSystemError.fromErrno(err);
    if (typed) return done({ ending: 'typed-error', status: 1, message: typed.message.split('\n')[0], errorClass: typed.constructor.name });
    const e = err as Error;
    return done({
      ending: 'stack-trace',
      status: 1,
      message: `${e?.constructor?.name ?? typeof err}: ${String(e?.message ?? err).split('\n')[0]}`,
      errorClass: e?.constructor?.name,
    });
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exit = saved.exit;
    console.log = saved.log;
    console.error = saved.error;
    console.warn = saved.warn;
  }
}
