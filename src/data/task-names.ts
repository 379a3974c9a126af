/**
 * The three tasks of METHOD.md §7 — the one definition of the task list. Every schema, CLI choice
 * list, parser and type that names a task takes it from here.
 *
 * This module imports nothing, so every layer may take it: `eval` and `report` import it without
 * reaching the data loaders (docs/architecture.md, "What may import what").
 */

/** Java→C# translation (CodeXGLUE), Java→English summarisation, Java completion. */
export const TASK_NAMES = ['translation', 'summarization', 'completion'] as const;

/** One of {@link TASK_NAMES}. */
export type TaskName = (typeof TASK_NAMES)[number];
