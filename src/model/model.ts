/**
 * `Model`: the TypeScript face of one native model (a HF Llama/Qwen2 checkpoint in memory).
 * Long calls return promises and run off the JS thread; `dispose()` frees native memory now
 * rather than when the GC gets to it.
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
}

export type { ForwardOptions } from '../native/index.ts';

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
    const h = new (native().Model)();
    const info = await h.load(dir, opts);
    return new Model(h, info, dir);
  }

  /**
   * Creates a new model with HF initialisation (weights ~ N(0, initializer_range), norms 1) from a
   * config.json path; same seed ⇒ same weights.
   */
  static async fromConfig(configPath: string, opts: LoadOptions & { seed: number }): Promise<Model> {
    const h = new (native().Model)();
    const info = await h.init(configPath, opts);
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
   * `maxShardSize` (default "50GB", as transformers v5) sharded as HF does (SaveOptions).
   */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    return this.handle.save(dir, opts);
  }

  /** One forward pass (and backward with `grads`) returning logits, per-token CE and the loss. */
  async forward(batch: NativeBatch, opts: ForwardOptions = {}): Promise<NativeForwardResult> {
    return this.handle.forward(batch, opts);
  }

  /**
   * Attaches fresh LoRA adapters (PEFT init: A uniform, B = 0, so outputs are unchanged) to the
   * target modules and freezes the base weights; training then updates only the adapters.
   */
  addLora(opts: LoraOptions = {}): LoraInfo {
    return this.handle.addLora(opts as NativeLoraOptions) as LoraInfo;
  }

  /**
   * Loads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) as PEFT 0.21
   * would (LoraOptions for the selection rules). Fields PEFT implements and we do not (DoRA,
   * modules_to_save, bias, lora_bias, target_parameters, …), a missing or extra tensor, or a wrong
   * shape reject with a CheckpointError naming the file and field; the model is then left unchanged.
   * init_lora_weights is irrelevant at load (the file's tensors replace the initial A, B) except for
   * initialisations that modify the base weights (pissa, olora, corda, loftq, lora_ga, mica): refused.
   */
  async loadAdapter(dir: string): Promise<LoraInfo> {
    return (await this.handle.loadAdapter(dir)) as LoraInfo;
  }

  /**
   * Saves the adapters as PEFT does: adapter_model.safetensors (float32 adapters; float64 on a
   * float64 model) and adapter_config.json with every field PEFT 0.21 writes, each atomically.
   */
  async saveAdapter(dir: string, opts: SaveAdapterOptions = {}): Promise<LoraInfo> {
    return (await this.handle.saveAdapter(dir, { baseModel: opts.baseModel ?? this.dir ?? '' })) as LoraInfo;
  }

  /**
   * Folds the adapters into the base weights (W += scaling·B·A, computed in float64, rounded once
   * into the weights' dtype) and removes them; save() then writes a plain HF checkpoint.
   */
  mergeLora(): void {
    this.handle.mergeLora();
  }

  get lora(): LoraInfo | null {
    return this.handle.loraInfo() as LoraInfo | null;
  }

  /** Greedy or beam decoding of token-id prompts (left-padded internally), off the JS thread. */
  async generate(prompts: Array<Int32Array | number[]>, opts: GenerateOptions = {}): Promise<NativeGeneration[]> {
    const onToken = opts.onToken;
    if (!onToken) return this.handle.generate(prompts, opts);
    // Streamed steps arrive through a thread-safe queue that may drain after the promise settles:
    // resolve only once every step (one per generated position) has reached the callback.
    let delivered = 0;
    const out = await this.handle.generate(prompts, {
      ...opts,
      onToken: (step, toks) => {
        delivered++;
        onToken(step, toks);
      },
    });
    const steps = Math.max(0, ...out.map((g) => g.tokens.length));
    while (delivered < steps) await new Promise((r) => setImmediate(r));
    return out;
  }

  getParameter(name: string) {
    return this.handle.getParameter(name);
  }

  setParameter(name: string, data: Float32Array | Float64Array): void {
    this.handle.setParameter(name, data);
  }

  dispose(): void {
    this.handle.dispose();
  }

  get disposed(): boolean {
    return this.handle.disposed;
  }
}
