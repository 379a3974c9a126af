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
 * mask the projection of the code mask).
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

/** Scale-matched on model tokens: every owned model token's weight becomes the mean over them. */
function scaleMatchModel(owner: Int32Array, codeWeights: Float32Array, n: number): void {
  let sum = 0;
  let owned = 0;
  for (let i = 0; i < owner.length; i++) {
    if (owner[i] >= 0) {
      sum += codeWeights[owner[i]];
      owned++;
    }
  }
  codeWeights.fill(owned > 0 ? sum / owned : OFF_PATH_WEIGHT, 0, n);
}

/** Code-token weights only (no tokenizer). Scale-matched: the mean over all code tokens. */
export function drawCodeWeights(code: PreparedCode, model: WeightModel, rng: Rng): CodeDraw {
  const weights = new Float32Array(code.n);
  const path = drawRaw(code, model, rng, weights);
  if (model.spec.onPath === 'mean' && code.n > 0) {
    let sum = 0;
    for (let j = 0; j < code.n; j++) sum += weights[j];
    weights.fill(sum / code.n);
  }
  return { weights, onPath: path ? path.onPath : new Uint8Array(code.n), path };
}

/**
 * Model-token weights and path mask for one example, plus the code-level draw. Scale-matched: the
 * mean of full's projected weights over the model tokens that overlap a code token, given to each
 * of them (tokens outside every code token keep 1, as in every variant), so the snippet's total
 * weight equals full's for the same draw.
 */
export function drawWeights(prepared: PreparedExample, model: WeightModel, rng: Rng): ExampleDraw {
  const weights = new Float32Array(prepared.n);
  const path = drawRaw(prepared, model, rng, weights);
  if (model.spec.onPath === 'mean') scaleMatchModel(prepared.owner, weights, prepared.n);
  const onPath = path ? path.onPath : new Uint8Array(prepared.n);
  return {
    weights: projectWeights(prepared.owner, weights),
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
 * drawWeights for the same Rng.
 */
export function drawModelWeights(
  prepared: PreparedExample,
  model: WeightModel,
  rng: Rng,
  out?: { weights: Float32Array; onPath: Uint8Array },
): { weights: Float32Array; onPath: Uint8Array } {
  if (sharedWeights.length < prepared.n) {
    sharedWeights = new Float32Array(Math.max(prepared.n, sharedWeights.length * 2));
    sharedMask = new Uint8Array(sharedWeights.length);
  }
  const path = drawRaw(prepared, model, rng, sharedWeights, sharedWs);
  if (model.spec.onPath === 'mean') scaleMatchModel(prepared.owner, sharedWeights, prepared.n);
  let mask = path ? path.onPath : noPath;
  if (!path) {
    mask = sharedMask;
    mask.fill(0, 0, prepared.n);
  }
  const weights = out?.weights ?? new Float32Array(prepared.nModel);
  const onPath = out?.onPath ?? new Uint8Array(prepared.nModel);
  projectWeights(prepared.owner, sharedWeights, weights);
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
