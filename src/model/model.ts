/**
 * `Model`: the TypeScript face of one native model — a Hugging Face causal-LM checkpoint in memory,
 * of the families cpp/config.cpp reads: Llama-like (Llama, Qwen2, Qwen3, Mistral, Granite, SmolLM3),
 * GPTBigCode, Phi-3 and Starcoder2.
 * Long calls return promises and run off the JS thread; load, save, generate and the adapter
 * load/save take an AbortSignal (they then reject with AbortError and leave the model as it was).
 * The synchronous accessors never block the event loop: during a running call they throw
 * EngineBusyError. `dispose()` frees native memory now rather than when the GC gets to it, without
 * waiting on the JS thread (it returns a promise; `await using` works through Symbol.asyncDispose).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  native,
  type Device,
  type LoadDtype,
  type SaveOptions,
  type LoadInfo,
  type ModelInfo,
  type NativeBatch,
  type NativeForwardResult,
  type NativeModel,
  type LoraOptions as NativeLoraOptions,
  type LoraInfo as NativeLoraInfo,
  type GenerateOptions,
  type ForwardOptions,
  type NativeGeneration,
} from '../native/index.ts';
import { controlled } from '../native/control.ts';
import { makeHfConfig, type ModelShape } from './config.ts';
import { copyFileAtomic, ensureDir, writeJsonAtomic } from '../util/atomic-write.ts';

export interface LoadOptions {
  /**
   * dtype of the weights in memory. Loading defaults to 'auto': the checkpoint's own (config.json
   * `dtype`/`torch_dtype`, else the weights'), so a bf16 checkpoint stays bf16 — see LoadDtype for
   * what stays float32 (LoRA adapters, AdamW moments, full fine-tuning master weights). Creating
   * from a config defaults to float32. float64 for numerical checks.
   */
  dtype?: LoadDtype;
  /** libtorch intra-op threads for this call (default: all cores). */
  threads?: number;
  /**
   * 'cpu' (default), 'cuda' or 'cuda:N': where the weights live and every call runs. Checkpoints
   * are read on the CPU and moved; saving copies back to the CPU. CUDA needs a CUDA libtorch build.
   */
  device?: Device;
  /**
   * Stops the load between tensors (or 16 MB slices of a large one): the promise rejects with
   * AbortError (src/native/errors.ts) and everything the load allocated is freed; nothing is kept.
   * Aborted before the call: rejects at once. Default: none.
   */
  signal?: AbortSignal;
}

export type { ForwardOptions, GenerationProgress } from '../native/index.ts';

/**
 * LoRA adapter options: PEFT's LoraConfig fields (PEFT 0.21), camelCase. Module paths are HF's
 * ("model.layers.0.self_attn.q_proj"); selection is PEFT's (cpp/lora.h):
 * - `targetModules` list: a module matches when its path equals an entry or ends with "." + entry;
 *   a string: Python `re.fullmatch` on the full path ("all-linear": every linear but lm_head).
 *   Default: PEFT's per-family default (q_proj, v_proj for Llama/Qwen2; c_attn for GPTBigCode);
 *   families where PEFT has none (e.g. Starcoder2) need it. Python-only regex syntax ((?P=…), (?i),
 *   lookbehind, possessive quantifiers, …) is refused with an EngineArgumentError.
 * - `layersToTransform` (with optional `layersPattern`, default: the first "<name>.<N>." segment)
 *   keeps only those layers, for list entries matched as suffixes (not for full paths, as PEFT).
 * - `rankPattern` / `alphaPattern`: {regex key: value}; a module whose path matches
 *   "(.*\.)?(key)$" gets that rank/alpha (first key in insertion order wins).
 * - scaling = alpha / r, or alpha / √r with `useRslora`.
 */
export interface LoraOptions extends Omit<NativeLoraOptions, 'targetModules'> {
  /** Rank r (default 8). */
  r?: number;
  /** lora_alpha (default 16). */
  alpha?: number;
  /** Dropout on the adapter input during training (default 0). */
  dropout?: number;
  targetModules?: string[] | string;
  excludeModules?: string[] | string;
  layersToTransform?: number | number[];
  layersPattern?: string | string[];
  rankPattern?: Record<string, number>;
  alphaPattern?: Record<string, number>;
  useRslora?: boolean;
  /** Seed of A's initialisation (U(−1/√in, 1/√in), B = 0) and of the dropout stream (default 0). */
  seed?: number;
}

/** One adapted projection as PEFT resolves it. */
export interface LoraModuleInfo {
  /** HF module path, "model.layers.0.self_attn.q_proj". */
  path: string;
  r: number;
  alpha: number;
  /** alpha / r (or alpha / √r with useRslora): the factor on B·A. */
  scaling: number;
}

/**
 * The attached adapter. `targetModules` is the configured list (for a string target_modules, the
 * one-element [pattern], with `targetRegex` set); `modules` is what it selected; `tensors` are the
 * PEFT names ("base_model.model.<path>.lora_A.weight"); `parameters` counts their elements.
 */
export interface LoraInfo extends NativeLoraInfo {
  targetRegex: string | null;
  useRslora: boolean;
  modules: LoraModuleInfo[];
}

/** saveAdapter options. */
export interface SaveAdapterOptions {
  /** Stops the write of adapter_model.safetensors (no partial file is left); rejects with AbortError. Default: none. */
  signal?: AbortSignal;
  /**
   * adapter_config.json base_model_name_or_path, written as given (an HF id or a path as typed).
   * Default: the path this Model was loaded from, as it was passed to Model.load (never made
   * absolute); for an adapter loaded from a folder, that folder's value is kept when neither is known.
   */
  baseModel?: string;
}

export class Model {
  /** The native object; used by Trainer. */
  readonly handle: NativeModel;
  readonly dir: string | undefined;
  private loadInfo: LoadInfo;

  private constructor(handle: NativeModel, info: LoadInfo, dir?: string) {
    this.handle = handle;
    this.loadInfo = info;
    this.dir = dir;
  }

  /** Loads a HF model folder (config.json + model.safetensors or a sharded index). */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Model> {
    const { signal, ...rest } = opts;
    const h = new (native().Model)();
    const info = await controlled('loading the model', signal, undefined, (c) => h.load(dir, { ...rest, ...c }));
    return new Model(h, info, dir);
  }

  /**
   * Creates a new model with HF initialisation (weights ~ N(0, initializer_range), norms 1) from a
   * config.json path; same seed ⇒ same weights.
   */
  static async fromConfig(configPath: string, opts: LoadOptions & { seed: number }): Promise<Model> {
    const { signal, ...rest } = opts;
    const h = new (native().Model)();
    const info = await controlled('creating the model', signal, undefined, (c) => h.init(configPath, { ...rest, ...c }));
    return new Model(h, info);
  }

  /**
   * Writes a new HF model folder: config.json for `shape`, freshly initialised model.safetensors,
   * and (optionally) a tokenizer.json copied beside them. Returns the loaded model.
   */
  static async create(outDir: string, shape: ModelShape, opts: LoadOptions & { seed: number; tokenizer?: string }): Promise<Model> {
    ensureDir(outDir);
    const configPath = join(outDir, 'config.json');
    writeJsonAtomic(configPath, makeHfConfig(shape));
    if (opts.tokenizer) {
      copyFileAtomic(opts.tokenizer, join(outDir, 'tokenizer.json'));
      const cfg = join(opts.tokenizer, '..', 'tokenizer_config.json');
      if (existsSync(cfg)) copyFileAtomic(cfg, join(outDir, 'tokenizer_config.json'));
    }
    const m = await Model.fromConfig(configPath, opts);
    await m.save(outDir);
    return m;
  }

  /** Architecture, dims and tensors. Throws EngineBusyError during a running call (await it first). */
  info(): ModelInfo {
    return this.handle.info();
  }

  /** The device the weights live on ('cpu' or 'cuda:N'). */
  get device(): string {
    return this.loadInfo.device;
  }

  /** Tensors in the checkpoint that the model has no parameter for (HF would warn about them). */
  get unusedTensors(): string[] {
    return this.loadInfo.unusedTensors;
  }

  /**
   * Saves config.json + model.safetensors (atomically) in `dir`, optionally cast to `dtype`; above
   * `maxShardSize` (default "50GB", as transformers v5) sharded as HF does (SaveOptions). With
   * `signal`: see SaveOptions.signal for when an abort still lets the save finish.
   */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    const { signal, ...rest } = opts;
    return controlled('saving the model', signal, undefined, (c) => this.handle.save(dir, { ...rest, ...c }));
  }

  /** One forward pass (and backward with `grads`) returning logits, per-token CE and the loss. */
  async forward(batch: NativeBatch, opts: ForwardOptions = {}): Promise<NativeForwardResult> {
    return this.handle.forward(batch, opts);
  }

  /**
   * Attaches fresh LoRA adapters (PEFT init: A uniform, B = 0, so outputs are unchanged) to the
   * target modules and freezes the base weights; training then updates only the adapters.
   */
  addLora(opts: LoraOptions = {}): LoraInfo {  // EngineBusyError during a running call
    return this.handle.addLora(opts as NativeLoraOptions) as LoraInfo;
  }

  /**
   * Loads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) as PEFT 0.21
   * would (LoraOptions for the selection rules). Fields PEFT implements and we do not (DoRA,
   * modules_to_save, bias, lora_bias, target_parameters, …), a missing or extra tensor, or a wrong
   * shape reject with a CheckpointError naming the file and field; the model is then left unchanged.
   * init_lora_weights is irrelevant at load (the file's tensors replace the initial A, B) except for
   * initialisations that modify the base weights (pissa, olora, corda, loftq, lora_ga, mica): refused.
   * `signal` stops it between tensors: AbortError, and the model is left without the adapter.
   */
  async loadAdapter(dir: string, opts: { signal?: AbortSignal } = {}): Promise<LoraInfo> {
    return (await controlled('loading the adapter', opts.signal, undefined, (c) => this.handle.loadAdapter(dir, c))) as LoraInfo;
  }

  /**
   * Saves the adapters as PEFT does: adapter_model.safetensors (float32 adapters; float64 on a
   * float64 model) and adapter_config.json with every field PEFT 0.21 writes, each atomically.
   */
  async saveAdapter(dir: string, opts: SaveAdapterOptions = {}): Promise<LoraInfo> {
    const baseModel = opts.baseModel ?? this.dir ?? '';
    return (await controlled('saving the adapter', opts.signal, undefined, (c) => this.handle.saveAdapter(dir, { baseModel, ...c }))) as LoraInfo;
  }

  /**
   * Folds the adapters into the base weights (W += scaling·B·A, computed in float64, rounded once
   * into the weights' dtype) and removes them; save() then writes a plain HF checkpoint. Runs off
   * the JS thread (after any running call); rejects with EngineStateError without an adapter.
   */
  async mergeLora(): Promise<void> {
    await this.handle.mergeLora();
  }

  /** The attached adapter, or null. Throws EngineBusyError during a running call. */
  get lora(): LoraInfo | null {
    return this.handle.loraInfo() as LoraInfo | null;
  }

  /**
   * Greedy or beam decoding of token-id prompts (left-padded internally), off the JS thread.
   * `onToken` / `onProgress` see every greedy step before the promise settles; `signal` stops at
   * the next decoding step (AbortError; the model is unchanged). See GenerateOptions.
   */
  async generate(prompts: Array<Int32Array | number[]>, opts: GenerateOptions = {}): Promise<NativeGeneration[]> {
    const { signal, onToken, onProgress, ...rest } = opts;
    let listener: ((step: number, toks: number[]) => void) | undefined;
    if (onToken || onProgress) {
      const maxSteps = rest.maxNewTokens ?? 128;
      const sequences: number[][] = prompts.map(() => []);
      listener = (step, toks) => {
        onToken?.(step, toks);
        if (onProgress) {
          for (let i = 0; i < toks.length; i++) if (toks[i] >= 0) sequences[i].push(toks[i]);
          onProgress({ step, maxSteps, tokens: toks, sequences });
        }
      };
    }
    return controlled('generation', signal, listener, (c) =>
      this.handle.generate(prompts, { ...rest, abortFlag: c.abortFlag, onToken: c.listener }),
    );
  }

  /** A parameter (HF name) or adapter tensor (PEFT name). Throws EngineBusyError during a running call. */
  getParameter(name: string) {
    return this.handle.getParameter(name);
  }

  /** Overwrites a parameter or adapter tensor. Throws EngineBusyError during a running call. */
  setParameter(name: string, data: Float32Array | Float64Array): void {
    this.handle.setParameter(name, data);
  }

  /**
   * Frees the weights. Never blocks the event loop: `disposed` is true at once and every later call
   * is refused (EngineStateError); a running call finishes first (abort it through its signal to
   * stop it sooner), then the memory is freed off the JS thread and the promise resolves.
   * Idempotent (every call returns the first call's promise); never rejects, so calling it without
   * `await` is safe. A Trainer built on this model keeps the weights alive until it is disposed too.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.handle.dispose().catch(() => undefined);
    return this.disposing;
  }

  /** `await using model = await Model.load(…)` disposes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private disposing: Promise<void> | undefined;

  get disposed(): boolean {
    return this.handle.disposed;
  }
}
