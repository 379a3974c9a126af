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
    let lines: AsyncIterator<string>;
    // A read error (EISDIR for a folder, which opens fine; EIO) carries no path: name the file.
    const next = async () => {
      try {
        return await lines.next();
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`cannot read: ${(err as Error).message}`, { file, line: lineNo + 1 }, { cause: err });
      }
    };
    lines = rl[Symbol.asyncIterator]();
    for (let r = await next(); !r.done; r = await next()) {
      lineNo++;
      const raw = r.value;
      // Strip a UTF-8 byte-order mark on the first line (Excel-written CSVs carry one).
      const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      yield { line, lineNo };
    }
  } finally {
    rl.close();
    stream.destroy();
  }
}
