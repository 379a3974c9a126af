/**
 * `eyemulator` CLI entry. Commands live one per file in ./commands/ (each default-exports a yargs
 * CommandModule); program.ts discovers them from that folder, so adding a command never edits this
 * file. Here: parse the process arguments, and turn failures into messages and exit statuses.
 */
import { hideBin } from 'yargs/helpers';
import { EyemulatorError, FileSystemError, isErrnoError } from '../util/errors.ts';
import { buildCli } from './program.ts';

export async function main(argv: string[]): Promise<void> {
  await (await buildCli(argv))
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`eyemulator: ${msg}`);
      console.error('Run with --help for usage.');
      process.exit(2);
    })
    .parseAsync();
}

/**
 * Standard output that cannot be written. A closed reader (EPIPE: `eyemulator ... | head`) ends the
 * process quietly with 141 = 128 + SIGPIPE, what a Unix tool killed by SIGPIPE reports to its shell
 * (Node ignores the signal, so the status is set by hand). Any other failure (ENOSPC at
 * `> /dev/full`, EIO, ...) is a FileSystemError message and exit 1, never a silent 0.
 */
function onStdoutError(err: unknown): void {
  if (isErrnoError(err) && err.code === 'EPIPE') process.exit(141);
  try {
    process.stderr.write(`eyemulator: ${new FileSystemError('write', 'standard output', err).message}\n`);
  } catch {
    // stderr is gone too: the exit status still tells.
  }
  process.exit(1);
}
process.stdout.on('error', onStdoutError);
process.stderr.on('error', () => { /* nowhere left to report; stdout's status still tells */ });

try {
  await main(hideBin(process.argv));
} catch (err) {
  // A raw Node.js filesystem error that escaped without a wrapper still reads as one typed message.
  const typed = err instanceof EyemulatorError ? err : FileSystemError.fromErrno(err);
  if (typed) {
    console.error(`eyemulator: ${typed.message}`);
    // 130 = ended by SIGINT, the shell convention; scripts can tell "stopped" from "failed".
    process.exit(typed.code === 'EYEMULATOR_INTERRUPTED' ? 130 : 1);
  }
  throw err;
}
