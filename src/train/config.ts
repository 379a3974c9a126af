/**
 * The configuration of one training run (`eyemulator train`, one cell of `eyemulator experiment`):
 * validated with zod so that a bad value names its field, with defaults filled in, and written
 * resolved into the run folder (`config.json`) so that a run can be repeated or resumed exactly.
 *
 * Everything that may differ between the methods of a comparison is `variant` (and its priors);
 * everything else — data, order, loss positions, budget — is shared, which is what makes a
 * comparison fair (METHOD.md §5).
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { VARIANTS } from '../weights/variants.ts';
import { TASK_NAMES } from '../data/task-names.ts';
import { LR_SCHEDULES, TRAINER_DEFAULTS, type TrainerOptions } from './defaults.ts';
import { InputError } from '../util/errors.ts';
import { parseWith } from '../util/schema.ts';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const finitePos = z.number().positive().refine(Number.isFinite, 'must be finite');
const nonNeg = z.number().nonnegative().refine(Number.isFinite, 'must be finite');

/** A model made here from scratch: a Llama-architecture shape and a tokenizer.json. */
export const initModelSchema = z.object({
  arch: z.enum(['llama', 'qwen2', 'gpt_bigcode']).default('llama'),
  hidden: posInt,
  layers: posInt,
  heads: posInt,
  kvHeads: posInt.optional(),
  intermediate: posInt.optional(),
  maxPositions: posInt.default(1024),
  /** Share the input embedding with the output layer (fewer parameters for small vocabularies' models). */
  tieEmbeddings: z.boolean().default(false),
}).strict();

export const runConfigSchema = z
  .object({
    task: z.enum(TASK_NAMES),
    /** Training data: "default" (the shared data), a .jsonl task file or a CodeXGLUE folder. */
    train: z.string().default('default'),
    /** Validation data, evaluated after training (same forms as `train`). */
    valid: z.string().default('default'),
    /** Either an HF model folder to fine-tune… */
    model: z.string().optional(),
    /** …or a shape to create (needs `tokenizer`). */
    init: initModelSchema.optional(),
    /** tokenizer.json for `init` (a model folder brings its own). */
    tokenizer: z.string().optional(),
    /**
     * Weights in memory: 'auto' (default) = the checkpoint's own dtype (config.json `dtype` /
     * `torch_dtype`), float32 for a model made from scratch; 'float32'; 'bfloat16' (bf16 weights and
     * bf16 autocast). LoRA adapters, AdamW moments and full-FT master weights stay float32 (README,
     * Memory and dtypes). bf16 on a CPU is fast only with AVX512-BF16/AMX: say float32 otherwise.
     */
    dtype: z.enum(['auto', 'float32', 'bfloat16']).default('auto'),
    /** Recompute each decoder layer's activations in the backward pass: less memory, ~1/3 more compute. */
    gradientCheckpointing: z.boolean().default(TRAINER_DEFAULTS.gradientCheckpointing),
    device: z.string().default('cpu'),
    /** LoRA rank; 0 = full fine-tuning. */
    loraRank: nonNegInt.default(0),
    loraAlpha: finitePos.optional(),
    loraDropout: nonNeg.default(0),
    /**
     * LoRA target modules, as PEFT's `target_modules`: a list (suffixes or full module names) or a
     * regex string (full match). Default 'all-linear': every linear layer but the output layer.
     */
    loraTargets: z.union([z.array(z.string()), z.string()]).optional(),

    variant: z.enum(VARIANTS).default('baseline'),
    /** Priors file (default: the shipped EyeTrans priors). */
    priors: z.string().optional(),
    wBase: z.number().refine(Number.isFinite, 'must be finite').default(1),
    /** Weight of the token-level preference term (0 = weighted SFT only); the baseline trains with 0. */
    gamma: nonNeg.default(TRAINER_DEFAULTS.gamma),
    beta: finitePos.default(TRAINER_DEFAULTS.beta),
    /** Pseudo paths redrawn every epoch (dynamic) or fixed once (static). */
    paths: z.enum(['dynamic', 'static']).default('dynamic'),
    /** Loss positions, shared by every variant: the output only, or the input code too. */
    lossOn: z.enum(['output', 'input+output']).default('output'),
    /** L = Σw·CE / N (false, METHOD.md) or / Σw. */
    normalizeByWeights: z.boolean().default(TRAINER_DEFAULTS.normalizeByWeights),

    epochs: posInt.default(1),
    /** Stop after this many optimizer steps (the budget); default = epochs × steps per epoch. */
    maxSteps: posInt.optional(),
    batchSize: posInt.default(8),
    gradAccum: posInt.default(1),
    lr: finitePos.default(TRAINER_DEFAULTS.lr),
    /** Default: TRAINER_DEFAULTS.warmupRatio (5%) of the run's steps. */
    warmupSteps: nonNegInt.optional(),
    schedule: z.enum(LR_SCHEDULES).default(TRAINER_DEFAULTS.schedule),
    minLrRatio: nonNeg.default(TRAINER_DEFAULTS.minLrRatio),
    weightDecay: nonNeg.default(TRAINER_DEFAULTS.weightDecay),
    maxGradNorm: nonNeg.default(TRAINER_DEFAULTS.maxGradNorm),
    /** Longest training sequence (prompt + target + BOS + EOS); input code is cut to fit, targets never. */
    maxLength: posInt.default(512),
    /** Low-data regime: train on n examples drawn by `subsetSeed` (default: all). */
    trainN: posInt.optional(),
    /** Seed of the training subset (default 0: every seed and variant trains on the same subset). */
    subsetSeed: z.number().int().default(0),
    seed: z.number().int().default(1),
    threads: posInt.optional(),
    /** Print a progress line every this many steps when stderr is not a terminal. */
    logEvery: posInt.default(25),

    /** Evaluation after training: greedy decoding on the validation examples. */
    evalN: posInt.optional(),
    maxNewTokens: posInt.default(256),
    evalBatchSize: posInt.default(16),
    /** Attention diagnostics on the first n validation examples (0 = off). */
    attentionN: nonNegInt.default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.model === !c.init) ctx.addIssue({ code: 'custom', path: ['model'], message: 'give exactly one of model (an HF folder) or init (a shape to create)' });
    if (c.init && !c.tokenizer) ctx.addIssue({ code: 'custom', path: ['tokenizer'], message: 'init needs a tokenizer.json' });
    if (c.task === 'summarization' && c.variant !== 'baseline' && c.lossOn === 'output')
      ctx.addIssue({ code: 'custom', path: ['lossOn'], message: 'summarization targets are English, which has no code tokens to weight: use lossOn "input+output" to weight the input code' });
  });

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/**
 * The Trainer options of a run: the config's training fields, nothing restated — what the config
 * leaves unset (the warm-up: 5% of `totalSteps`) the Trainer fills from TRAINER_DEFAULTS.
 * `totalSteps`: the run's optimizer steps; `weighted`: false for the baseline, which has no
 * weights and so no preference term (γ = 0 whatever the config says); `threads`: libtorch threads.
 */
export function runTrainerOptions(c: RunConfig, run: { totalSteps: number; weighted: boolean; threads?: number }): TrainerOptions {
  return {
    lr: c.lr, warmupSteps: c.warmupSteps, totalSteps: run.totalSteps, schedule: c.schedule, minLrRatio: c.minLrRatio,
    weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm, normalizeByWeights: c.normalizeByWeights,
    gamma: run.weighted ? c.gamma : 0, beta: c.beta, threads: run.threads, bf16Autocast: c.dtype === 'bfloat16', gradientCheckpointing: c.gradientCheckpointing,
  };
}

/** Validates a config object; the error names the first bad field. */
export function parseRunConfig(obj: unknown, file = 'config'): RunConfig {
  return parseWith(runConfigSchema, obj, file);
}

/** Reads a YAML or JSON file (JSON is YAML) into a plain object, with a typed error. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
  let obj: unknown;
  try {
    obj = YAML.parse(text);
  } catch (e) {
    const line = (e as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new InputError(`not valid YAML/JSON (${(e as Error).message.split('\n')[0]})`, { file: path, line });
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError('a config must be a mapping of option names to values', { file: path });
  return obj as Record<string, unknown>;
}
