/**
 * Hugging Face config.json for the architectures the engine runs, with HF's field names and the
 * defaults transformers uses, so the folders `eyemulator model init` writes load in Python as-is.
 */
import { OptionError } from '../util/errors.ts';
import { native } from '../native/index.ts';

export type Arch = 'llama' | 'qwen2' | 'gpt_bigcode';

export interface ModelShape {
  arch: Arch;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  tieEmbeddings?: boolean;
  ropeTheta?: number;
  rmsNormEps?: number;
  initializerRange?: number;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
}

/** A HF config object (the subset we write; extra fields in users' configs are kept untouched). */
export type HfConfig = Record<string, unknown>;

function positiveInt(name: string, v: number | undefined): number {
  if (v === undefined || !Number.isInteger(v) || v <= 0) throw new OptionError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** The config.json for a new model of the given shape. */
export function makeHfConfig(s: ModelShape): HfConfig {
  const hidden = positiveInt('--hidden', s.hiddenSize);
  const heads = positiveInt('--heads', s.heads);
  const kvHeads = positiveInt('--kv-heads', s.kvHeads ?? heads);
  if (hidden % heads !== 0) throw new OptionError(`--hidden (${hidden}) must be divisible by --heads (${heads})`);
  if ((hidden / heads) % 2 !== 0) throw new OptionError(`head size hidden/heads = ${hidden / heads} must be even (rotary embedding)`);
  if (heads % kvHeads !== 0) throw new OptionError(`--heads (${heads}) must be a multiple of --kv-heads (${kvHeads})`);
  const common: HfConfig = {
    vocab_size: positiveInt('--vocab-size', s.vocabSize),
    hidden_size: hidden,
    intermediate_size: positiveInt('--intermediate', s.intermediateSize ?? defaultIntermediate(hidden)),
    num_hidden_layers: positiveInt('--layers', s.layers),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    max_position_embeddings: positiveInt('--max-positions', s.maxPositions ?? 2048),
    hidden_act: 'silu',
    initializer_range: s.initializerRange ?? 0.02,
    rms_norm_eps: s.rmsNormEps ?? 1e-6,
    rope_theta: s.ropeTheta ?? 10000,
    tie_word_embeddings: s.tieEmbeddings ?? false,
    use_cache: true,
    torch_dtype: 'float32',
    bos_token_id: s.bosTokenId ?? null,
    eos_token_id: s.eosTokenId ?? null,
    pad_token_id: s.padTokenId ?? null,
  };
  if (s.arch === 'llama') {
    return {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      ...common,
      attention_bias: false,
      attention_dropout: 0.0,
      mlp_bias: false,
      pretraining_tp: 1,
      rope_scaling: null,
      head_dim: hidden / heads,
    };
  }
  if (s.arch === 'gpt_bigcode') {
    // GPT-2 style field names; multi-query attention (one K/V head), learned positions.
    return {
      architectures: ['GPTBigCodeForCausalLM'],
      model_type: 'gpt_bigcode',
      vocab_size: positiveInt('--vocab-size', s.vocabSize),
      n_embd: hidden,
      n_layer: positiveInt('--layers', s.layers),
      n_head: heads,
      n_inner: positiveInt('--intermediate', s.intermediateSize ?? 4 * hidden),
      n_positions: positiveInt('--max-positions', s.maxPositions ?? 2048),
      multi_query: kvHeads === 1 || s.kvHeads === undefined,
      activation_function: 'gelu_pytorch_tanh',
      layer_norm_epsilon: 1e-5,
      initializer_range: s.initializerRange ?? 0.02,
      scale_attn_weights: true,
      attn_pdrop: 0.0, embd_pdrop: 0.0, resid_pdrop: 0.0,
      tie_word_embeddings: s.tieEmbeddings ?? true,
      use_cache: true,
      torch_dtype: 'float32',
      bos_token_id: s.bosTokenId ?? null,
      eos_token_id: s.eosTokenId ?? null,
      pad_token_id: s.padTokenId ?? null,
    };
  }
  if (s.arch === 'qwen2') {
    return {
      architectures: ['Qwen2ForCausalLM'],
      model_type: 'qwen2',
      ...common,
      attention_dropout: 0.0,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: s.layers,
      rope_scaling: null,
    };
  }
  throw new OptionError(`unknown architecture "${(s as { arch: string }).arch}" (use llama or qwen2)`);
}

/** Llama's ratio: 8/3·hidden rounded up to a multiple of 64 (small models: of 8). */
export function defaultIntermediate(hidden: number): number {
  const raw = Math.ceil((8 * hidden) / 3);
  const m = hidden >= 512 ? 64 : 8;
  return Math.ceil(raw / m) * m;
}

/**
 * HF's tensor names for a checkpoint of this config, in save order (a tied `lm_head` is not one):
 * the engine's own module structure for the family (llama, mistral, granite, smollm3, qwen2,
 * qwen3, phi3, starcoder2, gpt_bigcode), built on the meta device — no memory, any size. The one
 * definition: the engine loads and saves exactly these names (cpp/checkpoint.h `tensor_names`).
 * Needs the native addon; throws ConfigError for a config the engine refuses (an unknown family,
 * an unsupported field).
 */
export function expectedTensorNames(cfg: HfConfig, source = 'config.json'): string[] {
  return expectedTensors(cfg, source).map((t) => t.name);
}

/** expectedTensorNames with each tensor's shape. `source` names the config in errors (default "config.json"). */
export function expectedTensors(cfg: HfConfig, source = 'config.json'): { name: string; shape: number[] }[] {
  return native().tensorNames(JSON.stringify(cfg), source);
}

/**
 * config.json's dropout rates (HF's names, as listed harmless in cpp/config.cpp) that are set above
 * 0. The engine runs HF's eval-mode forward also in training (LoRA dropout is applied; these are
 * not), so a run on such a checkpoint trains without that regularisation: said, not silently done.
 * Returns "name=value" strings; [] when none is set.
 */
export function unappliedDropout(cfg: HfConfig): string[] {
  const names = ['attention_dropout', 'resid_pdrop', 'embd_pdrop', 'attn_pdrop', 'residual_dropout', 'embedding_dropout', 'hidden_dropout', 'mlp_dropout', 'summary_first_dropout'];
  return names.filter((n) => typeof cfg[n] === 'number' && (cfg[n] as number) > 0).map((n) => `${n}=${cfg[n]}`);
}
