// RMSNorm, y = w ⊙ x / sqrt(mean(x²) + eps) over the last dimension (Zhang & Sennrich 2019; HF's
// LlamaRMSNorm and its relatives in every Llama-like family).
#pragma once
#include <torch/torch.h>

namespace eye {

// x [..., D], weight [D] → [..., D] in x's dtype.
// Half types (bf16/fp16) are normalised in float32 and rounded back, as HF does (the variance
// underflows in bf16); float32/float64 stay in their dtype (float64 models stay float64 for the
// finite-difference tests).
// On the CPU, float32/float64 run one fused kernel forward and one backward (a custom autograd
// function: two passes over x instead of ~6 ATen kernels forward and ~10 backward; the sum of
// squares accumulates in float64). Elsewhere — CUDA, half types — the composite ATen expression.
// The weight's gradient is reduced over fixed 32-row blocks, so it is bit-identical for any
// thread count (bit-exact resume across machines with different core counts).
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// The composite expression (HF's order of operations), also the reference the tests compare with.
torch::Tensor rms_norm_composite(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace eye
