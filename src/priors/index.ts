/** Human-attention priors (METHOD.md §3): format, loading, import from the artifact, distillation. */
export * from './format.ts';
export * from './stats.ts';
export * from './io.ts';
export * from './prune.ts';
export * from './import-artifact.ts';
export * from './scanpath.ts';
export * from './distill.ts';
export * from './show.ts';
