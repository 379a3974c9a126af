/**
 * `eyemulator tokenizer encode …` (./tokenizer/encode.ts): a text's ids as training and generation feed them.
 * `eyemulator tokenizer train --vocab-size N --out tokenizer.json [--min-frequency 2]
 *  [--special <|bos|>,<|eos|>,<|pad|>] [--unit line|file] FILES…`: a byte-level BPE vocabulary
 * (GPT-2 style) written as a Hugging Face tokenizer.json + tokenizer_config.json. The work is in
 * src/tokenizer/; this file only parses flags and prints.
 */
import type { CommandModule } from 'yargs';
import { OptionError } from '../../util/errors.ts';
import encodeCmd from './tokenizer/encode.ts';
import { DEFAULT_SPECIALS, formatTrainStats, parseSpecials, saveTrainedTokenizer, trainTokenizer } from '../../tokenizer/index.ts';

const trainCmd: CommandModule = {
  command: 'train <files..>',
  describe: 'train a byte-level BPE tokenizer on text files (one example per line by default)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'training text files' })
      .option('vocab-size', { type: 'number', demandOption: true, describe: 'total vocabulary: special tokens + 256 bytes + merges' })
      .option('out', { type: 'string', demandOption: true, describe: 'tokenizer.json to write (tokenizer_config.json goes beside it)' })
      .option('min-frequency', { type: 'number', default: 2, describe: 'merge a pair only if it occurs at least this often' })
      .option('special', { type: 'string', default: DEFAULT_SPECIALS.join(','), describe: 'special tokens, comma-separated, at ids 0…k−1 (first three = bos, eos, pad)' })
      .option('unit', { choices: ['line', 'file'] as const, default: 'line' as const, describe: 'a training text is each non-empty line, or each whole file' })
      .example('$0 tokenizer train --vocab-size 4096 --out tok/tokenizer.json data/codexglue/java-cs/train.java-cs.txt.java', 'a 4096-token vocabulary from the Java side of the training pairs'),
  handler: async (argv) => {
    const vocabSize = Number(argv['vocab-size']);
    const minFrequency = Number(argv['min-frequency']);
    if (!Number.isInteger(vocabSize)) throw new OptionError(`--vocab-size must be an integer, got ${String(argv['vocab-size'])}`);
    if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new OptionError(`--min-frequency must be a positive integer, got ${String(argv['min-frequency'])}`);
    const files = (argv.files as unknown[]).map(String);
    const trained = await trainTokenizer(files, {
      vocabSize,
      minFrequency,
      specialTokens: parseSpecials(argv.special as string),
      unit: argv.unit as 'line' | 'file',
    });
    const paths = saveTrainedTokenizer(trained, String(argv.out));
    console.log(formatTrainStats(trained.stats));
    if (trained.stats.vocabSize < vocabSize)
      console.log(`note: the vocabulary has ${trained.stats.vocabSize} < ${vocabSize} tokens (no pair left with frequency ≥ ${minFrequency})`);
    console.log(`wrote ${paths.tokenizer} and ${paths.config}`);
  },
};

const command: CommandModule = {
  command: 'tokenizer <command>',
  describe: 'train a byte-level BPE tokenizer (HF tokenizer.json), or show how a model folder encodes a text',
  builder: (y) =>
    y
      .command(trainCmd).command(encodeCmd).demandCommand(1, 'name a tokenizer subcommand: train or encode')
      .example('$0 tokenizer encode --model models/demo-base --text "int x = 1;"', 'ids, tokens and offsets as training feeds them'),
  handler: () => {},
};
export default command;
