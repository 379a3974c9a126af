/**
 * `Trainer`: AdamW with warm-up and linear/cosine decay, gradient accumulation and global-norm
 * clipping over a native Model. Each step runs in a native worker thread; the promise resolves
 * with the step's loss, gradient norm (before clipping), learning rate and loss-token count. A step
 * can be aborted mid-way (StepOptions.signal) and reports each micro-batch (StepOptions.onProgress).
 */
import { native, type NativeBatch, type NativeDistributedOptions, type NativeStepResult, type NativeTrainer, type NativeTrainerOptions } from '../native/index.ts';
import { controlled } from '../native/control.ts';
import type { Model } from '../model/model.ts';
import { resolveTrainerOptions, type TrainerOptions } from './defaults.ts';

export type { TrainerOptions };
export type StepResult = NativeStepResult;

/** One micro-batch of a step done (forward and backward), as StepOptions.onProgress sees it. */
export interface MicroBatchProgress {
  /** Micro-batches done in this step, 1-based (this rank's, when data-parallel). */
  microBatch: number;
  /** Micro-batches in this step. */
  microBatches: number;
  /** The optimizer step this is part of (Trainer.steps + 1), 1-based. */
  step: number;
}

/** Options of Trainer.step. */
export interface StepOptions {
  /**
   * Stops the step. On one process the engine stops before the next micro-batch or between a
   * forward and its backward, and the step rejects with AbortError (src/native/errors.ts): no
   * optimizer update is made — gradients are dropped, `steps` is unchanged and the LoRA-dropout
   * stream is put back, so the next step gives bit-for-bit what it would have without the aborted
   * one. Data-parallel (after attachDistributed): the abort is read once, at the start, and agreed
   * on by all ranks inside the step, which then resolves with `stopped: true` on every rank (no
   * rank stops mid-step: the others would wait for it in a collective). Default: none.
   */
  signal?: AbortSignal;
  /**
   * Called on the JS thread after each micro-batch's backward (all calls arrive before the promise
   * settles). A throwing callback aborts the step, which then rejects with that error and makes
   * no update; data-parallel, where no rank may stop alone, the step completes (the update is
   * made) and then rejects with the error. Default: none (no per-micro-batch cost).
   */
  onProgress?: (p: MicroBatchProgress) => void;
}

export class Trainer {
  private readonly t: NativeTrainer;
  readonly model: Model;
  readonly options: TrainerOptions;

  /** Throws EngineBusyError when the model is busy with a running call (await it first). */
  constructor(model: Model, options: TrainerOptions = {}) {
    this.model = model;
    // Every default filled in here (src/train/defaults.ts), never the engine's own fallbacks.
    this.options = resolveTrainerOptions(options);
    this.t = new (native().Trainer)(model.handle, this.options satisfies NativeTrainerOptions);
  }

  /**
   * One optimizer step. Several micro-batches accumulate into one step, normalised by the
   * group's total loss positions, so the result equals one batch holding all of them. The second
   * argument is StepOptions, or an AbortSignal alone (= {signal}). An aborted step rejects with
   * AbortError (an InterruptedError named 'AbortError') and changes nothing — see StepOptions.
   */
  async step(batches: NativeBatch | NativeBatch[], options?: AbortSignal | StepOptions): Promise<StepResult> {
    const o: StepOptions = options instanceof AbortSignal ? { signal: options } : (options ?? {});
    const user = o.onProgress;
    const step = this.t.steps + 1;
    const onProgress = user && ((done: number, total: number) => user({ microBatch: done, microBatches: total, step }));
    // Data-parallel: an abort is not thrown here but agreed on by all ranks inside the step (the
    // result says `stopped`), so every rank stops at the same step.
    if (this.distributed) {
      const stop = o.signal?.aborted ?? false;
      return controlled('the training step', undefined, onProgress, (c) => this.t.step(batches, { stop, onProgress: c.listener }));
    }
    return controlled('the training step', o.signal, onProgress, (c) => this.t.step(batches, { abortFlag: c.abortFlag, onProgress: c.listener }));
  }

  /**
   * Joins a data-parallel job (libtorch c10d: Gloo on CPU, NCCL on CUDA). Waits until all
   * `worldSize` ranks have joined (up to `timeoutSeconds`, default 300), then copies rank 0's
   * trainable weights to every rank. Call it before the first step and before loadState. From then
   * on `step` takes this rank's share of each global batch; loss normalisation and gradients are
   * global, and the reported loss, tokens and gradient norm are the global ones. Rejects with
   * DistributedError (the message names the rank; the build lacks Gloo; a peer is missing).
   */
  async attachDistributed(options: NativeDistributedOptions): Promise<{ rank: number; worldSize: number; backend: string }> {
    const r = await this.t.attachDistributed(options);
    this.distributed = { rank: r.rank, worldSize: r.worldSize };
    return r;
  }

  /** Rank and world size once attached (null: one process). */
  distributed: { rank: number; worldSize: number } | null = null;

  /**
   * Saves what resuming needs — trainable weights, AdamW moments, step, the LoRA-dropout RNG —
   * atomically (temp file, fsync, rename) to one safetensors file. `metadata` (e.g. the data
   * position) is stored in its header and returned by loadState.
   */
  async saveState(path: string, metadata: Record<string, string> = {}): Promise<void> {
    await this.t.saveState(path, metadata);
  }

  /**
   * Restores a saved state into this trainer. Build the trainer exactly as for the original run
   * (same model start, adapters, options) first; the result then continues bit-identically.
   */
  async loadState(path: string): Promise<Record<string, string>> {
    return this.t.loadState(path);
  }

  /** Learning rate the schedule gives step `step` (default: the next one). */
  learningRate(step?: number): number {
    return this.t.learningRate(step);
  }

  get steps(): number {
    return this.t.steps;
  }

  /**
   * Drops the optimizer state (AdamW moments, master weights). Never blocks the event loop: later
   * steps are refused at once (EngineStateError), a running step finishes first, and the promise
   * resolves once the state is freed. Idempotent (returns the first call's promise); never rejects.
   * The model is not disposed with it.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.t.dispose().catch(() => undefined);
    return this.disposing;
  }

  /** `await using trainer = new Trainer(…)` disposes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private disposing: Promise<void> | undefined;
}
