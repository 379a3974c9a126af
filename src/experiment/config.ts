/**
 * An experiment: a grid of training runs (cells) — tasks × data regimes × variants × seeds — that
 * share everything else (`run`: model, budget, data, loss positions), so that the variants differ
 * only in their weights. YAML or JSON:
 *
 *   title: Gaze weighting on Java→C#
 *   tasks: [translation]
 *   variants: [baseline, full]
 *   seeds: [1, 2]
 *   regimes: [full]              # or numbers: low-data subsets of that many training examples
 *   parallel: 2                  # cells trained at once (child processes)
 *   threadsPerCell: 1
 *   tokenizer: { vocabSize: 2000 }   # train a BPE tokenizer on the training data (models made from scratch)
 *   run: { init: {hidden: 128, layers: 2, heads: 4}, epochs: 3, lr: 3e-3, … }   # RunConfig fields
 *   tasksRun: { translation: { train: default, valid: default } }               # per-task overrides
 *   report: { baseline: baseline, bootstrapB: 2000 }
 */
import { z } from 'zod';
import { VARIANTS } from '../weights/variants.ts';
import { TASK_NAMES } from '../data/tasks.ts';
import { describeIssues, valueAt } from '../util/schema.ts';
import { InputError } from '../util/errors.ts';
import { readConfigFile, runConfigSchema } from '../train/config.ts';

const regime = z.union([z.literal('full'), z.number().int().positive()]);

export const experimentSchema = z
  .object({
    title: z.string().default('eyemulator experiment'),
    tasks: z.array(z.enum(TASK_NAMES)).min(1),
    variants: z.array(z.enum(VARIANTS)).min(1),
    seeds: z.array(z.number().int()).min(1),
    regimes: z.array(regime).min(1).default(['full']),
    parallel: z.number().int().positive().default(1),
    threadsPerCell: z.number().int().positive().optional(),
    /** Train a byte-level BPE tokenizer on the training data (for `run.init` models); else `run.tokenizer` or the model's own. */
    tokenizer: z.object({ vocabSize: z.number().int().min(300), minFrequency: z.number().int().positive().default(2) }).strict().optional(),
    /** RunConfig fields shared by every cell (task, variant, seed, trainN are set per cell). */
    run: z.record(z.string(), z.unknown()).default({}),
    /** Per-task RunConfig overrides (e.g. data files). */
    tasksRun: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    /** Score the copy-the-input trivial baseline beside the models (translation and completion). */
    copyBaseline: z.boolean().default(true),
    report: z
      .object({
        baseline: z.string().optional(),
        bootstrapB: z.number().int().positive().default(2000),
        bootstrapSeed: z.number().int().default(0),
      })
      .strict()
      .default({ bootstrapB: 2000, bootstrapSeed: 0 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const k of ['task', 'variant', 'seed', 'trainN'])
      if (k in c.run) ctx.addIssue({ code: 'custom', path: ['run', k], message: `${k} is set per cell by the grid (tasks, variants, seeds, regimes), not in run` });
    if (new Set(c.seeds).size !== c.seeds.length) ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'seeds must be distinct' });
    if (new Set(c.variants).size !== c.variants.length) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variants must be distinct' });
  });

export type ExperimentConfig = z.output<typeof experimentSchema>;

/**
 * Validates an experiment config whole before any work: the grid fields and every cell's run config
 * (`run` merged with `tasksRun.<task>` and the cell's task/variant/seed/trainN, through the same
 * schema as `train`), so a typo fails in milliseconds, not after the tokenizer is trained. Throws one
 * InputError listing every problem, each line `FILE: key.path: what was expected, got what` with the
 * key path as written in the YAML (`run.lr`, `tasksRun.translation.maxLength`) and "did you mean"
 * for a misspelt key or value (edit distance ≤ 2 over the known ones).
 */
export function parseExperiment(obj: unknown, file = 'experiment'): ExperimentConfig {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError('an experiment config must be a mapping of option names to values', { file });
  const r = experimentSchema.safeParse(obj);
  const problems = r.success ? [] : describeIssues(r.error.issues, obj, experimentSchema);
  const raw = obj as { run?: unknown; tasksRun?: unknown; tasks?: unknown; variants?: unknown; tokenizer?: unknown };
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const run = isMap(raw.run) ? raw.run : {};
  const tasksRun = (isMap(raw.tasksRun) ? raw.tasksRun : {}) as Record<string, Record<string, unknown>>;
  // The run fields are checked even when the grid has problems (one pass shows them all): then
  // against one stand-in cell made of the grid's first valid task and variant.
  const first = <T extends string>(v: unknown, ok: readonly T[], dflt: T): T => (Array.isArray(v) ? (v.find((x) => ok.includes(x)) as T | undefined) : undefined) ?? dflt;
  const grid: ExperimentConfig = r.success ? r.data : {
    run, tasksRun: Object.fromEntries(Object.entries(tasksRun).filter(([, v]) => isMap(v))),
  } as ExperimentConfig;
  const cells = r.success ? cellsOf(r.data) : [{ name: '', task: first(raw.tasks, TASK_NAMES, 'translation'), regime: 'full' as const, variant: first(raw.variants, VARIANTS, 'baseline'), seed: 1 }];
  const rawRun = run;
  for (const cell of cells) {
    // A trained tokenizer's path is known only later; any string stands for it here.
    const cfg = cellRunConfig(grid, cell, (r.success ? r.data.tokenizer : raw.tokenizer) ? 'tokenizer.json' : undefined);
    const rr = runConfigSchema.safeParse(cfg);
    if (rr.success) continue;
    const override = isMap(tasksRun[cell.task]) ? tasksRun[cell.task] : {};
    // Report each problem where the user wrote the key: the task's override, else `run`.
    const where = (p: readonly (string | number)[]) => {
      const inOverride = p.length > 0 && String(p[0]) in override;
      return { path: [...(inOverride ? ['tasksRun', cell.task] : ['run']), ...p], value: valueAt(inOverride ? override : rawRun, p) };
    };
    problems.push(...describeIssues(rr.error.issues, cfg, runConfigSchema, where));
  }
  const unique = [...new Set(problems)];
  if (unique.length) throw new InputError(unique.join(`\n${file}: `), { file });
  return r.data!;
}

export function loadExperiment(path: string): ExperimentConfig {
  return parseExperiment(readConfigFile(path), path);
}

export interface Cell {
  /** Folder name under OUT/cells. */
  name: string;
  task: string;
  regime: 'full' | number;
  variant: string;
  seed: number;
}

/** Cells in run order: regime, task, seed, variant — so each seed's variants finish close together. */
export function cellsOf(c: ExperimentConfig): Cell[] {
  const out: Cell[] = [];
  for (const regime of c.regimes)
    for (const task of c.tasks)
      for (const seed of c.seeds)
        for (const variant of c.variants)
          out.push({ name: `${task}-${regime === 'full' ? 'full' : `n${regime}`}-${variant}-s${seed}`, task, regime, variant, seed });
  return out;
}

/** The RunConfig object of one cell (validated later by parseRunConfig). */
export function cellRunConfig(c: ExperimentConfig, cell: Cell, tokenizerPath: string | undefined): Record<string, unknown> {
  const cfg: Record<string, unknown> = { ...c.run, ...(c.tasksRun[cell.task] ?? {}), task: cell.task, variant: cell.variant, seed: cell.seed };
  if (cell.regime !== 'full') cfg.trainN = cell.regime;
  if (tokenizerPath) cfg.tokenizer = tokenizerPath;
  if (c.threadsPerCell !== undefined) cfg.threads = c.threadsPerCell;
  return cfg;
}
