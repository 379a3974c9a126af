#include "loss.h"

#include "cross_entropy.h"
#include "errors.h"

namespace eye {

void validate_batch(const Batch& b, int64_t vocab) {
  auto need2d = [](const torch::Tensor& t, const char* field) {
    if (t.dim() != 2) fail(ErrorCode::Batch, std::string("batch.") + field + " must be [batch, seq]");
  };
  if (!b.input_ids.defined()) fail(ErrorCode::Batch, "batch.input_ids is required");
  need2d(b.input_ids, "input_ids");
  const auto sz = b.input_ids.sizes();
  if (sz[1] < 2) fail(ErrorCode::Batch, "batch.input_ids needs at least 2 positions per row (shifted loss)");
  auto same = [&](const torch::Tensor& t, const char* field) {
    if (t.defined() && t.sizes() != sz)
      fail(ErrorCode::Batch, std::string("batch.") + field + " must have the shape of input_ids");
  };
  same(b.labels, "labels");
  same(b.weights, "weights");
  same(b.attention_mask, "attention_mask");
  same(b.path_mask, "path_mask");
  if (!b.labels.defined()) fail(ErrorCode::Batch, "batch.labels is required");
  if (b.input_ids.numel() > 0) {
    const int64_t lo = b.input_ids.min().item<int64_t>(), hi = b.input_ids.max().item<int64_t>();
    if (lo < 0 || hi >= vocab)
      fail(ErrorCode::Batch, "batch.input_ids holds id " + std::to_string(lo < 0 ? lo : hi) + " outside the vocabulary [0, " +
                                 std::to_string(vocab) + ")");
    torch::Tensor bad = (b.labels != -100) & ((b.labels < 0) | (b.labels >= vocab));
    if (bad.any().item<bool>())
      fail(ErrorCode::Batch, "batch.labels holds an id outside the vocabulary (use -100 for no loss)");
  }
  if (b.weights.defined()) {
    if (!torch::isfinite(b.weights).all().item<bool>()) fail(ErrorCode::Batch, "batch.weights holds NaN or infinity");
    if ((b.weights < 0).any().item<bool>()) fail(ErrorCode::Batch, "batch.weights holds a negative weight");
  }
}

torch::Tensor active_targets(const Batch& b) {
  const int64_t T = b.labels.size(1);
  torch::Tensor active = b.labels.narrow(1, 1, T - 1) != -100;
  // The logits at a padding position (attention_mask 0) predict nothing: with left padding the
  // first real token's label sits after a pad whose attention row is fully masked, and kernels
  // disagree on what such a row holds (CPU math vs CUDA SDPA). No loss is ever taken there.
  if (b.attention_mask.defined()) active = active & (b.attention_mask.narrow(1, 0, T - 1) != 0);
  return active;
}

std::pair<int64_t, double> loss_positions(const Batch& b) {
  torch::Tensor active = active_targets(b);
  const int64_t n = active.sum().item<int64_t>();
  double ws = static_cast<double>(n);
  if (b.weights.defined())
    ws = (b.weights.narrow(1, 1, b.weights.size(1) - 1).to(torch::kFloat64) * active).sum().item<double>();
  return {n, ws};
}

torch::Tensor token_logprobs(const torch::Tensor& logits, const Batch& b) {
  const int64_t T = logits.size(1);
  torch::Tensor lg = logits.narrow(1, 0, T - 1);
  if (lg.scalar_type() != torch::kFloat64) lg = lg.to(torch::kFloat32);
  torch::Tensor target = b.labels.narrow(1, 1, T - 1);
  torch::Tensor active = active_targets(b);
  torch::Tensor lp = torch::log_softmax(lg, -1).gather(-1, target.clamp_min(0).unsqueeze(-1)).squeeze(-1);
  // where, not a product: a masked position's value may be NaN on some kernels, and NaN·0 = NaN.
  return torch::where(active, lp, torch::zeros_like(lp));
}

namespace {
std::pair<torch::Tensor, torch::Tensor> path_split(const Batch& b) {
  const int64_t T = b.labels.size(1);
  torch::Tensor active = active_targets(b);
  torch::Tensor path = b.path_mask.defined() ? (b.path_mask.narrow(1, 1, T - 1).to(torch::kBool) & active)
                                             : torch::zeros_like(active);
  return {path, active & ~path};
}
}  // namespace

int64_t preference_sequences(const Batch& b) {
  auto [path, non] = path_split(b);
  return ((path.sum(1) > 0) & (non.sum(1) > 0)).sum().item<int64_t>();
}

PrefOutput preference_loss(const torch::Tensor& policy_logp, const torch::Tensor& ref_logp, const Batch& b, double beta,
                           double denominator) {
  auto [path, non] = path_split(b);
  const auto dt = policy_logp.scalar_type();
  torch::Tensor r = policy_logp - ref_logp;
  torch::Tensor np = path.sum(1), nn = non.sum(1);
  torch::Tensor valid = (np > 0) & (nn > 0);
  torch::Tensor mean_p = (r * path.to(dt)).sum(1) / np.clamp_min(1).to(dt);
  torch::Tensor mean_n = (r * non.to(dt)).sum(1) / nn.clamp_min(1).to(dt);
  torch::Tensor per_seq = -torch::log_sigmoid(beta * (mean_p - mean_n));
  PrefOutput out;
  // A caller that passes the denominator (the trainer: counted for the whole step beforehand)
  // gets no count here, and the step no host read per micro-batch.
  double denom = denominator;
  if (denominator <= 0) {
    out.sequences = valid.sum().item<int64_t>();
    denom = out.sequences > 0 ? static_cast<double>(out.sequences) : 1;
  }
  out.loss = (per_seq * valid.to(dt)).sum() / denom;
  return out;
}

LossOutput weighted_ce(const torch::Tensor& logits, const Batch& b, bool normalize_by_weights, double denominator) {
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  // CE in float32 at least: bf16 log-softmax over a large vocabulary loses too much.
  torch::Tensor lg = logits.narrow(1, 0, T - 1);
  if (lg.scalar_type() != torch::kFloat64) lg = lg.to(torch::kFloat32);
  torch::Tensor on = active_targets(b).reshape({-1});
  torch::Tensor target = torch::where(on, b.labels.narrow(1, 1, T - 1).reshape({-1}), torch::full_like(on, -100, torch::kInt64));
  torch::Tensor ce = torch::nn::functional::cross_entropy(
      lg.reshape({-1, V}), target,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone).ignore_index(-100));
  torch::Tensor active = on.to(ce.scalar_type());
  torch::Tensor w = active;
  if (b.weights.defined()) w = b.weights.narrow(1, 1, T - 1).reshape({-1}).to(ce.scalar_type()) * active;
  LossOutput out;
  out.active = static_cast<int64_t>(active.sum().item<double>());
  out.weight_sum = w.sum().item<double>();
  double denom = denominator > 0 ? denominator : (normalize_by_weights ? out.weight_sum : static_cast<double>(out.active));
  if (denom <= 0) denom = 1;  // a batch with no loss position contributes a zero loss, not NaN
  out.loss = (ce * w).sum() / denom;
  out.ce = ce.view({B, T - 1});
  out.token_ce = out.ce.detach();
  return out;
}

LossRows loss_rows(const Batch& b) {
  LossRows r;
  r.B = b.labels.size(0);
  r.Tm1 = b.labels.size(1) - 1;
  r.idx = active_targets(b).reshape({-1}).nonzero().squeeze(1);
  r.target = b.labels.narrow(1, 1, r.Tm1).reshape({-1}).index_select(0, r.idx);
  return r;
}

torch::Tensor predicting_hidden(const torch::Tensor& h, const LossRows& r) {
  const int64_t D = h.size(2);
  return h.narrow(1, 0, r.Tm1).reshape({-1, D}).index_select(0, r.idx);
}

namespace {
// [N] values at the rows → [B, T-1] with zeros elsewhere (differentiable in `rows`).
torch::Tensor scatter_rows(const torch::Tensor& rows, const LossRows& r) {
  return torch::zeros({r.B * r.Tm1}, rows.options()).scatter(0, r.idx, rows).view({r.B, r.Tm1});
}
}  // namespace

LossOutput weighted_ce_rows(const torch::Tensor& row_logits, const LossRows& r, const Batch& b, bool normalize_by_weights,
                            double denominator) {
  torch::Tensor lg = row_logits.scalar_type() == torch::kFloat64 ? row_logits : row_logits.to(torch::kFloat32);
  torch::Tensor ce = cross_entropy_rows(lg, r.target);  // fused on CPU (cpp/cross_entropy.h)
  torch::Tensor w = b.weights.defined() ? b.weights.narrow(1, 1, r.Tm1).reshape({-1}).index_select(0, r.idx).to(ce.scalar_type())
                                        : torch::ones_like(ce);
  LossOutput out;
  out.active = r.idx.size(0);
  out.weight_sum = w.sum().item<double>();
  double denom = denominator > 0 ? denominator : (normalize_by_weights ? out.weight_sum : static_cast<double>(out.active));
  if (denom <= 0) denom = 1;
  out.loss = (ce * w).sum() / denom;
  out.ce = scatter_rows(ce, r);
  out.token_ce = out.ce.detach();
  return out;
}

torch::Tensor token_logprobs_rows(const torch::Tensor& row_logits, const LossRows& r) {
  torch::Tensor lg = row_logits.scalar_type() == torch::kFloat64 ? row_logits : row_logits.to(torch::kFloat32);
  return scatter_rows(target_logprobs_rows(lg, r.target), r);
}

}  // namespace eye
