/** Pseudo scan paths, loss weights, variants and sub-word projection (METHOD.md §4–§6). */
export * from './types.ts';
export * from './prior-tables.ts';
export * from './prepared.ts';
export * from './pseudo-path.ts';
export * from './weights.ts';
export * from './variants.ts';
export * from './subword.ts';
export * from './draw.ts';
