/**
 * Hugging Face config.json for the architectures the engine runs, with HF's field names and the
 * defaults transformers uses, so the folders `eyemulator model init` writes load in Python as-is.
 */
import { OptionError } from '../util/errors.ts';

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
 * HF's parameter names for a model of this config, in the engine's order, for the families whose
 * names are plain (gpt_bigcode and the Llama-block families: llama, mistral, granite, smollm3, qwen2,
 * qwen3, with attention_bias / mlp_bias and Qwen3's q/k norms); [] for any other family (starcoder2,
 * phi3, ...): callers then know nothing from names alone (the engine's load report is authoritative).
 */
export function expectedTensorNames(cfg: HfConfig): string[] {
  if (cfg.model_type === 'gpt_bigcode') {
    const names = ['transformer.wte.weight', 'transformer.wpe.weight'];
    for (let i = 0; i < (cfg.n_layer as number); i++) {
      const p = `transformer.h.${i}`;
      for (const m of ['ln_1', 'attn.c_attn', 'attn.c_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj']) names.push(`${p}.${m}.weight`, `${p}.${m}.bias`);
    }
    names.push('transformer.ln_f.weight', 'transformer.ln_f.bias');
    if (cfg.tie_word_embeddings === false) names.push('lm_head.weight');
    return names;
  }
  const llamaBlock = ['llama', 'mistral', 'granite', 'smollm3', 'qwen2', 'qwen3'];
  if (!llamaBlock.includes(cfg.model_type as string)) return [];
  const L = cfg.num_hidden_layers as number;
  const names = ['model.embed_tokens.weight'];
  const qwen2 = cfg.model_type === 'qwen2';
  const qkNorm = cfg.model_type === 'qwen3';
  const attnBias = cfg.attention_bias === true;
  const mlpBias = cfg.mlp_bias === true;
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      names.push(`${p}.self_attn.${proj}.weight`);
      if (attnBias || (qwen2 && proj !== 'o_proj')) names.push(`${p}.self_attn.${proj}.bias`);
    }
    if (qkNorm) names.push(`${p}.self_attn.q_norm.weight`, `${p}.self_attn.k_norm.weight`);
    for (const proj of ['gate_proj', 'up_proj', 'down_proj']) {
      names.push(`${p}.mlp.${proj}.weight`);
      if (mlpBias) names.push(`${p}.mlp.${proj}.bias`);
    }
    names.push(`${p}.input_layernorm.weight`, `${p}.post_attention_layernorm.weight`);
  }
  names.push('model.norm.weight');
  if (!cfg.tie_word_embeddings) names.push('lm_head.weight');
  return names;
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
