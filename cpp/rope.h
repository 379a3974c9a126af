// Rotary position embedding (RoPE) of every type HF implements for the supported families, computed
// as transformers' modeling_rope_utils.py does (inv_freq and the attention factor applied to cos/sin):
//   default, linear, llama3, dynamic (NTK), yarn, longrope — plus partial rotation (Phi-3's
//   partial_rotary_factor: only the first rotary_dim channels of each head are rotated).
// The frequencies are computed in float64 (HF: float32) and cast per call.
//
// Sequence-length dependent types (HF's dynamic_rope_update):
//   dynamic:  inv_freq is recomputed from seq_len = max(position_ids)+1 when that exceeds
//             max_position_embeddings; otherwise the original frequencies are used.
//   longrope: long_factor when seq_len > original_max_position_embeddings, else short_factor.
// Each call is computed as a freshly loaded HF model computes that call (HF's module additionally
// remembers the longest dynamic length it has seen; a later, shorter call above the original length
// would reuse those frequencies in HF). With a KV cache, every step uses its own max position, as
// HF's generation does: keys cached earlier keep the rotation they were computed with (HF likewise
// for dynamic). For longrope the cache is recomputed once at the switch to the long factors
// (cache_rebuild; CausalLMImpl::hidden), as HF's Phi-3 intends.
#pragma once
#include <torch/torch.h>

#include <utility>

#include "config.h"

namespace eye {

struct RotaryEmbedding {
  RotaryEmbedding() = default;
  explicit RotaryEmbedding(const ModelConfig& c);
  // inv_freq [rotary_dim/2] (float64, CPU) and the attention factor for a call whose longest
  // sequence is seq_len = max(position)+1.
  std::pair<torch::Tensor, double> frequencies(int64_t seq_len) const;
  // cos, sin [B, 1, T, rotary_dim] for positions [B, T] (int64), in `dtype`, already multiplied by
  // the attention factor. Undefined tensors when the model has no RoPE.
  std::pair<torch::Tensor, torch::Tensor> operator()(const torch::Tensor& positions, torch::ScalarType dtype) const;
  // Whether a cached generation step must recompute its cache: longrope switches from short to
  // long factors once the sequence exceeds original_max_position_embeddings, and keys cached with
  // the short factors no longer match what the model's forward computes. HF's Phi-3
  // (prepare_inputs_for_generation) drops the cache there — once, when the total length first
  // reaches original_max + 1 while the cache holds at most original_max tokens — meaning to
  // recompute the prefix; the engine recomputes it, so cached generation equals the forward.
  // (transformers 5.18 then feeds only the last token, so its cached generate disagrees with its
  // own forward and no-cache generate; test fixtures use the latter: make_models.py.)
  bool cache_rebuild(int64_t past, int64_t total) const {
    return enabled && s_.type == "longrope" && past > 0 &&
           static_cast<double>(total) >= s_.original_max_position_embeddings + 1 &&
           static_cast<double>(past) <= s_.original_max_position_embeddings;
  }
  bool enabled = false;
  torch::Tensor inv_freq;  // float64 [rotary_dim/2]: the sequence-length independent frequencies
  double attention_factor = 1.0;

 private:
  RopeScaling s_;
  double theta_ = 10000.0, max_pos_ = 2048;
  int64_t dim_ = 0;  // rotary_dim
  torch::Tensor base_inv(double base) const;
};

// x [B, H, T, head_dim] → x with its first cos.size(-1) channels rotated (HF apply_rotary_pos_emb,
// rotate_half convention); the remaining channels pass through.
// On the CPU (float32/float64, unit channel stride) one fused kernel each way (cpp/rope.cpp);
// elsewhere the composite expression below, which is also the tests' reference.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
torch::Tensor apply_rope_composite(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace eye
