/**
 * Streams a text file line by line with 1-based line numbers. Gaze exports run to hundreds of MB
 * for long sessions, so readers never load a whole file; every error they raise names file:line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../util/errors.ts';

export async function* readLines(file: string): AsyncGenerator<{ line: string; lineNo: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  // Turn a missing file into the project's typed error instead of an unhandled stream error.
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new InputError(`cannot read: ${(err as Error).message}`, { file }, { cause: err })));
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      // Strip a UTF-8 byte-order mark on the first line (Excel-written CSVs carry one).
      const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      yield { line, lineNo };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}
