// StarCoder2 (HF modeling_starcoder2.py): the Llama layout with LayerNorm (with bias, norm_epsilon)
// instead of RMSNorm, biases on every projection (use_bias), a plain GELU MLP
// (mlp.c_fc → gelu_pytorch_tanh → mlp.c_proj) and an optional sliding window on every layer.
// HF names: model.{embed_tokens, layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
// post_attention_layernorm, mlp.{c_fc,c_proj}}, norm}. (residual/embedding dropout: config.cpp.)
#include <cmath>

#include "llama.h"

namespace eye {

namespace {

struct Starcoder2AttentionImpl : torch::nn::Module {
  Starcoder2AttentionImpl(const ModelConfig& c, int64_t layer)
      : n_heads(c.num_attention_heads), n_kv_heads(c.num_key_value_heads), head_dim(c.head_dim),
        window(c.layer_window[static_cast<size_t>(layer)]) {
    const bool b = c.attention_bias;
    const auto dt = c.param_dtype;
    q_proj = register_module("q_proj", Proj(c.hidden_size, n_heads * head_dim, b, dt));
    k_proj = register_module("k_proj", Proj(c.hidden_size, n_kv_heads * head_dim, b, dt));
    v_proj = register_module("v_proj", Proj(c.hidden_size, n_kv_heads * head_dim, b, dt));
    o_proj = register_module("o_proj", Proj(n_heads * head_dim, c.hidden_size, b, dt));
  }
  torch::Tensor forward(const torch::Tensor& x, const LayerInputs& in, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache) {
    const int64_t B = x.size(0), T = x.size(1);
    torch::Tensor q = apply_rope(q_proj(x).view({B, T, n_heads, head_dim}).transpose(1, 2), in.cos, in.sin);
    torch::Tensor k = apply_rope(k_proj(x).view({B, T, n_kv_heads, head_dim}).transpose(1, 2), in.cos, in.sin);
    torch::Tensor v = v_proj(x).view({B, T, n_kv_heads, head_dim}).transpose(1, 2);
    append_cache(k, v, k_cache, v_cache);
    return o_proj(attend(q, k, v, in.mask_for(window), 1.0 / std::sqrt(static_cast<double>(head_dim)), probs_out, in.causal));
  }
  Proj q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t n_heads, n_kv_heads, head_dim, window;
};
TORCH_MODULE(Starcoder2Attention);

struct Starcoder2MLPImpl : torch::nn::Module {
  explicit Starcoder2MLPImpl(const ModelConfig& c) : tanh_gelu(c.hidden_act == "gelu_pytorch_tanh") {
    c_fc = register_module("c_fc", Proj(c.hidden_size, c.intermediate_size, c.mlp_bias, c.param_dtype));
    c_proj = register_module("c_proj", Proj(c.intermediate_size, c.hidden_size, c.mlp_bias, c.param_dtype));
  }
  torch::Tensor forward(const torch::Tensor& x) { return c_proj(torch::gelu(c_fc(x), tanh_gelu ? "tanh" : "none")); }
  Proj c_fc{nullptr}, c_proj{nullptr};
  bool tanh_gelu;
};
TORCH_MODULE(Starcoder2MLP);

struct Starcoder2LayerImpl : torch::nn::Module {
  Starcoder2LayerImpl(const ModelConfig& c, int64_t layer) {
    input_layernorm = register_module("input_layernorm", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
    self_attn = register_module("self_attn", Starcoder2Attention(c, layer));
    post_attention_layernorm =
        register_module("post_attention_layernorm", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
    mlp = register_module("mlp", Starcoder2MLP(c));
  }
  torch::Tensor forward(const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache) {
    torch::Tensor x = h + self_attn->forward(input_layernorm(h), in, probs_out, k_cache, v_cache);
    return x + mlp->forward(post_attention_layernorm(x));
  }
  LayerNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Starcoder2Attention self_attn{nullptr};
  Starcoder2MLP mlp{nullptr};
};
TORCH_MODULE(Starcoder2Layer);

struct Starcoder2DecoderImpl : FamilyDecoder {
  explicit Starcoder2DecoderImpl(const ModelConfig& c) {
    embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden_size, c.param_dtype));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(Starcoder2Layer(c, i));
    norm = register_module("norm", LayerNorm(c.hidden_size, c.layer_norm_epsilon, true, c.param_dtype));
  }
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor&) override { return embed_tokens(ids); }
  torch::Tensor layer(int64_t i, const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                      torch::Tensor* k_cache, torch::Tensor* v_cache) override {
    return layers->ptr<Starcoder2LayerImpl>(i)->forward(h, in, probs_out, k_cache, v_cache);
  }
  torch::Tensor final_norm(const torch::Tensor& h) override { return norm(h); }
  torch::Tensor& embedding_weight() override { return embed_tokens->weight; }
  void list_projections(std::vector<std::pair<std::string, Proj>>& out) override {
    for (size_t i = 0; i < layers->size(); ++i) {
      auto* L = layers->ptr<Starcoder2LayerImpl>(i).get();
      const std::string p = "model.layers." + std::to_string(i) + ".";
      out.emplace_back(p + "self_attn.q_proj", L->self_attn->q_proj);
      out.emplace_back(p + "self_attn.k_proj", L->self_attn->k_proj);
      out.emplace_back(p + "self_attn.v_proj", L->self_attn->v_proj);
      out.emplace_back(p + "self_attn.o_proj", L->self_attn->o_proj);
      out.emplace_back(p + "mlp.c_fc", L->mlp->c_fc);
      out.emplace_back(p + "mlp.c_proj", L->mlp->c_proj);
    }
  }
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  LayerNorm norm{nullptr};
};

}  // namespace

std::shared_ptr<FamilyDecoder> make_starcoder2_decoder(const ModelConfig& c) {
  return std::make_shared<Starcoder2DecoderImpl>(c);
}

}  // namespace eye
