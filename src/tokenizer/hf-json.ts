/**
 * The shape of a Hugging Face byte-level BPE tokenizer.json (ByteLevel pre-tokenizer and decoder,
 * no normalizer). One definition, used by the trained tokenizers (src/tokenizer/train.ts) and the
 * fixed byte vocabulary (src/tokenizer/byte.ts).
 *
 * BOS: with `bos` given, the post-processor is the TemplateProcessing transformers'
 * `TokenizersBackend.update_post_processor` builds for add_bos_token = true, add_eos_token = false
 * (single "BOS:0 $A:0", pair "BOS:0 $A:0 BOS:1 $B:1"), so `tokenizer(text)` — ours
 * (src/model/tokenizer.ts) and Python's AutoTokenizer alike — starts every sequence with BOS, as the
 * models trained here are. EOS is not added by the post-processor: training appends it after the
 * target, and a generation prompt must not end with it.
 */
export function hfAddedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** TemplateProcessing that puts `bos` before every sequence (HF's JSON form). */
export function bosTemplateProcessing(bos: { id: number; content: string }): Record<string, unknown> {
  const special = (type_id: number) => ({ SpecialToken: { id: bos.content, type_id } });
  const seq = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  return {
    type: 'TemplateProcessing',
    single: [special(0), seq('A', 0)],
    pair: [special(0), seq('A', 0), special(1), seq('B', 1)],
    special_tokens: { [bos.content]: { id: bos.content, ids: [bos.id], tokens: [bos.content] } },
  };
}

export function byteLevelBpeDocument(
  addedTokens: ReadonlyArray<{ id: number; content: string }>,
  vocab: unknown,
  merges: unknown,
  useRegex: boolean,
  bos?: { id: number; content: string },
): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: useRegex };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map((t) => hfAddedToken(t.id, t.content)),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: bos ? bosTemplateProcessing(bos) : null,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}
