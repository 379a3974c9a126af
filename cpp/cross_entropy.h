// Cross-entropy over rows of logits in one pass per direction (CPU float32/float64):
//   forward   ce_i = logsumexp(x_i) − x_i[t_i]          (lse_i kept for backward)
//   backward  ∂/∂x_i = g_i · (softmax(x_i) − onehot(t_i))
// What torch's cross_entropy does in five passes over [N,V] (log_softmax written out, a zero-filled
// gradient, a scatter, log_softmax_backward reading both) this does in three: read for the forward,
// read + write for the backward. At the demo size the loss was a third of the training step
// (bench/lib/profile_step.sh); see BENCHMARKS.md for the measured step.
#pragma once
#include <torch/torch.h>

namespace eye {

// logits [N,V] (any float dtype, any device), target [N] int64 in [0, V) → ce [N], differentiable
// in `logits`. CPU float32/float64 take the fused kernel; everything else torch's cross_entropy
// (reduction none), which gives the same values. float32 exp is a Cephes-style polynomial (≤ 2 ulp
// on [−87, 88]); float64 uses std::exp. A row holding NaN or ±inf takes std::exp too, so NaN
// propagates as in torch.
torch::Tensor cross_entropy_rows(const torch::Tensor& logits, const torch::Tensor& target);

// log π(t_i | ·) = −ce_i without a graph (the reference pass): the forward pass alone.
torch::Tensor target_logprobs_rows(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace eye
