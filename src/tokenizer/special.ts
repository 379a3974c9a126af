/**
 * The special tokens of the tokenizers eyemulator writes (`tokenizer train`, the byte vocabulary of
 * byte.ts) — the one definition. tokenizer_config.json names them bos_token / eos_token / pad_token;
 * src/model/tokenizer.ts falls back to them when a tokenizer folder has no tokenizer_config.json.
 *
 * This module imports nothing, so every layer that needs the token strings may take it
 * (docs/architecture.md, "What may import what").
 */

/**
 * Begin, end and padding of a sequence. BOS is what the post-processor puts first, EOS ends every
 * training target and stops generation, PAD fills batches (never attended to).
 */
export const SPECIAL_TOKENS = { bos: '<|bos|>', eos: '<|eos|>', pad: '<|pad|>' } as const;

/**
 * `tokenizer train`'s default special tokens, in id order: bos, eos, pad at ids 0, 1, 2 (the first
 * three of a special-token list are always read as bos, eos, pad).
 */
export const DEFAULT_SPECIALS = [SPECIAL_TOKENS.bos, SPECIAL_TOKENS.eos, SPECIAL_TOKENS.pad] as const;
