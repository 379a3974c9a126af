// Decoder-only transformer of the Llama family (LlamaForCausalLM, Qwen2ForCausalLM), written as a
// torch::nn::Module tree whose parameter names are exactly Hugging Face's
// ("model.layers.0.self_attn.q_proj.weight", ...), so real checkpoints load by name.
// Attention is explicit (libtorch 1.13 has no fused SDPA); on libtorch >= 2 the public
// scaled_dot_product_attention is used when no attention probabilities are requested.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "config.h"

namespace eye {

// Which layers' attention probabilities [B,H,T,T] to keep during a forward pass.
struct AttentionCapture {
  std::vector<int64_t> layers;          // empty = none
  std::vector<torch::Tensor> probs;     // filled in the order of `layers`
  bool wants(int64_t layer) const;
};

struct RMSNormImpl : torch::nn::Module {
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

struct RotaryEmbedding {
  RotaryEmbedding() = default;
  RotaryEmbedding(const ModelConfig& c);
  // cos, sin of shape [B, 1, T, head_dim] for the given positions [B, T], in `dtype`.
  std::pair<torch::Tensor, torch::Tensor> operator()(const torch::Tensor& positions, torch::ScalarType dtype) const;
  torch::Tensor inv_freq;  // float64 [head_dim/2]; cast per call (f32 for f32/bf16/f16 models, as HF)
};

struct AttentionImpl : torch::nn::Module {
  AttentionImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, torch::Tensor* probs_out);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t n_heads, n_kv_heads, head_dim;
};
TORCH_MODULE(Attention);

struct MLPImpl : torch::nn::Module {
  MLPImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(MLP);

struct DecoderLayerImpl : torch::nn::Module {
  DecoderLayerImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, torch::Tensor* probs_out);
  Attention self_attn{nullptr};
  MLP mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

// The "model." prefix of HF names.
struct DecoderImpl : torch::nn::Module {
  DecoderImpl(const ModelConfig& c);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(Decoder);

struct CausalLMImpl : torch::nn::Module {
  explicit CausalLMImpl(const ModelConfig& c);
  // input_ids [B,T] int64; attention_mask [B,T] (1 = token, 0 = padding) or undefined.
  // Returns logits [B,T,V] in the parameters' dtype.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        AttentionCapture* capture = nullptr);
  // The hidden states after the final norm (for callers that want to avoid the vocab projection).
  torch::Tensor hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask, AttentionCapture* capture);
  torch::Tensor logits_from_hidden(const torch::Tensor& h);
  // HF initialisation: Linear/Embedding weights ~ N(0, initializer_range), biases 0, norms 1.
  void init_weights(uint64_t seed);

  ModelConfig config;
  Decoder model{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tie_word_embeddings
  RotaryEmbedding rope;
};
TORCH_MODULE(CausalLM);

}  // namespace eye
