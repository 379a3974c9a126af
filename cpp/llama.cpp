#include "llama.h"

#include "errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>

namespace eye {

namespace F = torch::nn::functional;

bool AttentionCapture::wants(int64_t layer) const {
  return std::find(layers.begin(), layers.end(), layer) != layers.end();
}

ProjImpl::ProjImpl(int64_t in, int64_t out, bool with_bias, c10::ScalarType dtype) {
  weight = register_parameter("weight", torch::empty({out, in}, torch::TensorOptions().dtype(dtype)));
  if (with_bias) bias = register_parameter("bias", torch::zeros({out}, torch::TensorOptions().dtype(dtype)));
}

torch::Tensor ProjImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::nn::functional::linear(x, weight, bias.defined() ? bias : torch::Tensor());
  return lora_A.defined() ? add_lora_branch(x, y) : y;  // cpp/lora.cpp
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, c10::ScalarType dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, torch::TensorOptions().dtype(dtype)));
}

EmbeddingImpl::EmbeddingImpl(int64_t num, int64_t dim, c10::ScalarType dtype) {
  weight = register_parameter("weight", torch::empty({num, dim}, torch::TensorOptions().dtype(dtype)));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return F::embedding(ids, weight); }

LayerNormImpl::LayerNormImpl(int64_t dim, double eps_, bool with_bias, c10::ScalarType dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, torch::TensorOptions().dtype(dtype)));
  if (with_bias) bias = register_parameter("bias", torch::zeros({dim}, torch::TensorOptions().dtype(dtype)));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {weight.size(0)}, weight, bias.defined() ? bias : torch::Tensor(), eps);
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // As HF: normalise in float32 for half types (the variance underflows in bf16), in the model's
  // dtype otherwise (float64 models stay float64, which the finite-difference tests rely on).
  const bool half = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kFloat16;
  torch::Tensor h = half ? x.to(torch::kFloat32) : x;
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * (half ? h.to(x.scalar_type()) : h);
}

RotaryEmbedding::RotaryEmbedding(const ModelConfig& c) {
  const int64_t d = c.head_dim;
  auto idx = torch::arange(0, d, 2, torch::kInt64).to(torch::kFloat64) / static_cast<double>(d);
  torch::Tensor inv = 1.0 / torch::pow(torch::full({}, c.rope_theta, torch::kFloat64), idx);
  const auto& rs = c.rope_scaling;
  if (rs.type == "linear") {
    inv = inv / rs.factor;  // same as dividing positions by factor (HF LinearScaling)
  } else if (rs.type == "llama3") {
    // Llama 3.1 frequency-dependent scaling (HF _compute_llama3_parameters).
    const double low_wavelen = rs.original_max_position_embeddings / rs.low_freq_factor;
    const double high_wavelen = rs.original_max_position_embeddings / rs.high_freq_factor;
    torch::Tensor wavelen = 2 * M_PI / inv;
    torch::Tensor scaled = torch::where(wavelen > low_wavelen, inv / rs.factor, inv);
    torch::Tensor smooth = (rs.original_max_position_embeddings / wavelen - rs.low_freq_factor) /
                           (rs.high_freq_factor - rs.low_freq_factor);
    torch::Tensor smoothed = (1 - smooth) * scaled / rs.factor + smooth * scaled;
    torch::Tensor medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
    inv = torch::where(medium, smoothed, scaled);
  }
  inv_freq = inv;
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::operator()(const torch::Tensor& positions,
                                                                     torch::ScalarType dtype) const {
  // HF computes the angles in float32; a float64 model keeps float64 so gradients check exactly.
  const auto calc = dtype == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  torch::Tensor inv = inv_freq.to(positions.device(), calc);
  torch::Tensor freqs = positions.to(calc).unsqueeze(-1) * inv;  // [B,T,D/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);  // [B,1,T,D]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

namespace {

// Whether autocast is on for this device type on this thread (the API changed in libtorch 2.4).
bool autocast_active(torch::DeviceType type) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(type);
#else
  return type == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t h = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, h, h), x.narrow(-1, 0, h)}, -1);
}

}  // namespace

AttentionImpl::AttentionImpl(const ModelConfig& c)
    : n_heads(c.num_attention_heads), n_kv_heads(c.num_key_value_heads), head_dim(c.head_dim) {
  const bool qkv_bias = c.attention_bias || c.qkv_bias;
  q_proj = register_module("q_proj", Proj(c.hidden_size, n_heads * head_dim, qkv_bias, c.param_dtype));
  k_proj = register_module("k_proj", Proj(c.hidden_size, n_kv_heads * head_dim, qkv_bias, c.param_dtype));
  v_proj = register_module("v_proj", Proj(c.hidden_size, n_kv_heads * head_dim, qkv_bias, c.param_dtype));
  o_proj = register_module("o_proj", Proj(n_heads * head_dim, c.hidden_size, c.attention_bias, c.param_dtype));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                     const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache,
                                     torch::Tensor* v_cache) {
  const int64_t B = x.size(0), T = x.size(1);
  torch::Tensor q = q_proj(x).view({B, T, n_heads, head_dim}).transpose(1, 2);      // [B,H,T,D]
  torch::Tensor k = k_proj(x).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);   // [B,KV,T,D]
  torch::Tensor v = v_proj(x).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  if (k_cache) {
    if (k_cache->defined()) {
      k = torch::cat({*k_cache, k}, 2);
      v = torch::cat({*v_cache, v}, 2);
    }
    *k_cache = k;
    *v_cache = v;
  }
  const int64_t Tk = k.size(2);
  const int64_t rep = n_heads / n_kv_heads;
  torch::Tensor out;
#if TORCH_VERSION_MAJOR >= 2
  if (!probs_out) {
    if (rep > 1) {
      k = k.repeat_interleave(rep, 1);
      v = v.repeat_interleave(rep, 1);
    }
    out = at::scaled_dot_product_attention(q, k, v, mask);
  }
#endif
  if (!out.defined()) {
    // Grouped-query attention without copying K/V: query head h uses kv head h / rep (HF repeat_kv
    // order), so the rep query heads of one kv head stack into one [rep*T, D] matrix per kv head.
    torch::Tensor qg = q.reshape({B, n_kv_heads, rep * T, head_dim});
    torch::Tensor scores = torch::matmul(qg, k.transpose(-2, -1)).view({B, n_heads, T, Tk});
    scores = scores * (1.0 / std::sqrt(static_cast<double>(head_dim))) + mask;
    // Softmax in float32 for half types (as HF), then back.
    const bool half = scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kFloat16;
    torch::Tensor probs = half ? torch::softmax(scores, -1, torch::kFloat32).to(scores.scalar_type())
                               : torch::softmax(scores, -1);
    if (probs_out) *probs_out = probs;
    out = torch::matmul(probs.view({B, n_kv_heads, rep * T, Tk}), v).view({B, n_heads, T, head_dim});
  }
  return o_proj(out.transpose(1, 2).reshape({B, T, n_heads * head_dim}));
}

MLPImpl::MLPImpl(const ModelConfig& c) {
  auto lin = [&](int64_t i, int64_t o) { return Proj(i, o, c.mlp_bias, c.param_dtype); };
  gate_proj = register_module("gate_proj", lin(c.hidden_size, c.intermediate_size));
  up_proj = register_module("up_proj", lin(c.hidden_size, c.intermediate_size));
  down_proj = register_module("down_proj", lin(c.intermediate_size, c.hidden_size));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  return down_proj(F::silu(gate_proj(x)) * up_proj(x));
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c) {
  self_attn = register_module("self_attn", Attention(c));
  mlp = register_module("mlp", MLP(c));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& h, const torch::Tensor& cos, const torch::Tensor& sin,
                                        const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache,
                                        torch::Tensor* v_cache) {
  torch::Tensor x = h + self_attn->forward(input_layernorm(h), cos, sin, mask, probs_out, k_cache, v_cache);
  return x + mlp->forward(post_attention_layernorm(x));
}

BigCodeAttentionImpl::BigCodeAttentionImpl(const ModelConfig& c)
    : n_heads(c.num_attention_heads), head_dim(c.head_dim), multi_query(c.multi_query) {
  const int64_t kv = multi_query ? 2 * head_dim : 2 * c.hidden_size;
  c_attn = register_module("c_attn", Proj(c.hidden_size, c.hidden_size + kv, true, c.param_dtype));
  c_proj = register_module("c_proj", Proj(c.hidden_size, c.hidden_size, true, c.param_dtype));
}

torch::Tensor BigCodeAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask, torch::Tensor* probs_out,
                                            torch::Tensor* k_cache, torch::Tensor* v_cache) {
  const int64_t B = x.size(0), T = x.size(1), E = n_heads * head_dim;
  torch::Tensor qkv = c_attn(x);
  torch::Tensor q, k, v;
  if (multi_query) {
    // HF: query, key_value = c_attn(x).split((embed_dim, 2·head_dim)); one shared K/V head.
    q = qkv.narrow(-1, 0, E).view({B, T, n_heads, head_dim}).transpose(1, 2);
    k = qkv.narrow(-1, E, head_dim).unsqueeze(1);                // [B,1,T,D]
    v = qkv.narrow(-1, E + head_dim, head_dim).unsqueeze(1);
  } else {
    // HF: view(B,T,H,3D) then split per head into (D, 2D), the 2D part into (D, D).
    torch::Tensor per = qkv.view({B, T, n_heads, 3 * head_dim}).transpose(1, 2);
    q = per.narrow(-1, 0, head_dim);
    k = per.narrow(-1, head_dim, head_dim);
    v = per.narrow(-1, 2 * head_dim, head_dim);
  }
  if (k_cache) {
    if (k_cache->defined()) {
      k = torch::cat({*k_cache, k}, 2);
      v = torch::cat({*v_cache, v}, 2);
    }
    *k_cache = k;
    *v_cache = v;
  }
  const int64_t Tk = k.size(2), kvh = k.size(1), rep = n_heads / kvh;
  torch::Tensor qg = q.reshape({B, kvh, rep * T, head_dim});
  torch::Tensor scores = torch::matmul(qg, k.transpose(-2, -1)).view({B, n_heads, T, Tk});
  scores = scores * (1.0 / std::sqrt(static_cast<double>(head_dim))) + mask;
  const bool half = scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kFloat16;
  torch::Tensor probs = half ? torch::softmax(scores, -1, torch::kFloat32).to(scores.scalar_type()) : torch::softmax(scores, -1);
  if (probs_out) *probs_out = probs;
  torch::Tensor out = torch::matmul(probs.view({B, kvh, rep * T, Tk}), v).view({B, n_heads, T, head_dim});
  return c_proj(out.transpose(1, 2).reshape({B, T, E}));
}

BigCodeMLPImpl::BigCodeMLPImpl(const ModelConfig& c) : tanh_gelu(c.activation != "gelu") {
  c_fc = register_module("c_fc", Proj(c.hidden_size, c.intermediate_size, true, c.param_dtype));
  c_proj = register_module("c_proj", Proj(c.intermediate_size, c.hidden_size, true, c.param_dtype));
}

torch::Tensor BigCodeMLPImpl::forward(const torch::Tensor& x) {
  return c_proj(torch::gelu(c_fc(x), tanh_gelu ? "tanh" : "none"));
}

BigCodeBlockImpl::BigCodeBlockImpl(const ModelConfig& c) {
  auto ln = [&]() { return LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype); };
  ln_1 = register_module("ln_1", ln());
  attn = register_module("attn", BigCodeAttention(c));
  ln_2 = register_module("ln_2", ln());
  mlp = register_module("mlp", BigCodeMLP(c));
}

torch::Tensor BigCodeBlockImpl::forward(const torch::Tensor& h, const torch::Tensor& mask, torch::Tensor* probs_out,
                                        torch::Tensor* k_cache, torch::Tensor* v_cache) {
  torch::Tensor x = h + attn->forward(ln_1(h), mask, probs_out, k_cache, v_cache);
  return x + mlp->forward(ln_2(x));
}

BigCodeDecoderImpl::BigCodeDecoderImpl(const ModelConfig& c) {
  wte = register_module("wte", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
  wpe = register_module("wpe", Embedding(c.max_position_embeddings, c.hidden_size, c.param_dtype));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) h->push_back(BigCodeBlock(c));
  ln_f = register_module("ln_f", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
}

DecoderImpl::DecoderImpl(const ModelConfig& c) {
  embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
}

CausalLMImpl::CausalLMImpl(const ModelConfig& c) : config(c), rope(c) {
  if (c.model_type == "gpt_bigcode") {
    transformer = register_module("transformer", BigCodeDecoder(c));
    if (!c.tie_word_embeddings) lm_head = register_module("lm_head", Proj(c.hidden_size, c.vocab_size, false, c.param_dtype));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      auto* L = transformer->h->ptr<BigCodeBlockImpl>(i).get();
      const std::string p = "transformer.h." + std::to_string(i) + ".";
      projections.emplace_back(p + "attn.c_attn", L->attn->c_attn);
      projections.emplace_back(p + "attn.c_proj", L->attn->c_proj);
      projections.emplace_back(p + "mlp.c_fc", L->mlp->c_fc);
      projections.emplace_back(p + "mlp.c_proj", L->mlp->c_proj);
    }
    for (auto& pr : projections) pr.second->lora_enabled = &lora_enabled;
    return;
  }
  model = register_module("model", Decoder(c));
  if (!c.tie_word_embeddings) lm_head = register_module("lm_head", Proj(c.hidden_size, c.vocab_size, false, c.param_dtype));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    auto* L = model->layers->ptr<DecoderLayerImpl>(i).get();
    const std::string p = "model.layers." + std::to_string(i) + ".";
    projections.emplace_back(p + "self_attn.q_proj", L->self_attn->q_proj);
    projections.emplace_back(p + "self_attn.k_proj", L->self_attn->k_proj);
    projections.emplace_back(p + "self_attn.v_proj", L->self_attn->v_proj);
    projections.emplace_back(p + "self_attn.o_proj", L->self_attn->o_proj);
    projections.emplace_back(p + "mlp.gate_proj", L->mlp->gate_proj);
    projections.emplace_back(p + "mlp.up_proj", L->mlp->up_proj);
    projections.emplace_back(p + "mlp.down_proj", L->mlp->down_proj);
  }
  for (auto& pr : projections) pr.second->lora_enabled = &lora_enabled;
}

torch::Tensor CausalLMImpl::hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                   AttentionCapture* capture, KVCache* cache) {
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  const int64_t past = cache ? cache->length() : 0;
  const int64_t Tk = past + T;
  const bool bigcode = static_cast<bool>(transformer);
  torch::Tensor h = bigcode ? transformer->wte(input_ids) : model->embed_tokens(input_ids);
  const auto dtype = h.scalar_type();
  // Positions count real tokens only, so left-padded prompts get the same positions as unpadded ones.
  torch::Tensor positions = attention_mask.defined()
                                ? (attention_mask.to(torch::kInt64).cumsum(-1) - 1).clamp_min(0).narrow(1, past, T)
                                : torch::arange(past, Tk, torch::TensorOptions().dtype(torch::kInt64).device(h.device()))
                                      .unsqueeze(0)
                                      .expand({B, T});
  torch::Tensor cos, sin;
  if (bigcode) {
    if (positions.max().item<int64_t>() >= config.max_position_embeddings)
      fail(ErrorCode::Batch, "sequence longer than n_positions (" + std::to_string(config.max_position_embeddings) + ") of this GPTBigCode model");
    h = h + transformer->wpe(positions);
  } else {
    std::tie(cos, sin) = rope(positions, dtype);
  }
  // Additive mask [B,1,T,Tk]: query i (absolute position past+i) sees keys ≤ past+i that are not
  // padding. The lowest finite value (not -inf) keeps rows of padding queries finite; they carry
  // no loss. Under autocast, SDPA may receive the mask cast to bf16/f16, where float's lowest
  // overflows to -inf (NaN rows): -1e30 then, as for half models.
  const bool f32_mask = dtype == torch::kFloat32 && !autocast_active(h.device().type());
  const double lowest = dtype == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                        : f32_mask               ? static_cast<double>(std::numeric_limits<float>::lowest())
                                                 : -1e30;
  torch::Tensor blocked =
      torch::ones({T, Tk}, torch::TensorOptions().dtype(torch::kBool).device(h.device())).triu(past + 1).view({1, 1, T, Tk});
  if (attention_mask.defined()) blocked = blocked | (attention_mask == 0).view({B, 1, 1, Tk});
  torch::Tensor mask = torch::zeros(blocked.sizes(), h.options()).masked_fill(blocked, lowest);
  if (capture) capture->probs.clear();
  const int64_t L = config.num_hidden_layers;
  if (cache && cache->k.empty()) {
    cache->k.resize(L);
    cache->v.resize(L);
  }
  for (int64_t i = 0; i < L; ++i) {
    torch::Tensor probs;
    const bool want = capture && capture->wants(i);
    torch::Tensor* kc = cache ? &cache->k[i] : nullptr;
    torch::Tensor* vc = cache ? &cache->v[i] : nullptr;
    h = bigcode ? transformer->h->ptr<BigCodeBlockImpl>(i)->forward(h, mask, want ? &probs : nullptr, kc, vc)
                : model->layers->ptr<DecoderLayerImpl>(i)->forward(h, cos, sin, mask, want ? &probs : nullptr, kc, vc);
    if (want) capture->probs.push_back(probs);
  }
  return bigcode ? transformer->ln_f(h) : model->norm(h);
}

torch::Tensor CausalLMImpl::logits_from_hidden(const torch::Tensor& h) {
  return lm_head ? lm_head(h) : torch::matmul(h, embedding_weight().t());
}

torch::Tensor CausalLMImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                    AttentionCapture* capture) {
  return logits_from_hidden(hidden(input_ids, attention_mask, capture));
}

at::Generator make_generator_for(torch::Device device, uint64_t seed) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Generator g = at::globalContext().defaultGenerator(device).clone();
  g.set_current_seed(seed);
  return g;
}

void CausalLMImpl::move_to(torch::Device d) {
  if (d == device_) return;
  torch::NoGradGuard ng;
  to(d);  // parameters and buffers, in place (set_data), so every handle to them stays valid
  rope.inv_freq = rope.inv_freq.to(d);
  for (auto& pr : projections) {
    Proj& p = pr.second;
    // Adapters are not registered parameters: move them in place (lora_named_ shares them).
    if (p->lora_A.defined()) p->lora_A.set_data(p->lora_A.data().to(d));
    if (p->lora_B.defined()) p->lora_B.set_data(p->lora_B.data().to(d));
  }
  if (has_lora()) dropout_gen = make_generator_for(d, lora_.seed ^ 0x9e3779b97f4a7c15ULL);
  device_ = d;
}

void CausalLMImpl::init_weights(uint64_t seed) {
  torch::NoGradGuard ng;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std = config.initializer_range;
  for (auto& kv : named_parameters(/*recurse=*/true)) {
    const std::string& name = kv.key();
    torch::Tensor p = kv.value();
    const bool layer_norm = name.find("norm") != std::string::npos || name.find(".ln_") != std::string::npos;
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      p.zero_();
    } else if (layer_norm) {
      p.fill_(1.0);
    } else {
      // Draw in float32 on CPU from the seeded generator, whatever the model dtype, so that the same
      // seed gives the same initial weights in float32 and float64 models.
      torch::Tensor w = torch::empty(p.sizes(), torch::kFloat32);
      // GPTBigCode (as GPT-2) scales the residual output projections by 1/√(2·layers).
      const bool residual_out = transformer && name.find(".c_proj.weight") != std::string::npos;
      w.normal_(0.0, residual_out ? std / std::sqrt(2.0 * config.num_hidden_layers) : std, gen);
      if ((name == "model.embed_tokens.weight" || name == "transformer.wte.weight") && config.pad_token_id >= 0 &&
          config.pad_token_id < p.size(0))
        w[config.pad_token_id].zero_();
      p.copy_(w);
    }
  }
}

}  // namespace eye
