// The weighted causal-LM loss of METHOD.md §5:
//   L_SFT = Σ_j w_j·CE_j / N   over loss positions j (labels != -100), N = number of them,
//   or, with normalize_by_weights, / Σ_j w_j. All-ones weights give exactly the plain mean CE.
#pragma once
#include <torch/torch.h>

#include "batch.h"

namespace eye {

struct LossOutput {
  torch::Tensor loss;       // scalar, in the logits' float dtype (f32 for half models)
  torch::Tensor token_ce;   // [B,T-1] per-position CE (0 where no loss), detached
  int64_t active = 0;       // loss positions
  double weight_sum = 0;    // Σ w over loss positions
};

// `denominator` > 0 overrides N (gradient accumulation normalises by the whole group's N).
LossOutput weighted_ce(const torch::Tensor& logits, const Batch& b, bool normalize_by_weights, double denominator = 0);

// Loss positions and Σw of a batch, without a forward pass (to normalise accumulated micro-batches).
std::pair<int64_t, double> loss_positions(const Batch& b);

}  // namespace eye
