/**
 * The shape of a Hugging Face byte-level BPE tokenizer.json (ByteLevel pre-tokenizer and decoder,
 * no normalizer, no post-processor: callers add BOS/EOS themselves). One definition, used by the
 * trained tokenizers (src/tokenizer/train.ts) and the fixed byte vocabulary (src/data/byte-tokenizer.ts).
 */
export function hfAddedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export function byteLevelBpeDocument(
  addedTokens: ReadonlyArray<{ id: number; content: string }>,
  vocab: unknown,
  merges: unknown,
  useRegex: boolean,
): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: useRegex };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map((t) => hfAddedToken(t.id, t.content)),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}
