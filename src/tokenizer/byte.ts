/**
 * A byte-level vocabulary written as a real Hugging Face tokenizer.json (BPE with no merges over
 * GPT-2's byte↔unicode alphabet, ByteLevel pre-tokenizer and decoder): token id = UTF-8 byte
 * value, plus <|bos|>, <|eos|>, <|pad|> at 256–258; its post-processor adds <|bos|> before every
 * sequence (hf-json.ts). It loads in Python `tokenizers`/transformers,
 * so a model trained on it is a normal HF checkpoint. Used for models made from scratch before a
 * BPE vocabulary is trained.
 */
import { byteLevelBpeDocument } from './hf-json.ts';
import { SPECIAL_TOKENS } from './special.ts';

/** The byte vocabulary's special tokens: the project's (./special.ts), at ids 256–258. */
export const BYTE_SPECIALS = SPECIAL_TOKENS;
export const BYTE_VOCAB_SIZE = 259;
export const BYTE_BOS = 256;
export const BYTE_EOS = 257;
export const BYTE_PAD = 258;

/** GPT-2's reversible map from bytes to printable unicode characters. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

export function byteTokenizerJson(): Record<string, unknown> {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => (vocab[c] = b));
  // use_regex false: with no merges, splitting changes nothing; ids are the UTF-8 bytes.
  return byteLevelBpeDocument(
    [{ id: BYTE_BOS, content: BYTE_SPECIALS.bos }, { id: BYTE_EOS, content: BYTE_SPECIALS.eos }, { id: BYTE_PAD, content: BYTE_SPECIALS.pad }],
    vocab,
    [],
    false,
    { id: BYTE_BOS, content: BYTE_SPECIALS.bos },
  );
}

/** tokenizer_config.json so transformers' AutoTokenizer knows the special tokens. */
export function byteTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BYTE_SPECIALS.bos,
    eos_token: BYTE_SPECIALS.eos,
    pad_token: BYTE_SPECIALS.pad,
    // What the post-processor does (transformers 4.x reads these; 5.x follows tokenizer.json).
    add_bos_token: true,
    add_eos_token: false,
    model_max_length: 2048,
    clean_up_tokenization_spaces: false,
  };
}
