// One optimizer step over a group of micro-batches (gradient accumulation): forward, weighted CE,
// backward for each, normalised by the whole group's loss positions so the result equals one big
// batch; then global-norm clipping, the scheduled learning rate and an AdamW update.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adamw.h"
#include "cpu_allocator.h"
#include "batch.h"
#include "llama.h"
#include "schedule.h"

namespace eye {

class ProcessGroup;  // cpp/distributed.h

struct TrainerOptions {
  AdamWOptions adamw;
  Schedule schedule;
  double max_grad_norm = 1.0;       // 0 = no clipping
  bool normalize_by_weights = false;  // L = Σ w·CE / Σ w instead of / N
  bool bf16_autocast = false;       // CPU autocast to bfloat16 for matmuls (opt-in; fp32 master weights)
  // Activation checkpointing per decoder layer (cpp/activation_checkpoint.h): sets the model's
  // gradient_checkpointing flag when the trainer is built (it stays on for the model's lifetime).
  bool gradient_checkpointing = false;
  double gamma = 0.0;               // weight of the token-level preference term (0 = pure weighted SFT)
  double beta = 0.1;                // its temperature
};

struct StepResult {
  double loss = 0;       // the group's total loss L = L_SFT + γ·L_pref (the value differentiated)
  double sft = 0;        // L_SFT
  double pref = 0;       // L_pref (0 when γ = 0 or no sequence has path and non-path tokens)
  double ce = 0;         // plain mean CE over the loss positions (weights 1): the same quantity for every variant
  int64_t pref_sequences = 0;
  double grad_norm = 0;  // global L2 norm of the gradients before clipping
  double lr = 0;         // learning rate used for this step
  int64_t tokens = 0;    // loss positions in the group
  int64_t step = 0;      // optimizer steps done after this one
  // Data-parallel only (0 otherwise): wall seconds this step spent in collectives, and of those in
  // the gradient all-reduce (the rest: the loss denominators and reported scalars).
  double comm_s = 0;
  double grad_allreduce_s = 0;
  bool stopped = false;  // a rank asked to stop: no update was made (step = steps so far)
};

class Trainer {
 public:
  Trainer(CausalLM model, TrainerOptions opts);
  // With a process group attached, `micro_batches` are this rank's share of the global batch and
  // every reported figure (loss, sft, pref, ce, tokens, pref_sequences, grad_norm) is global.
  // `stop`: this rank wants to stop (an interrupt); with a process group the ranks agree on it in
  // the step's first collective and, if any rank asked, none steps (StepResult::stopped), so all
  // stop at the same step. Without one, a stop request returns at once, stopped.
  StepResult step(const std::vector<Batch>& micro_batches, bool stop = false);
  // Data-parallel training: from now on every step normalises its loss over all ranks and sums the
  // trainable gradients across them before clipping and AdamW, which then run identically on every
  // rank. Copies rank 0's trainable weights (and float32 masters) to every rank, and re-takes the
  // frozen reference (full fine-tuning with γ > 0) from them. Only before the first step (attach,
  // then load_state when resuming); throws State otherwise. A collective failure throws Distributed.
  void attach(std::shared_ptr<ProcessGroup> pg);
  ProcessGroup* process_group() const { return pg_.get(); }
  int64_t steps() const { return optimizer_.steps(); }
  // Trainer state for resuming: trainable weights (adapters, or all weights), AdamW moments, step,
  // and the model's LoRA-dropout generator — written atomically (temp file, fsync, rename), so a
  // run killed at any moment resumes from the last complete state. `extra` is caller metadata
  // (e.g. the data position) stored in the file's header.
  void save_state(const std::string& path, const std::map<std::string, std::string>& extra);
  std::map<std::string, std::string> load_state(const std::string& path);
  const TrainerOptions& options() const { return opts_; }
  AdamW& optimizer() { return optimizer_; }

 private:
  CpuCacheReleaser releaser_;  // first: destroyed last, after the optimizer state (cpp/cpu_allocator.h)
  CausalLM model_;
  TrainerOptions opts_;
  std::vector<torch::Tensor> params_;
  AdamW optimizer_;
  CausalLM reference_{nullptr};  // frozen copy of the start for full fine-tuning with γ > 0
  std::shared_ptr<ProcessGroup> pg_;  // data-parallel peers (null: one process)
  uint64_t dropout_seed_ = 0;         // the LoRA-dropout seed at attach (per-rank streams derive from it)

 public:
  const std::vector<torch::Tensor>& params() const { return params_; }
};

// Trainable parameters of a model (adapters with LoRA) and whether each gets weight decay
// (not 1-D: biases, norms).
std::pair<std::vector<torch::Tensor>, std::vector<bool>> trainable_parameters(CausalLMImpl& m);

// A new model with the same config, dtype and parameter values, gradients off.
CausalLM frozen_copy(CausalLMImpl& m);

// log π_ref(x_t|x_<t) [B,T-1]: adapters off when the model has LoRA, else the given reference copy.
torch::Tensor reference_logprobs(CausalLMImpl& m, CausalLMImpl* reference, const Batch& b);

// Global L2 norm of the gradients; scales them by max_norm/(norm+1e-6) when norm > max_norm > 0.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace eye
