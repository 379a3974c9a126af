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
  torch::Tensor ce;         // the same with its graph: −ce is log π(x_t|x_<t), reused by the preference term
  int64_t active = 0;       // loss positions
  double weight_sum = 0;    // Σ w over loss positions
};

// `denominator` > 0 overrides N (gradient accumulation normalises by the whole group's N).
LossOutput weighted_ce(const torch::Tensor& logits, const Batch& b, bool normalize_by_weights, double denominator = 0);

// The loss positions of a batch as rows: training computes the vocabulary projection and the
// log-softmax only there (a fraction of all positions: e.g. 38% in the demo, and far less memory
// than [B,T,V] logits for a 128k vocabulary).
struct LossRows {
  torch::Tensor idx;     // [N] int64: flat indices into [B*(T-1)] of the active targets
  torch::Tensor target;  // [N] int64: their labels
  int64_t B = 0, Tm1 = 0;
};
LossRows loss_rows(const Batch& b);
// The hidden states [B,T,D] of the positions that predict the rows: [N,D].
torch::Tensor predicting_hidden(const torch::Tensor& h, const LossRows& r);
// weighted_ce from the rows' logits [N,V]; `ce`/`token_ce` are scattered back to [B,T-1].
LossOutput weighted_ce_rows(const torch::Tensor& row_logits, const LossRows& r, const Batch& b, bool normalize_by_weights,
                            double denominator = 0);
// token_logprobs from the rows' logits, scattered back to [B,T-1] (0 elsewhere).
torch::Tensor token_logprobs_rows(const torch::Tensor& row_logits, const LossRows& r);

// log π(x_t | x_<t) for every position predicted in the batch: [B, T-1] (0 where labels = -100).
torch::Tensor token_logprobs(const torch::Tensor& logits, const Batch& b);

/** [B, T-1] bool: targets that carry loss — label ≠ −100 and the predicting position is not padding. */
torch::Tensor active_targets(const Batch& b);

// The token-level preference term of METHOD.md §5: r_j = log π − log π_ref on loss positions,
// L_pref = −log σ(β·(mean_{j∈P̃} r_j − mean_{j∉P̃} r_j)) per sequence. Sequences without path or
// without non-path loss tokens have no preference term. Returns the SUM over sequences divided by
// `denominator` (the number of sequences with a term in the whole accumulation group; 0 = this
// batch's count), so accumulated micro-batches equal one big batch.
struct PrefOutput {
  torch::Tensor loss;   // scalar
  int64_t sequences = 0;  // counted only when `denominator` is 0 (a host read); else left 0
};
PrefOutput preference_loss(const torch::Tensor& policy_logp, const torch::Tensor& ref_logp, const Batch& b, double beta,
                           double denominator = 0);
// Sequences of a batch that have both path and non-path loss tokens.
int64_t preference_sequences(const Batch& b);

// Loss positions and Σw of a batch, without a forward pass (to normalise accumulated micro-batches).
std::pair<int64_t, double> loss_positions(const Batch& b);

}  // namespace eye
