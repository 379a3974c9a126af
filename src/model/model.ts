/**
 * `Model`: the TypeScript face of one native model (a HF Llama/Qwen2 checkpoint in memory).
 * Long calls return promises and run off the JS thread; `dispose()` frees native memory now
 * rather than when the GC gets to it.
 */
import { mkdirSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  native,
  type Device,
  type Dtype,
  type LoadInfo,
  type ModelInfo,
  type NativeBatch,
  type NativeForwardResult,
  type NativeModel,
  type LoraOptions,
  type LoraInfo,
  type GenerateOptions,
  type ForwardOptions,
  type NativeGeneration,
} from '../native/index.ts';
import { makeHfConfig, type ModelShape } from './config.ts';

export interface LoadOptions {
  /** Compute dtype of the weights in memory (default float32; float64 for numerical checks). */
  dtype?: Dtype;
  /** libtorch intra-op threads for this call (default: all cores). */
  threads?: number;
  /**
   * 'cpu' (default), 'cuda' or 'cuda:N': where the weights live and every call runs. Checkpoints
   * are read on the CPU and moved; saving copies back to the CPU. CUDA needs a CUDA libtorch build.
   */
  device?: Device;
}

export type { ForwardOptions } from '../native/index.ts';

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
    mkdirSync(outDir, { recursive: true });
    const configPath = join(outDir, 'config.json');
    writeFileSync(configPath, JSON.stringify(makeHfConfig(shape), null, 2) + '\n');
    if (opts.tokenizer) {
      copyFileSync(opts.tokenizer, join(outDir, 'tokenizer.json'));
      const cfg = join(opts.tokenizer, '..', 'tokenizer_config.json');
      if (existsSync(cfg)) copyFileSync(cfg, join(outDir, 'tokenizer_config.json'));
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

  /** Saves config.json + model.safetensors (atomically) in `dir`, optionally cast to `dtype`. */
  async save(dir: string, opts: { dtype?: Dtype } = {}): Promise<void> {
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
    return this.handle.addLora(opts);
  }

  /** Loads a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors). */
  async loadAdapter(dir: string): Promise<LoraInfo> {
    return this.handle.loadAdapter(dir);
  }

  /** Saves the adapters in PEFT's format; `baseModel` fills base_model_name_or_path. */
  async saveAdapter(dir: string, opts: { baseModel?: string } = {}): Promise<LoraInfo> {
    return this.handle.saveAdapter(dir, { baseModel: opts.baseModel ?? this.dir ?? '' });
  }

  /** Folds the adapters into the base weights (W += α/r·B·A); save() then writes a plain HF checkpoint. */
  mergeLora(): void {
    this.handle.mergeLora();
  }

  get lora(): LoraInfo | null {
    return this.handle.loraInfo();
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
