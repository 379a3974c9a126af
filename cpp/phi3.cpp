// Phi-3 (HF modeling_phi3.py): the Llama block with fused projections — self_attn.qkv_proj
// ([q | k | v] rows: H·D, KV·D, KV·D) and mlp.gate_up_proj ([gate | up] rows, each
// intermediate_size) — partial rotary embedding (partial_rotary_factor: only the first
// int(head_dim·factor) channels rotate), longrope scaling (rope.cpp) and an optional sliding window
// on every layer. No biases. HF names: model.{embed_tokens, layers.N.{input_layernorm,
// self_attn.{qkv_proj,o_proj}, post_attention_layernorm, mlp.{gate_up_proj,down_proj}}, norm}.
#include <cmath>

#include "llama.h"

namespace eye {

namespace F = torch::nn::functional;

namespace {

struct Phi3AttentionImpl : torch::nn::Module {
  Phi3AttentionImpl(const ModelConfig& c, int64_t layer)
      : n_heads(c.num_attention_heads), n_kv_heads(c.num_key_value_heads), head_dim(c.head_dim),
        window(c.layer_window[static_cast<size_t>(layer)]) {
    qkv_proj = register_module("qkv_proj", Proj(c.hidden_size, (n_heads + 2 * n_kv_heads) * head_dim, false, c.param_dtype));
    o_proj = register_module("o_proj", Proj(n_heads * head_dim, c.hidden_size, false, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& x, const LayerInputs& in, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache) {
    const int64_t B = x.size(0), T = x.size(1), Q = n_heads * head_dim, K = n_kv_heads * head_dim;
    torch::Tensor qkv = qkv_proj(x);
    torch::Tensor q = qkv.narrow(-1, 0, Q).view({B, T, n_heads, head_dim}).transpose(1, 2);
    torch::Tensor k = qkv.narrow(-1, Q, K).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);
    torch::Tensor v = qkv.narrow(-1, Q + K, K).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);
    q = apply_rope(q, in.cos, in.sin);
    k = apply_rope(k, in.cos, in.sin);
    append_cache(k, v, k_cache, v_cache);
    return o_proj(attend(q, k, v, in.mask_for(window), 1.0 / std::sqrt(static_cast<double>(head_dim)), probs_out, in.causal));
  }
  Proj qkv_proj{nullptr}, o_proj{nullptr};
  int64_t n_heads, n_kv_heads, head_dim, window;
};
TORCH_MODULE(Phi3Attention);

struct Phi3MLPImpl : torch::nn::Module {
  explicit Phi3MLPImpl(const ModelConfig& c) : inter(c.intermediate_size) {
    gate_up_proj = register_module("gate_up_proj", Proj(c.hidden_size, 2 * inter, false, c.param_dtype));
    down_proj = register_module("down_proj", Proj(inter, c.hidden_size, false, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor gu = gate_up_proj(x);  // HF: gate, up = chunk(2, dim=-1)
    return down_proj(gu.narrow(-1, inter, inter) * F::silu(gu.narrow(-1, 0, inter)));
  }
  Proj gate_up_proj{nullptr}, down_proj{nullptr};
  int64_t inter;
};
TORCH_MODULE(Phi3MLP);

struct Phi3LayerImpl : torch::nn::Module {
  Phi3LayerImpl(const ModelConfig& c, int64_t layer) {
    self_attn = register_module("self_attn", Phi3Attention(c, layer));
    mlp = register_module("mlp", Phi3MLP(c));
    input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
    post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache) {
    torch::Tensor x = h + self_attn->forward(input_layernorm(h), in, probs_out, k_cache, v_cache);
    return x + mlp->forward(post_attention_layernorm(x));
  }
  Phi3Attention self_attn{nullptr};
  Phi3MLP mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(Phi3Layer);

struct Phi3DecoderImpl : FamilyDecoder {
  explicit Phi3DecoderImpl(const ModelConfig& c) {
    embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(Phi3Layer(c, i));
    norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps, c.param_dtype));
  }
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor&) override { return embed_tokens(ids); }
  torch::Tensor layer(int64_t i, const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                      torch::Tensor* k_cache, torch::Tensor* v_cache) override {
    return layers->ptr<Phi3LayerImpl>(i)->forward(h, in, probs_out, k_cache, v_cache);
  }
  torch::Tensor final_norm(const torch::Tensor& h) override { return norm(h); }
  torch::Tensor& embedding_weight() override { return embed_tokens->weight; }
  void list_projections(std::vector<std::pair<std::string, Proj>>& out) override {
    for (size_t i = 0; i < layers->size(); ++i) {
      auto* L = layers->ptr<Phi3LayerImpl>(i).get();
      const std::string p = "model.layers." + std::to_string(i) + ".";
      out.emplace_back(p + "self_attn.qkv_proj", L->self_attn->qkv_proj);
      out.emplace_back(p + "self_attn.o_proj", L->self_attn->o_proj);
      out.emplace_back(p + "mlp.gate_up_proj", L->mlp->gate_up_proj);
      out.emplace_back(p + "mlp.down_proj", L->mlp->down_proj);
    }
  }
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};

}  // namespace

std::shared_ptr<FamilyDecoder> make_phi3_decoder(const ModelConfig& c) { return std::make_shared<Phi3DecoderImpl>(c); }

}  // namespace eye
