// One optimizer step over a group of micro-batches (gradient accumulation): forward, weighted CE,
// backward for each, normalised by the whole group's loss positions so the result equals one big
// batch; then global-norm clipping, the scheduled learning rate and an AdamW update.
#pragma once
#include <torch/torch.h>

#include <mutex>
#include <vector>

#include "adamw.h"
#include "batch.h"
#include "llama.h"
#include "schedule.h"

namespace eye {

struct TrainerOptions {
  AdamWOptions adamw;
  Schedule schedule;
  double max_grad_norm = 1.0;       // 0 = no clipping
  bool normalize_by_weights = false;  // L = Σ w·CE / Σ w instead of / N
  bool bf16_autocast = false;       // CPU autocast to bfloat16 for matmuls (opt-in; fp32 master weights)
};

struct StepResult {
  double loss = 0;       // the group's weighted loss (the value that was differentiated)
  double grad_norm = 0;  // global L2 norm of the gradients before clipping
  double lr = 0;         // learning rate used for this step
  int64_t tokens = 0;    // loss positions in the group
  int64_t step = 0;      // optimizer steps done after this one
};

class Trainer {
 public:
  Trainer(CausalLM model, TrainerOptions opts);
  StepResult step(const std::vector<Batch>& micro_batches);
  int64_t steps() const { return optimizer_.steps(); }
  const TrainerOptions& options() const { return opts_; }
  AdamW& optimizer() { return optimizer_; }

 private:
  CausalLM model_;
  TrainerOptions opts_;
  std::vector<torch::Tensor> params_;
  AdamW optimizer_;
};

// Trainable parameters of a model and whether each gets weight decay (not 1-D: biases, norms).
std::pair<std::vector<torch::Tensor>, std::vector<bool>> trainable_parameters(torch::nn::Module& m);

// Global L2 norm of the gradients; scales them by max_norm/(norm+1e-6) when norm > max_norm > 0.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace eye
