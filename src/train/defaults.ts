/**
 * The trainer's options and their defaults — the one source. `new Trainer(model, options)` fills
 * every option it is not given from `TRAINER_DEFAULTS` (resolveTrainerOptions), and the run config
 * of `eyemulator train` / `trainRun` / experiment cells takes its zod defaults from the same object
 * (src/train/config.ts), so a Trainer made through the API trains exactly as the CLI does.
 *
 * The engine (cpp/trainer.h, read by binding/trainer_wrap.cpp) has built-in fallbacks of its own for
 * an option that reaches it missing (constant schedule, weight decay 0, γ 0, …); they are never
 * used through `Trainer`, which always passes every option below.
 */
import { EngineArgumentError } from '../native/errors.ts';

/** The learning-rate schedules after the warm-up (cpp/schedule.h). */
export const LR_SCHEDULES = ['constant', 'linear', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/**
 * Options of `new Trainer(model, options)`. Every field is optional; a missing (or undefined) field
 * takes its `TRAINER_DEFAULTS` value. The engine refuses a bad value with EngineArgumentError
 * (EYEMULATOR_ARGUMENT) naming the option.
 */
export interface TrainerOptions {
  /**
   * Peak learning rate (after the warm-up; per optimizer step). Default 3e-4, a usual rate for
   * LoRA and for the small models made here (transformers' TrainingArguments default is 5e-5, for
   * full fine-tuning of large checkpoints). Must be > 0.
   */
  lr?: number;
  /** AdamW β₁, the first-moment decay. Default 0.9 (torch.optim.AdamW and TrainingArguments.adam_beta1). */
  beta1?: number;
  /** AdamW β₂, the second-moment decay. Default 0.999 (torch.optim.AdamW and TrainingArguments.adam_beta2). */
  beta2?: number;
  /** AdamW ε, added to the root of the second moment. Default 1e-8 (torch.optim.AdamW and TrainingArguments.adam_epsilon). */
  eps?: number;
  /**
   * AdamW decoupled weight decay λ (p ← p − lr·λ·p each step), on every trainable tensor that is
   * not 1-D (biases and norm weights get none, as in transformers). Default 0.01, torch.optim.AdamW's
   * default (transformers' TrainingArguments.weight_decay defaults to 0; we follow torch, as the
   * experiments of METHOD.md were set up). 0 = plain Adam.
   */
  weightDecay?: number;
  /**
   * Optimizer steps of linear warm-up: step s (0-based) < warmupSteps uses lr·(s+1)/warmupSteps.
   * Default round(warmupRatio × totalSteps) — 5% of the steps, 0 when totalSteps is 0.
   */
  warmupSteps?: number;
  /**
   * The warm-up as a share of `totalSteps`, used only when `warmupSteps` is not given. Default 0.05
   * (transformers' TrainingArguments.warmup_ratio defaults to 0; a short warm-up steadies AdamW's
   * first steps at the rates above). A number in [0, 1].
   */
  warmupRatio?: number;
  /**
   * Steps the schedule decays over (warm-up included). Default 0 = no decay: the rate stays at `lr`
   * after the warm-up whatever `schedule` says. Set it to the run's step budget for a decay.
   */
  totalSteps?: number;
  /**
   * Decay after the warm-up, down to minLrRatio·lr at `totalSteps`: 'constant', 'linear' or
   * 'cosine'. Default 'cosine' (transformers' default lr_scheduler_type is 'linear'; cosine is the
   * usual choice for LLM fine-tuning). Has no effect while totalSteps is 0.
   */
  schedule?: LrSchedule;
  /**
   * Where the decay ends, as a share of `lr` (the rate is lr·(minLrRatio + (1 − minLrRatio)·shape)).
   * Default 0.1 (transformers' linear/cosine schedules decay to 0; its cosine_with_min_lr takes such
   * a floor).
   */
  minLrRatio?: number;
  /**
   * Global L2 gradient-norm clip, applied before AdamW (gradients scaled by max/(norm + 1e-6) when
   * norm > max). Default 1 (TrainingArguments.max_grad_norm). 0 = no clipping.
   */
  maxGradNorm?: number;
  /** L_SFT = Σ w·CE / Σ w instead of Σ w·CE / N (METHOD.md §5). Default false (/ N, the method's). */
  normalizeByWeights?: boolean;
  /** CPU autocast of the matmuls to bfloat16, float32 master weights (opt-in). Default false. */
  bf16Autocast?: boolean;
  /**
   * Activation (gradient) checkpointing per decoder layer, as HF's gradient_checkpointing: each
   * layer keeps only its input during the forward and is recomputed in the backward (LoRA-dropout
   * masks replayed exactly), trading about one extra forward per step for the activation memory of
   * one layer instead of all. Gradients are unchanged. Turns the model's flag on for as long as the
   * model lives (later forwards with `grads` are checkpointed too). Default false.
   */
  gradientCheckpointing?: boolean;
  /**
   * Weight γ of the token-level preference term: L = L_SFT + γ·L_pref. Default 0.1 (METHOD.md §5).
   * L_pref needs a batch `pathMask`; sequences without one add nothing, so batches without masks
   * train plain (weighted) SFT. With full fine-tuning (no LoRA), γ > 0 keeps a frozen copy of the
   * starting weights as the reference model (twice the weight memory): pass `gamma: 0` for SFT
   * alone. `trainRun` passes 0 for the baseline variant (it has no weights to prefer).
   */
  gamma?: number;
  /** Temperature β of the preference term. Default 0.1 (METHOD.md §5). */
  beta?: number;
  /** libtorch intra-op threads for the steps. Default: the process's setting (the machine's cores). */
  threads?: number;
}

/** The options a Trainer runs with once the defaults are filled in (`threads` may stay unset). */
export type ResolvedTrainerOptions = Required<Omit<TrainerOptions, 'threads'>> & Pick<TrainerOptions, 'threads'>;

/**
 * Every trainer default (see TrainerOptions for each one's meaning, unit and source). `warmupSteps`
 * has none of its own: it is derived from `warmupRatio` and `totalSteps`.
 */
export const TRAINER_DEFAULTS = Object.freeze({
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  warmupRatio: 0.05,
  totalSteps: 0,
  schedule: 'cosine',
  minLrRatio: 0.1,
  maxGradNorm: 1,
  normalizeByWeights: false,
  bf16Autocast: false,
  gradientCheckpointing: false,
  gamma: 0.1,
  beta: 0.1,
} as const satisfies Omit<ResolvedTrainerOptions, 'warmupSteps'>);

/**
 * `options` with every missing or undefined field taken from TRAINER_DEFAULTS; `warmupSteps`, when
 * not given, is round(warmupRatio × totalSteps). Values given are passed on as they are (the engine
 * checks them and names a bad one), except `warmupRatio`, checked here: EngineArgumentError unless a
 * number in [0, 1].
 */
export function resolveTrainerOptions(options: TrainerOptions = {}): ResolvedTrainerOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TrainerOptions;
  const o = { ...TRAINER_DEFAULTS, ...given };
  if (typeof o.warmupRatio !== 'number' || !(o.warmupRatio >= 0 && o.warmupRatio <= 1))
    throw new EngineArgumentError('EYEMULATOR_ARGUMENT', `trainer option warmupRatio must be a number in [0, 1], got ${String(o.warmupRatio)}: the share of totalSteps spent warming up`);
  // A bad totalSteps is left for the engine to name; only a usable one derives the warm-up.
  const warmupSteps = given.warmupSteps ?? (typeof o.totalSteps === 'number' && Number.isFinite(o.totalSteps) ? Math.round(o.warmupRatio * o.totalSteps) : 0);
  return { ...o, warmupSteps };
}
