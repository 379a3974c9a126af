#include "trainer.h"

#include <ATen/autocast_mode.h>

#include "errors.h"
#include "loss.h"

namespace eye {

std::pair<std::vector<torch::Tensor>, std::vector<bool>> trainable_parameters(torch::nn::Module& m) {
  std::vector<torch::Tensor> ps;
  std::vector<bool> decay;
  for (auto& p : m.parameters(true)) {
    if (!p.requires_grad()) continue;
    ps.push_back(p);
    decay.push_back(p.dim() >= 2);
  }
  return {ps, decay};
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard ng;
  double sq = 0;
  for (const auto& p : params)
    if (p.grad().defined()) {
      const double n = p.grad().norm(2).item<double>();
      sq += n * n;
    }
  const double norm = std::sqrt(sq);
  if (max_norm > 0 && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(scale);
  }
  return norm;
}

namespace {

// Thread-local CPU autocast for the duration of a scope (autocast state is per thread).
struct AutocastScope {
  bool on;
  explicit AutocastScope(bool enable) : on(enable) {
    if (on) {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (on) {
      at::autocast::set_cpu_enabled(false);
      at::autocast::clear_cache();
    }
  }
};

}  // namespace

Trainer::Trainer(CausalLM model, TrainerOptions opts)
    : model_(std::move(model)),
      opts_(opts),
      params_(trainable_parameters(*model_).first),
      optimizer_(params_, trainable_parameters(*model_).second, opts.adamw) {}

StepResult Trainer::step(const std::vector<Batch>& micro) {
  if (micro.empty()) fail(ErrorCode::Batch, "a training step needs at least one batch");
  torch::GradMode::set_enabled(true);  // grad mode is thread-local: set it on this worker thread
  model_->train();
  for (const auto& b : micro) validate_batch(b, model_->config.vocab_size);
  int64_t active = 0;
  double wsum = 0;
  for (const auto& b : micro) {
    auto [n, w] = loss_positions(b);
    active += n;
    wsum += w;
  }
  double denom = opts_.normalize_by_weights ? wsum : static_cast<double>(active);
  if (denom <= 0) denom = 1;
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  double total = 0;
  for (const auto& b : micro) {
    torch::Tensor loss;
    {
      AutocastScope ac(opts_.bf16_autocast);
      torch::Tensor logits = model_->forward(b.input_ids, b.attention_mask);
      loss = weighted_ce(logits, b, opts_.normalize_by_weights, denom).loss;
    }
    loss.backward();
    total += loss.item<double>();
  }
  StepResult r;
  r.grad_norm = clip_grad_norm(params_, opts_.max_grad_norm);
  r.lr = opts_.schedule.at(optimizer_.steps());
  optimizer_.step(r.lr);
  r.loss = total;
  r.tokens = active;
  r.step = optimizer_.steps();
  return r;
}

}  // namespace eye
