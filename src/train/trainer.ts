/**
 * `Trainer`: AdamW with warm-up and linear/cosine decay, gradient accumulation and global-norm
 * clipping over a native Model. Each step runs in a native worker thread; the promise resolves
 * with the step's loss, gradient norm (before clipping), learning rate and loss-token count.
 */
import { native, type NativeBatch, type NativeDistributedOptions, type NativeStepResult, type NativeTrainer, type NativeTrainerOptions } from '../native/index.ts';
import type { Model } from '../model/model.ts';
import { resolveTrainerOptions, type TrainerOptions } from './defaults.ts';

export type { TrainerOptions };
export type StepResult = NativeStepResult;

export class Trainer {
  private readonly t: NativeTrainer;
  readonly model: Model;
  readonly options: TrainerOptions;

  constructor(model: Model, options: TrainerOptions = {}) {
    this.model = model;
    // Every default filled in here (src/train/defaults.ts), never the engine's own fallbacks.
    this.options = resolveTrainerOptions(options);
    this.t = new (native().Trainer)(model.handle, this.options satisfies NativeTrainerOptions);
  }

  /**
   * One optimizer step. Several micro-batches accumulate into one step, normalised by the
   * group's total loss positions, so the result equals one batch holding all of them.
   */
  async step(batches: NativeBatch | NativeBatch[], signal?: AbortSignal): Promise<StepResult> {
    // Data-parallel: an abort is not thrown here but agreed on by all ranks inside the step (the
    // result says `stopped`), so every rank stops at the same step.
    if (this.distributed) return this.t.step(batches, { stop: signal?.aborted ?? false });
    signal?.throwIfAborted();
    return this.t.step(batches);
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

  dispose(): void {
    this.t.dispose();
  }
}
