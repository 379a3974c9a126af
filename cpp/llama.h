// Decoder-only causal LMs (config.h lists the architectures), written as a torch::nn::Module tree
// whose parameter names are exactly Hugging Face's ("model.layers.0.self_attn.q_proj.weight", ...),
// so real checkpoints load by name. One CausalLM runs every family through its FamilyDecoder
// (the Llama block here; GPTBigCode, StarCoder2, Phi-3 in their own files), so training, loss rows,
// KV-cache generation, attention capture and LoRA (over `projections`) are family-independent.
// Attention is explicit (libtorch 1.13 has no fused SDPA); on libtorch >= 2 the public
// scaled_dot_product_attention is used when no attention probabilities are requested.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "config.h"
#include "rope.h"
#include "lora.h"  // LoraConfig; the LoRA members of ProjImpl/CausalLMImpl are defined in lora.cpp

namespace eye {

// Where new parameters are created: the CPU unless a ParamDeviceScope on this thread says
// otherwise. The meta device (shapes, no storage) lets tensor_names() build a model of any size to
// read its parameter names — PyTorch's `with torch.device("meta")`.
struct ParamDeviceScope {
  explicit ParamDeviceScope(torch::Device d);
  ~ParamDeviceScope();
  ParamDeviceScope(const ParamDeviceScope&) = delete;
  ParamDeviceScope& operator=(const ParamDeviceScope&) = delete;

 private:
  torch::Device prev_;
};
// Options for a new parameter: `dtype` on the scope's device.
torch::TensorOptions param_options(c10::ScalarType dtype);

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
  // The token ids the cache holds [B, T_cached], kept by CausalLMImpl::hidden so it can rebuild the
  // cache where HF does (Phi-3 longrope crossing original_max_position_embeddings). `ids_of` is
  // k[0]'s storage when they were recorded: a cache reordered outside hidden() (beam search) no
  // longer matches its ids, and a rebuild is then refused instead of guessed.
  torch::Tensor ids;
  const void* ids_of = nullptr;
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

// What every layer of one forward pass shares (CausalLMImpl::hidden builds it once per call).
struct LayerInputs {
  torch::Tensor cos, sin;     // [B,1,T,rotary_dim]; undefined without RoPE
  torch::Tensor mask;         // additive [B,1,T,Tk]: causal + padding
  torch::Tensor window_mask;  // the same with the model's sliding window (defined when a layer has one)
  // True when `mask` (and window_mask) block exactly the future for every real-token query: no
  // cache, no left padding (right padding only: padding queries carry no loss and no real query
  // sees a padding key), every sliding window at least the sequence. SDPA then runs with
  // is_causal and no mask (libtorch's flash kernel: no [B,1,T,T] mask read per head).
  bool causal = false;
  const torch::Tensor& mask_for(int64_t window) const { return window > 0 ? window_mask : mask; }
};

// Appends this step's keys/values [B,KV,T,D] to a layer's cache when one is given (k, v become the
// whole cached sequence).
void append_cache(torch::Tensor& k, torch::Tensor& v, torch::Tensor* k_cache, torch::Tensor* v_cache);

// Attention of every family: q [B,H,T,D], k/v [B,KV,Tk,D] (H a multiple of KV; query head h uses
// kv head h / (H/KV), HF repeat_kv order), additive mask [B,1,T,Tk], scores = scale·q·kᵀ.
// Returns [B,T,H·D]. With probs_out the explicit path runs and stores softmax probabilities
// [B,H,T,Tk] there; otherwise libtorch >= 2 uses scaled_dot_product_attention.
// `causal` (LayerInputs::causal): the SDPA path may use is_causal instead of the mask.
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask,
                     double scale, torch::Tensor* probs_out, bool causal = false);

// A family's decoder stack: the module registered under "model." (or "transformer." for
// GPTBigCode) whose parameter names are HF's. CausalLMImpl runs every family through it.
struct FamilyDecoder : torch::nn::Module {
  // Input hidden states [B,T,E] of ids [B,T] at positions [B,T] (GPTBigCode adds learned positions,
  // Granite multiplies by embedding_multiplier).
  virtual torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& positions) = 0;
  // Layer i on h [B,T,E]; k_cache/v_cache: this layer's cache (KVCache), or null.
  virtual torch::Tensor layer(int64_t i, const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                              torch::Tensor* k_cache, torch::Tensor* v_cache) = 0;
  virtual torch::Tensor final_norm(const torch::Tensor& h) = 0;
  virtual torch::Tensor& embedding_weight() = 0;  // [V,E], the tied output projection too
  // Every linear layer as (HF module path, e.g. "model.layers.0.self_attn.q_proj", Proj).
  virtual void list_projections(std::vector<std::pair<std::string, Proj>>& out) = 0;
  virtual const char* root_name() const { return "model"; }
};

// The Llama block, shared by the families that are the Llama block plus named, small deltas
// (each a config flag, read in config.cpp): Llama; Qwen2 (q/k/v biases); Qwen3 (q/k RMSNorm per
// head); Mistral (sliding window); Granite (multipliers); SmolLM3 (layers without RoPE).
struct AttentionImpl : torch::nn::Module {
  AttentionImpl(const ModelConfig& c, int64_t layer);
  // With a cache, k/v of the new tokens are appended and attention runs over the whole sequence.
  torch::Tensor forward(const torch::Tensor& x, const LayerInputs& in, torch::Tensor* probs_out,
                        torch::Tensor* k_cache = nullptr, torch::Tensor* v_cache = nullptr);
  Proj q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};  // Qwen3 only
  int64_t n_heads, n_kv_heads, head_dim, window;
  bool use_rope;
  double scale;  // 1/√head_dim, or Granite's attention_multiplier
};
TORCH_MODULE(Attention);

struct MLPImpl : torch::nn::Module {
  MLPImpl(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  Proj gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(MLP);

struct DecoderLayerImpl : torch::nn::Module {
  DecoderLayerImpl(const ModelConfig& c, int64_t layer);
  torch::Tensor forward(const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                        torch::Tensor* k_cache = nullptr, torch::Tensor* v_cache = nullptr);
  Attention self_attn{nullptr};
  MLP mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  double residual_multiplier;  // Granite (1 elsewhere)
};
TORCH_MODULE(DecoderLayer);

// "model." of the Llama-block families.
struct DecoderImpl : FamilyDecoder {
  explicit DecoderImpl(const ModelConfig& c);
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& positions) override;
  torch::Tensor layer(int64_t i, const torch::Tensor& h, const LayerInputs& in, torch::Tensor* probs_out,
                      torch::Tensor* k_cache, torch::Tensor* v_cache) override;
  torch::Tensor final_norm(const torch::Tensor& h) override { return norm(h); }
  torch::Tensor& embedding_weight() override { return embed_tokens->weight; }
  void list_projections(std::vector<std::pair<std::string, Proj>>& out) override;
  Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
  double embedding_multiplier;
};

// The other families, one file each.
std::shared_ptr<FamilyDecoder> make_bigcode_decoder(const ModelConfig& c);     // bigcode.cpp (GPTBigCode)
std::shared_ptr<FamilyDecoder> make_starcoder2_decoder(const ModelConfig& c);  // starcoder2.cpp
std::shared_ptr<FamilyDecoder> make_phi3_decoder(const ModelConfig& c);        // phi3.cpp

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
  // Module paths LoRA may target (the projections), and every other module path (for PEFT's
  // "target is not a supported module" check; cpp/lora.cpp).
  std::vector<std::string> lora_module_paths() const;
  std::vector<std::string> non_lora_module_paths() const;
  bool lora_enabled = true;  // false = reference pass through the base model (no copies)
  // Activation checkpointing per decoder layer when gradients are recorded (cpp/activation_checkpoint.h).
  bool gradient_checkpointing = false;
  // The LoRA-dropout stream. On the CPU a CPU generator seeded from the LoRA seed (bit-exact
  // runs and resumes); on CUDA a CUDA (Philox) generator seeded from the same seed, so CUDA runs
  // repeat among themselves but draw different masks than the CPU.
  at::Generator dropout_gen;

  // Moves parameters, the RoPE table, adapters and the dropout stream to `d` (engine.h's
  // ModelHandle records it). Every tensor the model creates afterwards is created on device().
  void move_to(torch::Device d);
  torch::Device device() const { return device_; }

  ModelConfig config;
  // The family's decoder stack, registered as "model" (or "transformer" for GPTBigCode).
  std::shared_ptr<FamilyDecoder> decoder;
  Proj lm_head{nullptr};  // null when tie_word_embeddings
  // The input embedding matrix (tied output projection).
  torch::Tensor& embedding_weight() { return decoder->embedding_weight(); }
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
