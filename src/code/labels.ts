/**
 * The semantic labels of METHOD.md §1 — the one definition of label names and their integer ids.
 * Ids follow the artifact's datasets: 1-based alphabetical order, 0 = unlabelled; id 18 ("type")
 * exists in the id space but has no prior, so it is never produced by the labeller.
 */
export const LABELS = [
  'argument',
  'assignment',
  'comment',
  'conditional block',
  'conditional statement',
  'exception handling',
  'external class',
  'externally defined variable or function',
  'function call',
  'function declaration',
  'index operation',
  'literal',
  'loop',
  'operation',
  'operator',
  'parameter',
  'return',
  'type',
  'variable',
  'variable declaration',
] as const;

export type LabelName = (typeof LABELS)[number];

/** Id 0: a token outside every labelled construct (or one the artifact drops). */
export const UNLABELLED_ID = 0;

const ID_OF = new Map<string, number>(LABELS.map((name, i) => [name, i + 1]));

/** Integer id of a label name (METHOD.md §1 table); throws on an unknown name. */
export function labelId(name: LabelName): number {
  const id = ID_OF.get(name);
  if (id === undefined) throw new RangeError(`unknown semantic label "${name}"`);
  return id;
}

/** Label name of an id, or null for 0 / out of range. */
export function labelName(id: number): LabelName | null {
  return id >= 1 && id <= LABELS.length ? LABELS[id - 1] : null;
}

export function isLabelName(s: string): s is LabelName {
  return ID_OF.has(s);
}

/** The labels that carry a prior (every label but "type"). */
export const PRIOR_LABELS: readonly LabelName[] = LABELS.filter((l) => l !== 'type');
