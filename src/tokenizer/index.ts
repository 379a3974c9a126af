/** Byte-level BPE tokenizer training (see bpe.ts for the algorithm, train.ts for files and output). */
export * from './bpe.ts';
export * from './train.ts';
