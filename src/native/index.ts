/**
 * The one module that loads and types the native addon (libtorch engine). Everything else reaches
 * the engine through here. Loading is lazy (libtorch pulls ~300 shared libraries: ~0.4 s) and
 * happens once; a missing build or missing libtorch becomes a NativeLoadError that says what to do.
 */
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { EyemulatorError } from '../util/errors.ts';
import { packageRoot } from '../util/paths.ts';
import { wrapNativeError } from './errors.ts';

export type Dtype = 'float32' | 'float64' | 'bfloat16' | 'float16';
/**
 * Where a model's weights live and run: 'cpu' (default), 'cuda' (= 'cuda:0') or 'cuda:N'. CUDA
 * needs the addon built against a CUDA libtorch (README, GPU (CUDA)); otherwise loading rejects
 * with an EngineArgumentError that says so.
 */
export type Device = 'cpu' | 'cuda' | `cuda:${number}` | (string & {});
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | BigInt64Array;

/** A tensor crossing the boundary: row-major data plus its shape. */
export interface TensorData<A extends NumericArray = NumericArray> {
  data: A;
  shape: number[];
}

/**
 * One micro-batch, [batchSize, seqLen] row-major, aligned with inputIds as in HF: the logits at
 * position t predict labels[t+1], weighted by weights[t+1]. labels = -100 means "no loss here".
 * The arrays are read in place by the engine (no copy) while a call runs: do not mutate them until
 * its promise settles.
 */
export interface NativeBatch {
  inputIds: Int32Array;
  labels: Int32Array;
  weights?: Float32Array;
  attentionMask?: Int32Array | Uint8Array;
  pathMask?: Uint8Array;
  batchSize: number;
  seqLen: number;
}

export interface TensorInfo {
  name: string;
  shape: number[];
  numel: number;
  trainable: boolean;
}

export interface ModelInfo {
  architecture: string;
  modelType: string;
  dtype: Dtype;
  /** 'cpu' or 'cuda:N'. */
  device: string;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  tieWordEmbeddings: boolean;
  parameters: number;
  tensors: TensorInfo[];
}

export interface LoadInfo extends ModelInfo {
  /** Tensors in the files the model has no parameter for, of any dtype (they never block a load). */
  unusedTensors: string[];
  files: string[];
  /** Safetensors dtype of the first weight the model uses ('BF16', 'F32', ...); '' after init. */
  sourceDtype: string;
}

export interface NativeForwardResult {
  /** L_SFT. */
  loss: number;
  /** L_SFT + γ·L_pref: the value the gradients are of. */
  total: number;
  /** L_pref (with `reference`). */
  pref?: number;
  prefSequences?: number;
  tokens: number;
  logits: TensorData<Float32Array | Float64Array>;
  tokenCe: TensorData<Float32Array | Float64Array>;
  grads?: Record<string, TensorData<Float32Array | Float64Array>>;
  attention?: Record<string, TensorData<Float32Array | Float64Array>>;
}

export interface NativeStepResult {
  /** L = L_SFT + γ·L_pref. */
  loss: number;
  sft: number;
  pref: number;
  /** Plain mean CE over the loss positions (weights 1, no preference term): comparable across variants. */
  ce: number;
  prefSequences: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  step: number;
  /** A rank asked to stop (step(…, {stop: true})): no update was made; `step` = steps so far. */
  stopped?: boolean;
  /** Data-parallel only: wall seconds of this step in collectives, and of those in the gradient all-reduce. */
  commSeconds?: number;
  gradAllreduceSeconds?: number;
}

/** Options of Trainer.attachDistributed (torchrun's variables; src/distributed reads them). */
export interface NativeDistributedOptions {
  /** RANK, 0 ≤ rank < worldSize. */
  rank: number;
  /** WORLD_SIZE. */
  worldSize: number;
  /** MASTER_ADDR (default 127.0.0.1): where rank 0 serves the TCPStore. */
  masterAddr?: string;
  /** MASTER_PORT (default 29500). */
  masterPort?: number;
  /** Per-collective timeout in seconds (default 300); also the rendezvous's unless set below. */
  timeoutSeconds?: number;
  /** Seconds to wait for every rank to join (default: timeoutSeconds). */
  rendezvousTimeoutSeconds?: number;
  /** 'auto' (NCCL for CUDA when built with it, else Gloo), 'gloo' or 'nccl'. */
  backend?: 'auto' | 'gloo' | 'nccl';
  /** Gradient all-reduce bucket size in bytes (default 25 MiB). */
  bucketBytes?: number;
}

/**
 * The trainer options as the binding reads them (`threads` may stay unset). Each field is
 * documented once, with its default, on `TrainerOptions` (src/train/defaults.ts), which fills every
 * one in before the engine sees it; the engine's own fallbacks are never used.
 */
export interface NativeTrainerOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  warmupSteps?: number;
  totalSteps?: number;
  schedule?: 'constant' | 'linear' | 'cosine';
  minLrRatio?: number;
  maxGradNorm?: number;
  normalizeByWeights?: boolean;
  bf16Autocast?: boolean;
  gradientCheckpointing?: boolean;
  gamma?: number;
  beta?: number;
  threads?: number;
}

export interface LoraOptions {
  /** Rank r (default 8). */
  r?: number;
  /** lora_alpha (default 16); scaling = alpha / r. */
  alpha?: number;
  /** Dropout on the adapter input during training (default 0). */
  dropout?: number;
  /** Module names (default q,k,v,o,gate,up,down projections). */
  targetModules?: string[];
  /** Seed of A's initialisation and of the dropout stream. */
  seed?: number;
}

export interface LoraInfo {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
  parameters: number;
  tensors: string[];
  enabled: boolean;
}

/** One greedy decoding step, as GenerateOptions.onProgress sees it. */
export interface GenerationProgress {
  /** The step just done, 0-based (step + 1 tokens generated per live prompt so far). */
  step: number;
  /** maxNewTokens: the most steps there can be (fewer when every prompt ends with an EOS first). */
  maxSteps: number;
  /** The token each prompt emitted at this step; -1 for a prompt that had already finished. */
  tokens: number[];
  /**
   * Every prompt's generated tokens so far, this step's included (EOS kept). The arrays grow in
   * place from call to call: copy them to keep a snapshot.
   */
  sequences: number[][];
}

/** What every stoppable native call also takes (src/native/control.ts fills it in from an AbortSignal). */
export interface NativeCallOptions {
  /** Int32Array(1) over a SharedArrayBuffer; element 0 set to 1 asks the engine to stop (binding/convert.h). */
  abortFlag?: Int32Array;
}

export interface GenerateOptions {
  /** Most tokens to generate per prompt (default 128); at least 1. */
  maxNewTokens?: number;
  /** Token ids that end a sequence (kept in the output). */
  eosIds?: number[];
  /** Left-padding id (never attended to). */
  padId?: number;
  /** Beam width (1 = greedy). */
  beams?: number;
  lengthPenalty?: number;
  /** Default true; false recomputes the whole prefix every step (for checking). */
  useCache?: boolean;
  /** Layers whose attention of each generated token over the prompt to return (greedy only). */
  attentionLayers?: number[];
  /**
   * Called on the JS thread after every greedy decoding step (0-based `step`) with the token each
   * prompt emitted (-1 = already finished). Every call arrives before the promise settles. Not
   * called with beams > 1 (beam hypotheses are only final at the end). A throwing callback stops
   * the generation, which then rejects with that error. Default: none (no per-step cost).
   */
  onToken?: (step: number, tokens: number[]) => void;
  /**
   * Like onToken, with the tokens so far (GenerationProgress): for progress bars and streaming.
   * Greedy only; default none.
   */
  onProgress?: (p: GenerationProgress) => void;
  /**
   * Stops the generation at its next decoding step: the promise rejects with AbortError
   * (src/native/errors.ts; an InterruptedError) and the model is unchanged (the KV cache is the
   * call's own). Aborted before the call: rejects at once. Default: none.
   */
  signal?: AbortSignal;
  /** libtorch intra-op threads for this call (default 0 = all cores). */
  threads?: number;
}

/** GenerateOptions as the native call takes them: the signal is an abortFlag there. */
export type NativeGenerateOptions = Omit<GenerateOptions, 'signal' | 'onProgress'> & NativeCallOptions;

export interface NativeGeneration {
  tokens: Int32Array;
  logprobs: Float64Array;
  finish: 'eos' | 'length';
  /** layer → [generated, heads, promptLength] */
  attention?: Record<string, TensorData<Float32Array>>;
}

export interface ForwardOptions {
  /** Also return the gradient of the loss for every trainable parameter (HF / PEFT names). */
  grads?: boolean;
  /** Layers whose attention probabilities [B,H,T,T] to return. */
  attentionLayers?: number[];
  /** L = Σ w·CE / Σ w instead of / N. */
  normalizeByWeights?: boolean;
  /** Run the base model with the LoRA adapters switched off. */
  adaptersOff?: boolean;
  /** Also compute L_pref against the adapters-off model (needs `pathMask` in the batch). */
  reference?: boolean;
  /** Preference temperature β (default 0.1). */
  beta?: number;
  /** With `reference` and `grads`: gradients of L_SFT + γ·L_pref. */
  gamma?: number;
  threads?: number;
}

/**
 * The dtype a checkpoint is loaded in. 'auto' (the default) keeps the checkpoint's own: config.json
 * `dtype` (transformers v5) or `torch_dtype` (v4), else the first weight's safetensors dtype — so a
 * bf16 checkpoint stays bf16 in memory (half the host memory of float32). An explicit dtype wins.
 * Whatever the base dtype: LoRA adapters and AdamW moments are float32 (float64 for a float64
 * model); full fine-tuning of a bf16/f16 model keeps float32 master weights in the trainer (AdamW
 * updates them and writes a rounded copy into the model), saved in the trainer state so resumes
 * stay bit-exact. The forward runs in the weights' dtype.
 */
export type LoadDtype = Dtype | 'auto';

/** Options of `save`: `dtype` (default: the model's) and `maxShardSize` (see NativeModel.save). */
export interface SaveOptions {
  /** dtype of the written weights (default: the model's). */
  dtype?: Dtype;
  /**
   * Largest model.safetensors file, in bytes or as HF's max_shard_size ("5GB", "500MB"; decimal
   * units). Above it the weights are written sharded as transformers does:
   * model-00001-of-0000N.safetensors + model.safetensors.index.json. Default "50GB" (transformers v5).
   */
  maxShardSize?: number | string;
  /**
   * Stops the save while its first file is being written (each file goes to a temp name and is
   * renamed, so an aborted save leaves no partial file and the folder's old checkpoint intact); the
   * promise rejects with AbortError. Once the first file (or shard) is in place the save finishes
   * and resolves: stopping between shards would leave two checkpoints mixed. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * The native Model (binding/model_wrap.h). Promise-returning calls run off the JS thread and take
 * the model's lock. The synchronous ones (info, getParameter, setParameter, addLora, loraInfo,
 * setAdaptersEnabled) never wait for it: on a model busy with a running call they throw
 * EngineBusyError at once.
 */
export interface NativeModel {
  load(dir: string, opts?: { dtype?: LoadDtype; threads?: number; device?: Device } & NativeCallOptions): Promise<LoadInfo>;
  /** dtype 'auto' (or none) = float32 here: a config alone has no weights to take a dtype from. */
  init(configPath: string, opts: { seed: number; dtype?: LoadDtype; threads?: number; device?: Device } & NativeCallOptions): Promise<LoadInfo>;
  save(dir: string, opts?: Omit<SaveOptions, 'signal'> & NativeCallOptions): Promise<void>;
  forward(batch: NativeBatch, opts?: ForwardOptions): Promise<NativeForwardResult>;
  addLora(opts?: LoraOptions): LoraInfo;
  loadAdapter(dir: string, opts?: NativeCallOptions): Promise<LoraInfo>;
  saveAdapter(dir: string, opts?: { baseModel?: string } & NativeCallOptions): Promise<LoraInfo>;
  /** Off the JS thread (float64 products per adapted module); resolves once merged. */
  mergeLora(): Promise<void>;
  loraInfo(): LoraInfo | null;
  setAdaptersEnabled(on: boolean): void;
  /** `onToken` is the native listener: (step, tokens) per step, then one call with no arguments. */
  generate(prompts: Array<Int32Array | number[]>, opts?: NativeGenerateOptions): Promise<NativeGeneration[]>;
  info(): ModelInfo;
  getParameter(name: string): TensorData<Float32Array | Float64Array>;
  setParameter(name: string, data: Float32Array | Float64Array): void;
  /**
   * Marks the model disposed at once (every later call is refused with EngineStateError) and frees
   * the weights off the JS thread once a running call ends; resolves then. Idempotent; never rejects.
   */
  dispose(): Promise<void>;
  readonly disposed: boolean;
}

export interface NativeTrainer {
  /**
   * `stop`: data-parallel agreed stop (see eye::Trainer::step). `abortFlag`: stops a one-process step
   * between micro-batches or between a forward and its backward. `onProgress` is the native
   * listener: (done, total) after each micro-batch's backward, then one call with no arguments.
   */
  step(
    batch: NativeBatch | NativeBatch[],
    opts?: { stop?: boolean; onProgress?: (done?: number, total?: number) => void } & NativeCallOptions,
  ): Promise<NativeStepResult>;
  attachDistributed(opts: NativeDistributedOptions): Promise<{ rank: number; worldSize: number; backend: string }>;
  saveState(path: string, metadata?: Record<string, string>): Promise<Record<string, string>>;
  loadState(path: string): Promise<Record<string, string>>;
  learningRate(step?: number): number;
  readonly steps: number;
  /** Drops the optimizer state (off the JS thread, after a running step); idempotent; never rejects. */
  dispose(): Promise<void>;
}

export interface NativeAddon {
  Model: new () => NativeModel;
  Trainer: new (model: NativeModel, opts?: NativeTrainerOptions) => NativeTrainer;
  /** `cuda`: a CUDA device is usable; `cudaBuilt`: the libtorch has CUDA; `cudaDevices`: GPUs visible. */
  version(): {
    torch: string;
    cuda: boolean;
    cudaBuilt: boolean;
    cudaDevices: number;
    threads: number;
    defaultThreads: number;
    parallelInfo: string;
  };
  readSafetensors(path: string): {
    metadata: Record<string, string>;
    tensors: Record<string, TensorData & { dtype: SafetensorsDtype }>;
  };
  /**
   * The tensors a checkpoint of this config.json holds, in save order, with their shapes: the
   * engine's own module structure built on the meta device (no memory). `source` names the config
   * in errors. Throws ConfigError for a config the engine refuses.
   */
  tensorNames(configText: string, source: string): { name: string; shape: number[] }[];
  writeSafetensors(
    path: string,
    tensors: Record<string, TensorData & { dtype?: SafetensorsDtype }>,
    metadata?: Record<string, string>,
  ): void;
  setThreads(n: number): void;
  /** Whether this build has c10d data-parallel training, and its backends ('gloo', 'nccl'). */
  distributedInfo(): { available: boolean; backends: string[] };
  /** GFLOP/s of an n×n matmul repeated `iters` times (synchronous; a measurement tool). */
  benchMatmul(n: number, iters: number, threads: number, dtype?: 'float32' | 'bfloat16'): number;
  /**
   * The LoRA-dropout mask the engine draws (cpp/dropout.h): n values, each 0 with probability p and
   * 1/(1−p) otherwise, from a CPU generator seeded with `seed`, filled on `threads` threads
   * (synchronous; for tests and diagnostics). n ≤ 2^28.
   */
  dropoutMask(n: number, p: number, seed: number, threads: number): Float32Array;
  /**
   * The engine's fused cross-entropy (cpp/cross_entropy.h) on n rows of v logits: `ce[i]` =
   * logsumexp(row i) − logits[i, target[i]], and `dlogits` = ∂(Σ grad[i]·ce[i])/∂logits, [n·v] row-major,
   * in the logits' precision (synchronous; for tests and diagnostics). n·v ≤ 2^26.
   */
  /**
   * Counters of the engine's caching CPU allocator (cpp/cpu_allocator.h): bytes held free for reuse
   * and handed out (size classes), requests served from the cache (hits) or the system (misses),
   * the cache limit (EYEMULATOR_CPU_CACHE_MB; default a quarter of RAM). `installed` false under
   * EYEMULATOR_CPU_ALLOCATOR=system.
   */
  cpuCacheStats(): { installed: boolean; cachedBytes: number; liveBytes: number; hits: number; misses: number; limitBytes: number };
  crossEntropyRows<A extends Float32Array | Float64Array>(logits: A, n: number, v: number, target: Int32Array, grad: A, threads: number): { ce: A; dlogits: A };
}

export class NativeLoadError extends EyemulatorError {
  constructor(message: string, cause?: unknown) {
    super('EYEMULATOR_NATIVE_LOAD', message, { cause });
  }
}

let cached: NativeAddon | undefined;

/** The addon, loaded on first use. Methods throw typed errors (see ./errors.ts). */
export function native(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  // libgomp's default "active" wait spins idle OpenMP threads; on small shared machines they then
  // fight OpenBLAS's threads for the cores (measured: up to 10x slower steps). Read once at load.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  let raw: NativeAddon;
  try {
    // EYEMULATOR_ADDON names a .node built elsewhere (e.g. the Debian-libtorch fallback build that
    // `npm run test:fallback` checks, or a CUDA build beside the CPU one).
    const explicit = process.env.EYEMULATOR_ADDON;
    if (explicit) raw = require(resolvePath(explicit)) as NativeAddon;
    else raw = (require('node-gyp-build') as (dir: string) => unknown)(root) as NativeAddon;
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    if (/libtorch|libc10|libopenblas|cannot open shared object/.test(msg)) {
      throw new NativeLoadError(
        `the eyemulator addon is built but the libtorch it was built against cannot be loaded (${msg.split('\n')[0]}). ` +
          'Run: npm run setup (it rebuilds against a libtorch it finds; `eyemulator doctor` shows which)',
        err,
      );
    }
    throw new NativeLoadError(
      `the eyemulator native addon is not built (${msg.split('\n')[0]}). Run: npm run setup ` +
        '(chooses a libtorch, then builds the addon with cmake-js)',
      err,
    );
  }
  cached = wrapAddon(raw);
  return cached;
}

/** Wraps every native entry point so coded native errors become typed TS errors. */
function wrapAddon(raw: NativeAddon): NativeAddon {
  const wrapFn = <F extends (...a: any[]) => any>(f: F, self: unknown): F =>
    ((...args: any[]) => {
      try {
        const r = f.apply(self, args);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(wrapNativeError(e))) : r;
      } catch (e) {
        throw wrapNativeError(e);
      }
    }) as F;
  const wrapClass = (C: any): any => {
    class Wrapped extends C {
      constructor(...args: any[]) {
        try {
          super(...args);
        } catch (e) {
          throw wrapNativeError(e);
        }
      }
    }
    for (const k of Object.getOwnPropertyNames(C.prototype)) {
      const d = Object.getOwnPropertyDescriptor(C.prototype, k);
      if (k === 'constructor' || !d || typeof d.value !== 'function') continue;
      const f = d.value;
      Object.defineProperty(Wrapped.prototype, k, {
        value(this: unknown, ...args: any[]) {
          return wrapFn(f, this)(...args);
        },
        configurable: true,
      });
    }
    return Wrapped;
  };
  return {
    Model: wrapClass(raw.Model),
    Trainer: wrapClass(raw.Trainer),
    version: wrapFn(raw.version, raw),
    readSafetensors: wrapFn(raw.readSafetensors, raw),
    writeSafetensors: wrapFn(raw.writeSafetensors, raw),
    tensorNames: wrapFn(raw.tensorNames, raw),
    setThreads: wrapFn(raw.setThreads, raw),
    benchMatmul: wrapFn(raw.benchMatmul, raw),
    dropoutMask: wrapFn(raw.dropoutMask, raw),
    crossEntropyRows: wrapFn(raw.crossEntropyRows, raw),
    cpuCacheStats: wrapFn(raw.cpuCacheStats, raw),
    // An addon built before data-parallel training has no distributedInfo: it has no c10d either.
    distributedInfo: raw.distributedInfo ? wrapFn(raw.distributedInfo, raw) : () => ({ available: false, backends: [] }),
  };
}
