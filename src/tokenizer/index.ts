/**
 * Byte-level BPE tokenizer training (see bpe.ts for the algorithm, train.ts for files and output)
 * and the special tokens our tokenizers carry (special.ts).
 */
export * from './bpe.ts';
export * from './train.ts';
export { SPECIAL_TOKENS } from './special.ts';
