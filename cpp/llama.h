// Decoder-only transformer of the Llama family (LlamaForCausalLM, Qwen2ForCausalLM), written as a
// torch::nn::Module tree whose parameter names are exactly Hugging Face's
// ("model.layers.0.self_attn.q_proj.weight", ...), so real checkpoints load by name.
// Attention is explicit (libtorch 1.13 has no fused SDPA); on libtorch >= 2 the public
// scaled_dot_product_attention is used when no attention probabilities are requested.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "config.h"
#include "lora.h"  // LoraConfig; the LoRA members of ProjImpl/CausalLMImpl are defined in lora.cpp

namespace eye {

// A linear projection with HF's parameter names ("weight", "bias") and an optional LoRA branch
// y = x·Wᵀ + b + scaling·(drop(x)·Aᵀ)·Bᵀ. The LoRA tensors are not registered as module
// parameters, so the base model's named_parameters() stay exactly HF's; the adapter registry in
// CausalLM names them the PEFT way.
struct ProjImpl : torch::nn::Module {
  // Parameters are created directly in `dtype` (ModelConfig::param_dtype; no float32 staging).
  ProjImpl(int64_t in, int64_t out, bool bias, c10::ScalarType dtype = c10::ScalarType::Float);
  torch::Tensor forward(const torch::Tensor& x);
  // y + scaling·(drop(x)·Aᵀ)·Bᵀ when the adapter is on (cpp/lora.cpp).
  torch::Tensor add_lora_branch(const torch::Tensor& x, const torch::Tensor& y);
  torch::Tensor weight, bias;
  torch::Tensor lora_A, lora_B;  // [r, in], [out, r]; undefined = no adapter
  double lora_scaling = 0, lora_dropout = 0;
  const bool* lora_enabled = nullptr;  // the model's switch (adapters off for reference passes)
  at::Generator* dropout_gen = nullptr;
};
TORCH_MODULE(Proj);

// Per-layer key/value cache for incremental decoding: [B, KV, T_cached, D].
struct KVCache {
  std::vector<torch::Tensor> k, v;
  int64_t length() const { return k.empty() || !k[0].defined() ? 0 : k[0].size(2); }
};

// Which layers' attention probabilities [B,H,T,T] to keep during a forward pass.
struct AttentionCapture {
  std::vector<int64_t> layers;          // empty = none
  std::vector<torch::Tensor> probs;     // filled in the order of `layers`
  bool wants(int64_t layer) const;
};

struct RMSNormImpl : torch::nn::Module {
  RMSNormImpl(int64_t dim, double eps, c10::ScalarType dtype = c10::ScalarType::Float);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

// torch::nn::Embedding / LayerNorm allocate float32 weights in their constructors; these create
// them in the model's dtype directly. HF names: "weight" (and "bias").
struct EmbeddingImpl : torch::nn::Module {
  EmbeddingImpl(int64_t num, int64_t dim, c10::ScalarType dtype);
  torch::Tensor forward(const torch::Tensor& ids);  // ids [..] int64 → [.., dim]
  torch::Tensor weight;                             // [num, dim]
};
TORCH_MODULE(Embedding);

struct LayerNormImpl : torch::nn::Module {
  LayerNormImpl(int64_t dim, double eps, bool bias, c10::ScalarType dtype);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // bias undefined when bias = false
  double eps;
};
TORCH_MODULE(LayerNorm);

struct RotaryEmbedding {
  RotaryEmbedding() = default;
  RotaryEmbedding(const ModelConfig& c);
  // cos, sin of shape [B, 1, T, head_dim] for the given positions [B, T], in `dtype`.
  std::pair<torch::Tensor, torch::Tensor> operator()(const torch::Tensor& positions, torch::ScalarType dtype) const;
  torch::Tensor inv_freq;  // float64 [head_dim/2]; cast per call (f32 for f32/bf16/f16 models, as HF)
};

struct AttentionImpl : torch::nn::Module {
  AttentionImpl(const ModelConfig& c);
  // mask: additive [B,1,Tq,Tk]. With a cache, k/v of the new tokens are appended to (*k_cache,
  // *v_cache) and attention runs over the whole cached sequence.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache = nullptr,
                        torch::Tensor* v_cache = nullptr);
  Proj q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t n_heads, n_kv_heads, head_dim;
};
TORCH_MODULE(Attention);

struct MLPImpl : torch::nn::Module {
  MLPImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  Proj gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(MLP);

struct DecoderLayerImpl : torch::nn::Module {
  DecoderLayerImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache = nullptr,
                        torch::Tensor* v_cache = nullptr);
  Attention self_attn{nullptr};
  MLP mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

// The "model." prefix of HF names.
struct DecoderImpl : torch::nn::Module {
  DecoderImpl(const ModelConfig& c);
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(Decoder);

// GPTBigCode (StarCoder) blocks, with HF's names: transformer.h.N.{ln_1, attn.c_attn, attn.c_proj,
// ln_2, mlp.c_fc, mlp.c_proj}.
struct BigCodeAttentionImpl : torch::nn::Module {
  BigCodeAttentionImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache);
  Proj c_attn{nullptr}, c_proj{nullptr};
  int64_t n_heads, head_dim;
  bool multi_query;
};
TORCH_MODULE(BigCodeAttention);

struct BigCodeMLPImpl : torch::nn::Module {
  BigCodeMLPImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  Proj c_fc{nullptr}, c_proj{nullptr};
  bool tanh_gelu;
};
TORCH_MODULE(BigCodeMLP);

struct BigCodeBlockImpl : torch::nn::Module {
  BigCodeBlockImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask, torch::Tensor* probs_out, torch::Tensor* k_cache,
                        torch::Tensor* v_cache);
  LayerNorm ln_1{nullptr}, ln_2{nullptr};
  BigCodeAttention attn{nullptr};
  BigCodeMLP mlp{nullptr};
};
TORCH_MODULE(BigCodeBlock);

// The "transformer." prefix of GPTBigCode names.
struct BigCodeDecoderImpl : torch::nn::Module {
  BigCodeDecoderImpl(const ModelConfig& c);
  Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
};
TORCH_MODULE(BigCodeDecoder);

struct CausalLMImpl : torch::nn::Module {
  explicit CausalLMImpl(const ModelConfig& c);
  // input_ids [B,T] int64; attention_mask [B,T] (1 = token, 0 = padding) or undefined.
  // Returns logits [B,T,V] in the parameters' dtype.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        AttentionCapture* capture = nullptr);
  // The hidden states after the final norm. With a cache, input_ids are only the new tokens and
  // attention_mask covers cached + new tokens [B, T_cached + T_new].
  torch::Tensor hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask, AttentionCapture* capture,
                       KVCache* cache = nullptr);
  torch::Tensor logits_from_hidden(const torch::Tensor& h);
  // HF initialisation: Linear/Embedding weights ~ N(0, initializer_range), biases 0, norms 1.
  void init_weights(uint64_t seed);

  // LoRA: attaches fresh adapters (A ~ kaiming-uniform as PEFT, B = 0) to the target modules and
  // freezes every base parameter. Adapter tensors are named as PEFT saves them.
  void add_lora(const LoraConfig& lc);
  bool has_lora() const { return !lora_named_.empty(); }
  const LoraConfig& lora_config() const { return lora_; }
  // PEFT names ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight") → tensors.
  const std::vector<std::pair<std::string, torch::Tensor>>& lora_tensors() const { return lora_named_; }
  // Parameters the optimizer updates: the adapters with LoRA, every parameter without.
  std::vector<std::pair<std::string, torch::Tensor>> trainable();
  // Folds the adapters into the base weights (W += scaling·B·A) and removes them.
  void merge_lora();
  // Drops the adapters unmerged (a failed adapter load leaves the model as it was).
  void remove_lora();
  bool lora_enabled = true;  // false = reference pass through the base model (no copies)
  // The LoRA-dropout stream. On the CPU a CPU generator seeded from the LoRA seed (bit-exact
  // runs and resumes); on CUDA a CUDA (Philox) generator seeded from the same seed, so CUDA runs
  // repeat among themselves but draw different masks than the CPU.
  at::Generator dropout_gen;

  // Moves parameters, the RoPE table, adapters and the dropout stream to `d` (engine.h's
  // ModelHandle records it). Every tensor the model creates afterwards is created on device().
  void move_to(torch::Device d);
  torch::Device device() const { return device_; }

  ModelConfig config;
  Decoder model{nullptr};               // Llama/Qwen2
  BigCodeDecoder transformer{nullptr};  // GPTBigCode
  Proj lm_head{nullptr};  // null when tie_word_embeddings
  // The input embedding matrix (tied output projection).
  torch::Tensor& embedding_weight() { return transformer ? transformer->wte->weight : model->embed_tokens->weight; }
  RotaryEmbedding rope;
  std::vector<std::pair<std::string, Proj>> projections;  // HF module path → projection

 private:
  LoraConfig lora_;
  std::vector<std::pair<std::string, torch::Tensor>> lora_named_;
  torch::Device device_ = torch::kCPU;
};

// A fresh generator for `device` seeded with `seed`: a CPU generator on the CPU, otherwise a copy
// of the device's default generator reseeded (so it never disturbs the global stream).
at::Generator make_generator_for(torch::Device device, uint64_t seed);

// RAII: adapters off for the lifetime of the guard (the reference policy of the preference term).
struct LoraOffGuard {
  CausalLMImpl& m;
  bool prev;
  explicit LoraOffGuard(CausalLMImpl& mm) : m(mm), prev(mm.lora_enabled) { m.lora_enabled = false; }
  ~LoraOffGuard() { m.lora_enabled = prev; }
};
TORCH_MODULE(CausalLM);

}  // namespace eye
