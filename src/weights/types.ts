/**
 * What the weights need from a labelled code token. `CodeToken` (src/code/index.ts) has these
 * fields and more, so it is accepted as is; the weights code depends only on this subset, which
 * keeps it testable with hand-built tokens.
 */
export interface WeightToken {
  /** Span in code points (start inclusive, end exclusive), the unit tokenizer offsets use. */
  startCp: number;
  endCp: number;
  /** 1-based source line (of the token's start). */
  line: number;
  /** Semantic label id (src/code/labels.ts); 0 = unlabelled. */
  labelId: number;
  /** Punctuation `( ) { } ; , .` — never on a path (the gaze data has none). */
  punct: boolean;
}

/**
 * Label ids are below 32, so an n-gram of ids packs into an integer (5 bits per label) and the
 * prior tables are small dense typed arrays: look-ups in the per-epoch loop are one array read.
 */
export const LABEL_BITS = 5;
export const LABEL_SLOTS = 1 << LABEL_BITS;
