/**
 * One draw of path + weights for one example: the per-epoch operation. Labels, spans and the
 * sub-word alignment come precomputed in a PreparedExample, so a draw is a Beta sample, a few
 * dozen integer picks and linear passes over typed arrays.
 *
 * Two entry points give identical numbers for the same Rng:
 * - `drawWeights` returns everything (model and code weights, masks, the path) in fresh arrays —
 *   for inspection, the CLI and tests;
 * - `drawModelWeights` is the training hot path: the path and code weights live in a shared
 *   workspace, and only the model-token weights and mask are written out (into caller buffers
 *   when given), so an epoch allocates almost nothing.
 * Invariant: model-token weights are the projection of the code-token weights (and the model path
 * mask the projection of the code mask) — except for scale-matched, where both levels are matched
 * separately (each unit of the level gets the mean of `full` over that level's units).
 *
 * Scale-matched (METHOD.md §6: "every loss token gets the mean weight of `full`"): the unit that
 * gets the mean is a loss token. Here, without a loss mask, the snippet's model tokens are taken as
 * the loss tokens: every model token of the snippet — also those outside every code token, which
 * weigh 1 in `full` — gets w̄ = mean over the snippet's model tokens of `full`'s projected weights.
 * In training the loss tokens are a whole row (target code, EOS, input code when the loss covers
 * it), so `rowFor` (src/train/examples.ts) draws with `{ scaleMatch: false }` and applies
 * `scaleMatchLoss` over the row's loss mask.
 */
import { Rng } from '../util/rng.ts';
import type { PreparedCode, PreparedExample } from './prepared.ts';
import { drawPseudoPath, PathWorkspace, type PseudoPath } from './pseudo-path.ts';
import { projectMask, projectWeights } from './subword.ts';
import type { WeightModel } from './variants.ts';
import { codeTokenWeights, OFF_PATH_WEIGHT } from './weights.ts';

export interface CodeDraw {
  /** Per code token. */
  weights: Float32Array;
  onPath: Uint8Array;
  /** The pseudo path (null for baseline, which has none). */
  path: PseudoPath | null;
}

export interface ExampleDraw {
  /** Per model token. */
  weights: Float32Array;
  onPath: Uint8Array;
  code: CodeDraw;
}

const noPath = new Uint8Array(0);

/** Path and code weights before scale matching, written into `weights` (length ≥ code.n). */
function drawRaw(code: PreparedCode, model: WeightModel, rng: Rng, weights: Float32Array, ws?: PathWorkspace): PseudoPath | null {
  if (!model.tables) {
    weights.fill(OFF_PATH_WEIGHT, 0, code.n);
    return null;
  }
  const path = drawPseudoPath(code, model.tables, rng, model.path, ws);
  if (model.spec.onPath === 'uniform') {
    // A forked stream: the path consumed `rng` exactly as `full` does, so both share the path.
    const r = rng.fork('random-weights');
    weights.fill(OFF_PATH_WEIGHT, 0, code.n);
    for (let p = 0; p < path.nPicked; p++) weights[path.picked[p]] = r.uniform(1, 5);
  } else {
    codeTokenWeights(code, path, model.tables, model.terms, weights);
  }
  return path;
}

/** Every weight in [0, n) becomes their mean (float64 sum); an empty range is left alone. */
function fillMean(w: Float32Array, n: number): void {
  if (n <= 0) return;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w[i];
  w.fill(sum / n, 0, n);
}

/**
 * Scale matching over loss tokens (METHOD.md §6): every position with lossMask[p] = 1 gets the mean
 * of `weights` over those positions, in place; other positions are untouched. `weights` holds
 * `full`'s weights on entry (1 where full has no path: EOS, prompt, unowned sub-words), so the
 * row's total loss weight is unchanged. Shapes: weights [T] (float32), lossMask [T] (0/1).
 */
export function scaleMatchLoss(weights: Float32Array, lossMask: Uint8Array): void {
  let sum = 0;
  let count = 0;
  for (let p = 0; p < lossMask.length; p++) {
    if (lossMask[p]) {
      sum += weights[p];
      count++;
    }
  }
  if (count === 0) return;
  const mean = sum / count;
  for (let p = 0; p < lossMask.length; p++) if (lossMask[p]) weights[p] = mean;
}

/** Code-token weights only (no tokenizer). Scale-matched: the mean over all code tokens. */
export function drawCodeWeights(code: PreparedCode, model: WeightModel, rng: Rng): CodeDraw {
  const weights = new Float32Array(code.n);
  const path = drawRaw(code, model, rng, weights);
  if (model.spec.onPath === 'mean') fillMean(weights, code.n);
  return { weights, onPath: path ? path.onPath : new Uint8Array(code.n), path };
}

export interface DrawOptions {
  /**
   * Scale-matched only: match over the snippet's model tokens (default true). false returns
   * `full`'s weights, for a caller that matches over its own loss tokens (`scaleMatchLoss`).
   */
  scaleMatch?: boolean;
}

/**
 * Model-token weights and path mask for one example, plus the code-level draw. Scale-matched
 * (with `scaleMatch`, the default): every model token of the snippet gets the mean of full's
 * projected weights over all of them, so the snippet's total weight equals full's for the same
 * draw; `code.weights` are matched the same way over the code tokens (= drawCodeWeights).
 */
export function drawWeights(prepared: PreparedExample, model: WeightModel, rng: Rng, opts: DrawOptions = {}): ExampleDraw {
  const weights = new Float32Array(prepared.n);
  const path = drawRaw(prepared, model, rng, weights);
  const onPath = path ? path.onPath : new Uint8Array(prepared.n);
  const modelWeights = projectWeights(prepared.owner, weights);
  if (model.spec.onPath === 'mean' && opts.scaleMatch !== false) {
    fillMean(modelWeights, prepared.nModel);
    fillMean(weights, prepared.n);
  }
  return {
    weights: modelWeights,
    onPath: projectMask(prepared.owner, onPath),
    code: { weights, onPath, path },
  };
}

const sharedWs = new PathWorkspace(1024);
let sharedWeights = new Float32Array(1024);
let sharedMask = new Uint8Array(1024);

/**
 * The per-epoch hot path: model-token weights and path mask only, written into `out` (length ≥
 * prepared.nModel) when given, else into fresh arrays of length nModel. Same numbers as
 * drawWeights for the same Rng and options.
 */
export function drawModelWeights(
  prepared: PreparedExample,
  model: WeightModel,
  rng: Rng,
  out?: { weights: Float32Array; onPath: Uint8Array },
  opts: DrawOptions = {},
): { weights: Float32Array; onPath: Uint8Array } {
  if (sharedWeights.length < prepared.n) {
    sharedWeights = new Float32Array(Math.max(prepared.n, sharedWeights.length * 2));
    sharedMask = new Uint8Array(sharedWeights.length);
  }
  const path = drawRaw(prepared, model, rng, sharedWeights, sharedWs);
  let mask = path ? path.onPath : noPath;
  if (!path) {
    mask = sharedMask;
    mask.fill(0, 0, prepared.n);
  }
  const weights = out?.weights ?? new Float32Array(prepared.nModel);
  const onPath = out?.onPath ?? new Uint8Array(prepared.nModel);
  projectWeights(prepared.owner, sharedWeights, weights);
  if (model.spec.onPath === 'mean' && opts.scaleMatch !== false) fillMean(weights, prepared.nModel);
  projectMask(prepared.owner, mask, onPath);
  return { weights, onPath };
}

/**
 * The Rng of one example in one epoch. Dynamic paths (METHOD.md §4) get a fresh stream per
 * epoch; static paths ignore the epoch, so every epoch redraws the very same path.
 */
export function exampleRng(seed: number | string, exampleKey: number | string, epoch: number, schedule: 'dynamic' | 'static' = 'dynamic'): Rng {
  return new Rng(seed).fork(schedule === 'dynamic' ? `${exampleKey}@${epoch}` : `${exampleKey}`);
}
