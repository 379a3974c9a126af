/**
 * The weighting variants every experiment can name (METHOD.md §6). A variant is a small spec —
 * which priors mode draws the path, how groups form, which terms of the weight formula apply, and
 * how weights are post-processed — compiled once per run into a WeightModel (draw.ts uses it).
 *
 * - baseline: every weight 1, no path.
 * - full: combined priors, w_j by the formula.
 * - reading / writing: the same with that mode's priors (path and weights).
 * - random: the path of `full` (same seed, same path), weights on it drawn from U(1, 5).
 * - no-semantic: `full` without the E[θ] term.
 * - no-rarity: `full` without the rarity term, monogram groups only (no flow).
 * - scale-matched: the path and weights of `full`, then every loss token gets their mean
 *   (METHOD.md §6) — in training every loss position of the row (target code, sub-words outside
 *   code tokens, EOS, input code), see `rowFor`; for one snippet alone (draw.ts) every model token
 *   of it (or every code token, without a tokenizer). The total loss weight equals full's
 *   exactly, so "more loss" is separated from "loss on the right tokens".
 * - shuffled: E[θ] permuted across labels by a seed fixed for the run, used for quotas and weights.
 */
import type { Mode, Priors } from '../priors/format.ts';
import { OptionError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { compilePriorTables, shuffleSalience, type PriorTables } from './prior-tables.ts';
import type { PathOptions } from './pseudo-path.ts';
import { DEFAULT_TERMS, type WeightTerms } from './weights.ts';

export const VARIANTS = ['baseline', 'full', 'reading', 'writing', 'random', 'no-semantic', 'no-rarity', 'scale-matched', 'shuffled'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface VariantSpec {
  /** Priors mode the path is drawn from; null = no path (baseline). */
  mode: Mode | null;
  grouping: 'ngram' | 'monogram';
  rarity: boolean;
  semantic: boolean;
  /** "formula": w_j; "uniform": U(1,5) on the path; "mean": scale-matched to full. */
  onPath: 'formula' | 'uniform' | 'mean';
  shuffledSalience: boolean;
  describe: string;
}

export const VARIANT_SPECS: Record<Variant, VariantSpec> = {
  baseline: { mode: null, grouping: 'ngram', rarity: true, semantic: true, onPath: 'formula', shuffledSalience: false, describe: 'all weights 1 (no path)' },
  full: { mode: 'combined', grouping: 'ngram', rarity: true, semantic: true, onPath: 'formula', shuffledSalience: false, describe: 'combined priors, w = wBase + 1/ln(count+2) + E[θ] on the path' },
  reading: { mode: 'reading', grouping: 'ngram', rarity: true, semantic: true, onPath: 'formula', shuffledSalience: false, describe: 'full with the reading-session priors' },
  writing: { mode: 'writing', grouping: 'ngram', rarity: true, semantic: true, onPath: 'formula', shuffledSalience: false, describe: 'full with the writing-session priors' },
  random: { mode: 'combined', grouping: 'ngram', rarity: true, semantic: true, onPath: 'uniform', shuffledSalience: false, describe: "full's path, weights ~ U(1,5) on it" },
  'no-semantic': { mode: 'combined', grouping: 'ngram', rarity: true, semantic: false, onPath: 'formula', shuffledSalience: false, describe: 'full without the E[θ] term' },
  'no-rarity': { mode: 'combined', grouping: 'monogram', rarity: false, semantic: true, onPath: 'formula', shuffledSalience: false, describe: 'full without the rarity term, monogram groups only' },
  'scale-matched': { mode: 'combined', grouping: 'ngram', rarity: true, semantic: true, onPath: 'mean', shuffledSalience: false, describe: "every loss token gets the mean of full's weights over the loss tokens" },
  shuffled: { mode: 'combined', grouping: 'ngram', rarity: true, semantic: true, onPath: 'formula', shuffledSalience: true, describe: 'full with E[θ] permuted across labels (fixed per run)' },
};

export function isVariant(name: string): name is Variant {
  return (VARIANTS as readonly string[]).includes(name);
}

/** The variant of a user-given name; unknown names list the valid ones. */
export function parseVariant(name: string): Variant {
  if (!isVariant(name)) throw new OptionError(`unknown weighting variant "${name}"; valid: ${VARIANTS.join(', ')}`);
  return name;
}

export interface WeightModelOptions {
  /** w_base (default 1.0, the paper; the artifact's code used 3.0). */
  wBase?: number;
  /** L, the line span of a bi/trigram group (default 4). */
  maxLines?: number;
  /** Seed of the salience permutation of `shuffled` (default 0). */
  shuffleSeed?: number | string;
  /** Name of the priors file, for error messages. */
  priorsFile?: string;
}

/** Everything a draw needs, compiled once per run. */
export interface WeightModel {
  variant: Variant;
  spec: VariantSpec;
  tables: PriorTables | null;
  terms: WeightTerms;
  path: PathOptions;
}

export function buildWeightModel(priors: Priors | null, variantName: string, opts: WeightModelOptions = {}): WeightModel {
  const variant = parseVariant(variantName);
  const spec = VARIANT_SPECS[variant];
  const wBase = opts.wBase ?? DEFAULT_TERMS.wBase;
  if (!Number.isFinite(wBase)) throw new OptionError(`wBase must be a finite number, got ${wBase}`);
  const maxLines = opts.maxLines ?? 4;
  if (!Number.isInteger(maxLines) || maxLines < 1) throw new OptionError(`maxLines (L) must be a positive integer, got ${maxLines}`);
  let tables: PriorTables | null = null;
  if (spec.mode) {
    if (!priors) throw new OptionError(`variant "${variant}" needs priors`);
    tables = compilePriorTables(priors, spec.mode, opts.priorsFile);
    if (spec.shuffledSalience) tables = shuffleSalience(tables, new Rng(opts.shuffleSeed ?? 0).fork('shuffled-salience'));
  }
  return {
    variant,
    spec,
    tables,
    terms: { wBase, rarity: spec.rarity, semantic: spec.semantic },
    path: { maxLines, grouping: spec.grouping },
  };
}
