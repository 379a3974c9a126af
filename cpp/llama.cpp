#include "llama.h"

#include "rms_norm.h"

#include "activation_checkpoint.h"
#include "errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace eye {

namespace F = torch::nn::functional;

namespace {
thread_local torch::Device param_device{torch::kCPU};
}  // namespace

ParamDeviceScope::ParamDeviceScope(torch::Device d) : prev_(param_device) { param_device = d; }
ParamDeviceScope::~ParamDeviceScope() { param_device = prev_; }
torch::TensorOptions param_options(c10::ScalarType dtype) { return torch::TensorOptions().dtype(dtype).device(param_device); }

bool AttentionCapture::wants(int64_t layer) const {
  return std::find(layers.begin(), layers.end(), layer) != layers.end();
}

ProjImpl::ProjImpl(int64_t in, int64_t out, bool with_bias, c10::ScalarType dtype) {
  weight = register_parameter("weight", torch::empty({out, in}, param_options(dtype)));
  if (with_bias) bias = register_parameter("bias", torch::zeros({out}, param_options(dtype)));
}

torch::Tensor ProjImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::nn::functional::linear(x, weight, bias.defined() ? bias : torch::Tensor());
  return lora_A.defined() ? add_lora_branch(x, y) : y;  // cpp/lora.cpp
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, c10::ScalarType dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, param_options(dtype)));
}

EmbeddingImpl::EmbeddingImpl(int64_t num, int64_t dim, c10::ScalarType dtype) {
  weight = register_parameter("weight", torch::empty({num, dim}, param_options(dtype)));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return F::embedding(ids, weight); }

LayerNormImpl::LayerNormImpl(int64_t dim, double eps_, bool with_bias, c10::ScalarType dtype) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}, param_options(dtype)));
  if (with_bias) bias = register_parameter("bias", torch::zeros({dim}, param_options(dtype)));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {weight.size(0)}, weight, bias.defined() ? bias : torch::Tensor(), eps);
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) { return rms_norm(x, weight, eps); }  // cpp/rms_norm.h

namespace {

// Whether autocast is on for this device type on this thread (the API changed in libtorch 2.4).
bool autocast_active(torch::DeviceType type) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(type);
#else
  return type == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

}  // namespace

void append_cache(torch::Tensor& k, torch::Tensor& v, torch::Tensor* k_cache, torch::Tensor* v_cache) {
  if (!k_cache) return;
  if (k_cache->defined()) {
    k = torch::cat({*k_cache, k}, 2);
    v = torch::cat({*v_cache, v}, 2);
  }
  *k_cache = k;
  *v_cache = v;
}

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k_in, const torch::Tensor& v_in, const torch::Tensor& mask,
                     double scale, torch::Tensor* probs_out, bool causal) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k_in.size(1), Tk = k_in.size(2), Dv = v_in.size(3);
  const int64_t rep = H / KV;
  torch::Tensor out;
#if TORCH_VERSION_MAJOR >= 2
  const bool default_scale = std::abs(scale - 1.0 / std::sqrt(static_cast<double>(D))) < 1e-15 * scale;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  const bool sdpa_ok = true;
#else
  const bool sdpa_ok = default_scale;  // no `scale` argument before 2.1
#endif
  if (!probs_out && sdpa_ok) {
    torch::Tensor k = k_in, v = v_in;
    if (rep > 1) {
      k = k.repeat_interleave(rep, 1);
      v = v.repeat_interleave(rep, 1);
    }
    // An undefined tensor is not "no mask" to SDPA: it needs an empty optional.
    const c10::optional<torch::Tensor> m = causal ? c10::optional<torch::Tensor>() : c10::optional<torch::Tensor>(mask);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
    out = at::scaled_dot_product_attention(q, k, v, m, 0.0, causal, default_scale ? c10::optional<double>() : scale);
#else
    out = at::scaled_dot_product_attention(q, k, v, m, 0.0, causal);
#endif
  }
#endif
  if (!out.defined()) {
    // Grouped-query attention without copying K/V: the rep query heads of one kv head stack into
    // one [rep*T, D] matrix per kv head.
    torch::Tensor qg = q.reshape({B, KV, rep * T, D});
    torch::Tensor scores = torch::matmul(qg, k_in.transpose(-2, -1)).view({B, H, T, Tk});
    scores = scores * scale + mask;
    // Softmax in float32 for half types (as HF), then back.
    const bool half = scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kFloat16;
    torch::Tensor probs = half ? torch::softmax(scores, -1, torch::kFloat32).to(scores.scalar_type())
                               : torch::softmax(scores, -1);
    if (probs_out) *probs_out = probs;
    out = torch::matmul(probs.view({B, KV, rep * T, Tk}), v_in).view({B, H, T, Dv});
  }
  return out.transpose(1, 2).reshape({B, T, H * Dv});
}

AttentionImpl::AttentionImpl(const ModelConfig& c, int64_t layer)
    : n_heads(c.num_attention_heads), n_kv_heads(c.num_key_value_heads), head_dim(c.head_dim),
      window(c.layer_window.empty() ? 0 : c.layer_window[static_cast<size_t>(layer)]),
      use_rope(c.uses_rope() && (c.layer_rope.empty() || c.layer_rope[static_cast<size_t>(layer)])),
      scale(c.attention_multiplier >= 0 ? c.attention_multiplier : 1.0 / std::sqrt(static_cast<double>(c.head_dim))) {
  const bool qkv_bias = c.attention_bias || c.qkv_bias;
  const auto dt = c.param_dtype;
  q_proj = register_module("q_proj", Proj(c.hidden_size, n_heads * head_dim, qkv_bias, dt));
  k_proj = register_module("k_proj", Proj(c.hidden_size, n_kv_heads * head_dim, qkv_bias, dt));
  v_proj = register_module("v_proj", Proj(c.hidden_size, n_kv_heads * head_dim, qkv_bias, dt));
  o_proj = register_module("o_proj", Proj(n_heads * head_dim, c.hidden_size, c.attention_bias, dt));
  if (c.qk_norm) {
    // Qwen3: RMSNorm over each head's channels, before RoPE (modeling_qwen3.Qwen3Attention).
    q_norm = register_module("q_norm", RMSNorm(head_dim, c.rms_norm_eps, dt));
    k_norm = register_module("k_norm", RMSNorm(head_dim, c.rms_norm_eps, dt));
  }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const LayerInputs& in, torch::Tensor* probs_out,
                                     torch::Tensor* k_cache, torch::Tensor* v_cache) {
  const int64_t B = x.size(0), T = x.size(1);
  torch::Tensor q = q_proj(x).view({B, T, n_heads, head_dim});
  torch::Tensor k = k_proj(x).view({B, T, n_kv_heads, head_dim});
  if (q_norm) {
    q = q_norm(q);
    k = k_norm(k);
  }
  q = q.transpose(1, 2);  // [B,H,T,D]
  k = k.transpose(1, 2);  // [B,KV,T,D]
  torch::Tensor v = v_proj(x).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);
  if (use_rope) {
    q = apply_rope(q, in.cos, in.sin);
    k = apply_rope(k, in.cos, in.sin);
  }
  append_cache(k, v, k_cache, v_cache);
  return o_proj(attend(q, k, v, in.mask_for(window), scale, probs_out, in.causal));
}

MLPImpl::MLPImpl(const ModelConfig& c) {
  auto lin = [&](int64_t i, int64_t o) { return Proj(i, o, c.mlp_bias, c.param_dtype); };
  gate_proj = register_module("gate_proj", lin(c.hidden_size, c.intermediate_size));
  up_proj = register_module("up_proj", lin(c.hidden_size, c.intermediate_size));
  down_proj = register_module("down_proj", lin(c.intermediate_size, c.hidden_size));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) { return down_proj(F::silu(gate_proj(x)) * up_proj(x)); }

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c, int64_t layer) : residual_multiplier(c.residual_multiplier) {
  self_attn = register_module("self_attn", Attention(c, layer));
  mlp = register_module("mlp", MLP(c));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                                        torch::Tensor* k_cache, torch::Tensor* v_cache) {
  torch::Tensor a = self_attn->forward(input_layernorm(h), in, probs_out, k_cache, v_cache);
  torch::Tensor x = residual_multiplier == 1.0 ? h + a : h + a * residual_multiplier;  // Granite
  torch::Tensor m = mlp->forward(post_attention_layernorm(x));
  return residual_multiplier == 1.0 ? x + m : x + m * residual_multiplier;
}

DecoderImpl::DecoderImpl(const ModelConfig& c) : embedding_multiplier(c.embedding_multiplier) {
  embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c, i));
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
}

torch::Tensor DecoderImpl::embed(const torch::Tensor& ids, const torch::Tensor&) {
  torch::Tensor h = embed_tokens(ids);
  return embedding_multiplier == 1.0 ? h : h * embedding_multiplier;  // Granite
}

torch::Tensor DecoderImpl::layer(int64_t i, const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                                 torch::Tensor* k_cache, torch::Tensor* v_cache) {
  return layers->ptr<DecoderLayerImpl>(i)->forward(h, in, probs_out, k_cache, v_cache);
}

void DecoderImpl::list_projections(std::vector<std::pair<std::string, Proj>>& out) {
  for (size_t i = 0; i < layers->size(); ++i) {
    auto* L = layers->ptr<DecoderLayerImpl>(i).get();
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.emplace_back(p + "self_attn.q_proj", L->self_attn->q_proj);
    out.emplace_back(p + "self_attn.k_proj", L->self_attn->k_proj);
    out.emplace_back(p + "self_attn.v_proj", L->self_attn->v_proj);
    out.emplace_back(p + "self_attn.o_proj", L->self_attn->o_proj);
    out.emplace_back(p + "mlp.gate_proj", L->mlp->gate_proj);
    out.emplace_back(p + "mlp.up_proj", L->mlp->up_proj);
    out.emplace_back(p + "mlp.down_proj", L->mlp->down_proj);
  }
}

CausalLMImpl::CausalLMImpl(const ModelConfig& c) : config(c), rope(c) {
  const std::string& mt = c.model_type;
  std::shared_ptr<FamilyDecoder> d = mt == "gpt_bigcode"  ? make_bigcode_decoder(c)
                                     : mt == "starcoder2" ? make_starcoder2_decoder(c)
                                     : mt == "phi3"       ? make_phi3_decoder(c)
                                                          : std::make_shared<DecoderImpl>(c);
  decoder = register_module(d->root_name(), d);
  if (!c.tie_word_embeddings) lm_head = register_module("lm_head", Proj(c.hidden_size, c.vocab_size, false, c.param_dtype));
  decoder->list_projections(projections);
  for (auto& pr : projections) pr.second->lora_enabled = &lora_enabled;
}

torch::Tensor CausalLMImpl::hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                   AttentionCapture* capture, KVCache* cache) {
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  const int64_t past = cache ? cache->length() : 0;
  const int64_t Tk = past + T;
  if (cache) {
    const bool ids_valid = past == 0 || (cache->ids.defined() && cache->ids_of == cache->k[0].data_ptr() &&
                                         cache->ids.size(0) == B && cache->ids.size(1) == past);
    if (rope.cache_rebuild(past, Tk)) {
      // HF Phi-3: at the switch to the long factors the whole prefix is recomputed (rope.h).
      if (!ids_valid)
        fail(ErrorCode::State, "this longrope (Phi-3) model needs to recompute its KV cache at position " +
                                   std::to_string(Tk) + " but the cache was reordered (beam search): use greedy "
                                   "generation or generation without the cache");
      torch::Tensor all = torch::cat({cache->ids, input_ids}, 1);
      KVCache fresh;
      torch::Tensor h = hidden(all, attention_mask, capture, &fresh);
      *cache = std::move(fresh);
      if (capture)
        for (auto& p : capture->probs) p = p.narrow(2, past, T);
      return h.narrow(1, past, T);
    }
    cache->ids = ids_valid && past > 0 ? torch::cat({cache->ids, input_ids}, 1) : (past == 0 ? input_ids : torch::Tensor());
  }
  const auto opts64 = torch::TensorOptions().dtype(torch::kInt64).device(input_ids.device());
  // Positions count real tokens only, so left-padded prompts get the same positions as unpadded ones.
  torch::Tensor positions = attention_mask.defined()
                                ? (attention_mask.to(torch::kInt64).cumsum(-1) - 1).clamp_min(0).narrow(1, past, T)
                                : torch::arange(past, Tk, opts64).unsqueeze(0).expand({B, T});
  torch::Tensor h = decoder->embed(input_ids, positions);
  const auto dtype = h.scalar_type();
  LayerInputs in;
  std::tie(in.cos, in.sin) = rope(positions, dtype);
  // Additive mask [B,1,T,Tk]: query i (absolute index past+i) sees keys ≤ past+i that are not
  // padding; with a sliding window w also only keys > past+i-w (HF sliding_window_overlay; indices,
  // not positions, as HF's cache positions). The lowest finite value (not -inf) keeps rows of
  // padding queries finite; they carry no loss. Under autocast, SDPA may receive the mask cast to
  // bf16/f16, where float's lowest overflows to -inf (NaN rows): -1e30 then, as for half models.
  const bool f32_mask = dtype == torch::kFloat32 && !autocast_active(h.device().type());
  const double lowest = dtype == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                        : f32_mask               ? static_cast<double>(std::numeric_limits<float>::lowest())
                                                 : -1e30;
  auto bool_opts = torch::TensorOptions().dtype(torch::kBool).device(h.device());
  torch::Tensor blocked = torch::ones({T, Tk}, bool_opts).triu(past + 1).view({1, 1, T, Tk});
  torch::Tensor pad = attention_mask.defined() ? (attention_mask == 0).view({B, 1, 1, Tk}) : torch::Tensor();
  if (pad.defined()) blocked = blocked | pad;
  in.mask = torch::zeros(blocked.sizes(), h.options()).masked_fill(blocked, lowest);
  int64_t window = 0, min_window = 0;
  for (int64_t w : config.layer_window) {
    window = std::max(window, w);
    if (w > 0) min_window = min_window == 0 ? w : std::min(min_window, w);
  }
  // Right padding only (no 0 → 1 step along a row): the causal mask alone is exact for every real
  // token (one host read of the mask per forward).
  const bool right_padded =
      !pad.defined() || Tk < 2 ||
      !(attention_mask.narrow(1, 1, Tk - 1).to(torch::kInt32) > attention_mask.narrow(1, 0, Tk - 1).to(torch::kInt32))
           .any()
           .item<bool>();
  in.causal = past == 0 && !cache && right_padded && (min_window == 0 || Tk <= min_window);
  if (window > 0) {
    torch::Tensor wb = blocked | torch::ones({T, Tk}, bool_opts).tril(past - window).view({1, 1, T, Tk});
    in.window_mask = torch::zeros(wb.sizes(), h.options()).masked_fill(wb, lowest);
  }
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
    if (gradient_checkpointing && !want && !cache && torch::GradMode::is_enabled()) {
      // The backward recomputes the layer: capture what it reads by value.
      auto dec = decoder;
      auto run = [dec, in, i](const torch::Tensor& x) { return dec->layer(i, x, in, nullptr, nullptr, nullptr); };
      h = checkpointed_layer(run, h, &dropout_gen, h.device().type());
      continue;
    }
    h = decoder->layer(i, h, in, want ? &probs : nullptr, kc, vc);
    if (want) capture->probs.push_back(probs);
  }
  if (cache) cache->ids_of = cache->k[0].data_ptr();
  return decoder->final_norm(h);
}

torch::Tensor CausalLMImpl::logits_from_hidden(const torch::Tensor& h) {
  torch::Tensor logits = lm_head ? lm_head(h) : torch::matmul(h, embedding_weight().t());
  return config.logits_scaling == 1.0 ? logits : logits / config.logits_scaling;  // Granite
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
      const bool residual_out = config.model_type == "gpt_bigcode" && name.find(".c_proj.weight") != std::string::npos;
      w.normal_(0.0, residual_out ? std / std::sqrt(2.0 * config.num_hidden_layers) : std, gen);
      if ((name == "model.embed_tokens.weight" || name == "transformer.wte.weight") && config.pad_token_id >= 0 &&
          config.pad_token_id < p.size(0))
        w[config.pad_token_id].zero_();
      p.copy_(w);
    }
  }
}

}  // namespace eye
