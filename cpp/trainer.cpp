#include "trainer.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>

#include "cancel.h"
#include "distributed.h"
#include "errors.h"
#include "loss.h"
#include "safetensors.h"

namespace eye {

std::pair<std::vector<torch::Tensor>, std::vector<bool>> trainable_parameters(CausalLMImpl& m) {
  std::vector<torch::Tensor> ps;
  std::vector<bool> decay;
  for (auto& kv : m.trainable()) {
    ps.push_back(kv.second);
    decay.push_back(kv.second.dim() >= 2);
  }
  return {ps, decay};
}

CausalLM frozen_copy(CausalLMImpl& m) {
  CausalLM c(m.config);
  torch::NoGradGuard ng;
  auto src = m.named_parameters(true);
  const auto dt = src.begin()->value().scalar_type();
  c->to(dt);
  c->move_to(m.device());  // the copy lives beside the model (device-to-device copies below)
  for (auto& kv : c->named_parameters(true)) {
    kv.value().copy_(*src.find(kv.key()));
    kv.value().set_requires_grad(false);
  }
  c->eval();
  return c;
}

torch::Tensor reference_logprobs(CausalLMImpl& m, CausalLMImpl* reference, const Batch& b) {
  if (!m.has_lora() && !reference) throw EngineError(ErrorCode::State, "the preference term needs a reference model");
  torch::Tensor out;
  {
    // Inference mode, not only no-grad: the reference pass records no version counters or views
    // (fewer per-op costs on a pass that is pure overhead of the method).
    c10::InferenceMode im;
    const LossRows rows = loss_rows(b);
    auto lp = [&](CausalLMImpl& net) {
      return token_logprobs_rows(net.logits_from_hidden(predicting_hidden(net.hidden(b.input_ids, b.attention_mask, nullptr), rows)), rows);
    };
    if (m.has_lora()) {
      LoraOffGuard off(m);
      out = lp(m);
    } else {
      out = lp(*reference);
    }
  }
  // An inference tensor may not be saved for backward (the preference term multiplies by it):
  // a normal copy, [B,T-1] floats.
  return out.clone();
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard ng;
  // Per-tensor norms stay on the device; their squares are summed in float64 there and read back
  // once (one host sync per step on CUDA instead of one per parameter tensor).
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) {
      // bf16/f16 gradients: the norm in float32 (a bf16 norm keeps ~3 significant digits).
      const auto& g = p.grad();
      const bool half = g.scalar_type() == torch::kBFloat16 || g.scalar_type() == torch::kFloat16;
      norms.push_back((half ? g.to(torch::kFloat32) : g).norm(2).to(torch::kFloat64));
    }
  if (norms.empty()) return 0.0;
  const double norm = torch::stack(norms).square().sum().sqrt().item<double>();
  if (max_norm > 0 && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(scale);
  }
  return norm;
}

namespace {

// Thread-local bf16 autocast on the model's device type for the duration of a scope (autocast
// state is per thread). libtorch 2.4 replaced the per-device setters with device-type ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EYE_AUTOCAST_BY_DEVICE_TYPE 1
#endif
void set_autocast(torch::DeviceType type, bool on) {
#ifdef EYE_AUTOCAST_BY_DEVICE_TYPE
  if (on) at::autocast::set_autocast_dtype(type, at::kBFloat16);
  at::autocast::set_autocast_enabled(type, on);
#else
  if (type == torch::kCUDA) {
    if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(on);
  } else {
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
  }
#endif
}

struct AutocastScope {
  bool on;
  torch::DeviceType type;
  AutocastScope(bool enable, torch::Device device) : on(enable), type(device.type()) {
    if (on) set_autocast(type, true);
  }
  ~AutocastScope() {
    if (on) {
      set_autocast(type, false);
      at::autocast::clear_cache();
    }
  }
};

// An aborted step (cpp/cancel.h) must leave the trainer as if it never ran, so that the next step
// gives bit-for-bit what it would have: until `committed` is set, leaving the scope (by the abort's
// exception, or any other) drops the partial gradients and puts the LoRA-dropout stream back where
// the step found it. AdamW, its step counter and the weights are only touched after that.
struct StepRollback {
  std::vector<torch::Tensor>& params;
  at::Generator gen;
  torch::Tensor gen_state;
  bool committed = false;
  StepRollback(std::vector<torch::Tensor>& ps, CausalLMImpl& m) : params(ps) {
    if (m.has_lora() && m.dropout_gen.defined()) {
      gen = m.dropout_gen;
      gen_state = gen.get_state();
    }
  }
  ~StepRollback() {
    if (committed) return;
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    if (gen_state.defined()) gen.set_state(gen_state);
  }
};

}  // namespace

Trainer::Trainer(CausalLM model, TrainerOptions opts)
    : model_(std::move(model)),
      opts_(opts),
      params_(trainable_parameters(*model_).first),
      optimizer_(params_, trainable_parameters(*model_).second, opts.adamw) {
  // Full fine-tuning with a preference term needs π_ref = the starting weights: keep a frozen
  // copy. With LoRA the same weights with adapters off serve, at no memory cost.
  if (opts_.gamma > 0 && !model_->has_lora()) reference_ = frozen_copy(*model_);
  if (opts_.gradient_checkpointing) model_->gradient_checkpointing = true;
}

void Trainer::attach(std::shared_ptr<ProcessGroup> pg) {
  if (!pg) {
    pg_.reset();
    return;
  }
  if (optimizer_.steps() != 0)
    fail(ErrorCode::State, "attach the process group before the first step (and before loading a trainer state)");
  // Every rank must start from the same weights: rank 0's (LoRA adapters are seeded, full weights
  // come from one checkpoint, but a rank that loaded another file would silently diverge).
  std::vector<torch::Tensor> ws;
  for (size_t i = 0; i < params_.size(); ++i)
    ws.push_back(optimizer_.masters()[i].defined() ? optimizer_.masters()[i] : params_[i]);
  pg->broadcast(ws, 0, "initial weights broadcast");
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params_.size(); ++i)
      if (optimizer_.masters()[i].defined()) params_[i].copy_(optimizer_.masters()[i]);
  }
  if (!reference_.is_empty()) reference_ = frozen_copy(*model_);
  if (model_->has_lora() && model_->dropout_gen.defined()) dropout_seed_ = model_->dropout_gen.current_seed();
  pg_ = std::move(pg);
}

StepResult Trainer::step(const std::vector<Batch>& micro, bool stop) {
  // A rank may hold no rows of a short global batch (fewer rows than ranks): it still joins the
  // collectives, contributing nothing.
  if (micro.empty() && !pg_) fail(ErrorCode::Batch, "a training step needs at least one batch");
  if (stop && !pg_) {
    StepResult r;
    r.stopped = true;
    r.step = optimizer_.steps();
    return r;
  }
  torch::AutoGradMode grad_on(true);  // grad mode is thread-local: on for this step, restored after it
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
  const bool pref = opts_.gamma > 0;
  int64_t pref_seqs = 0;
  if (pref)
    for (const auto& b : micro) pref_seqs += preference_sequences(b);
  const double comm0 = pg_ ? pg_->comm_seconds() : 0;
  const torch::Device comm_dev = pg_ && pg_->backend() == "nccl" ? model_->device() : torch::Device(torch::kCPU);
  if (pg_) {
    // The normalisation is global: N (or Σw) and the preference-sequence count over all ranks'
    // micro-batches, so each rank's Σ w·CE / N is its exact share of one process's loss.
    // The stop requests ride along.
    torch::Tensor c = torch::tensor({static_cast<double>(active), wsum, static_cast<double>(pref_seqs), stop ? 1.0 : 0.0}, torch::kFloat64).to(comm_dev);
    pg_->allreduce_sum(c, "loss denominators");
    c = c.cpu();
    const double* cv = c.data_ptr<double>();
    if (cv[3] > 0) {
      StepResult r;
      r.stopped = true;
      r.step = optimizer_.steps();
      r.comm_s = pg_->comm_seconds() - comm0;
      return r;
    }
    active = std::llround(cv[0]);
    wsum = cv[1];
    pref_seqs = std::llround(cv[2]);
    denom = opts_.normalize_by_weights ? wsum : static_cast<double>(active);
    if (denom <= 0) denom = 1;
    // LoRA dropout: each rank draws its own masks, from a stream fixed by (seed, rank, step), so a
    // resumed run draws the same masks without saving every rank's generator.
    if (model_->has_lora() && model_->dropout_gen.defined())
      model_->dropout_gen.set_current_seed(dropout_seed_ ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(pg_->rank() + 1)) ^
                                           (0xbf58476d1ce4e5b9ULL * static_cast<uint64_t>(optimizer_.steps() + 1)));
  }
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  // Stop requests are honoured between micro-batches and between a forward and its backward, on
  // one process only: data-parallel ranks agree on stopping through `stop` instead (an abort here
  // would leave the peers waiting in the next collective).
  StepRollback rollback(params_, *model_);
  const auto honour_stop = [&] {
    if (!pg_) check_cancel("the training step");
  };
  // The reported sums (loss, SFT, preference, plain CE) stay on the device, in float64, and are
  // read once after the last micro-batch: no host sync per micro-batch (each one stalls a GPU).
  torch::Tensor sums = torch::zeros({4}, torch::TensorOptions().dtype(torch::kFloat64).device(model_->device()));
  int64_t done = 0;
  for (const auto& b : micro) {
    honour_stop();
    torch::Tensor loss;
    {
      AutocastScope ac(opts_.bf16_autocast, model_->device());
      torch::Tensor ref_lp;
      if (pref && pref_seqs > 0) ref_lp = reference_logprobs(*model_, reference_.is_empty() ? nullptr : reference_.get(), b);
      // The vocabulary projection and the CE only at loss positions (see LossRows).
      const LossRows rows = loss_rows(b);
      torch::Tensor h = model_->hidden(b.input_ids, b.attention_mask, nullptr);
      LossOutput lo = weighted_ce_rows(model_->logits_from_hidden(predicting_hidden(h, rows)), rows, b, opts_.normalize_by_weights, denom);
      torch::Tensor sft = lo.loss;
      loss = sft;
      torch::Tensor pref_loss;
      if (pref && pref_seqs > 0) {
        // log π of the labels is −CE, already computed (no second log-softmax over the vocabulary).
        PrefOutput po = preference_loss(-lo.ce, ref_lp.to(lo.ce.scalar_type()), b, opts_.beta, static_cast<double>(pref_seqs));
        loss = loss + opts_.gamma * po.loss;
        pref_loss = po.loss.detach();
      }
      torch::NoGradGuard ng;
      // token_ce is detached and 0 off the loss positions. Each term is widened to float64 before
      // the sum, as the host reads did: the same sums in the same order.
      sums.add_(torch::stack({loss.detach().to(torch::kFloat64), sft.detach().to(torch::kFloat64),
                              pref_loss.defined() ? pref_loss.to(torch::kFloat64) : torch::zeros({}, sums.options()),
                              lo.token_ce.sum().to(torch::kFloat64)}));
    }
    honour_stop();
    loss.backward();
    report_progress(++done, static_cast<int64_t>(micro.size()));
  }
  honour_stop();
  sums = sums.cpu();
  double total = sums[0].item<double>(), sft_total = sums[1].item<double>(), pref_total = sums[2].item<double>(),
         ce_total = sums[3].item<double>();
  StepResult r;
  if (pg_) {
    // The reported sums, and which gradients exist on any rank (a tensor no rank touched stays
    // without a gradient, as in one process: AdamW skips it), in one float64 all-reduce.
    std::vector<double> v{total, sft_total, pref_total, ce_total};
    for (const auto& p : params_) v.push_back(p.grad().defined() ? 1.0 : 0.0);
    torch::Tensor t = torch::tensor(v, torch::kFloat64).to(comm_dev);
    pg_->allreduce_sum(t, "reported losses");
    t = t.cpu();
    const double* tv = t.data_ptr<double>();
    total = tv[0];
    sft_total = tv[1];
    pref_total = tv[2];
    ce_total = tv[3];
    std::vector<torch::Tensor> grads;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (tv[4 + i] == 0) continue;
      if (!params_[i].grad().defined()) params_[i].mutable_grad() = torch::zeros_like(params_[i]);
      grads.push_back(params_[i].grad());
    }
    // After the whole backward pass (not overlapped with it through autograd hooks as DDP does):
    // on CPU the cores are busy with backward anyway, and it keeps accumulation simple (one
    // reduction per optimizer step, however many micro-batches). Σ over ranks of each rank's
    // share = the gradient of the global loss.
    const double g0 = pg_->comm_seconds();
    pg_->allreduce_sum_bucketed(grads, "gradient all-reduce");
    r.grad_allreduce_s = pg_->comm_seconds() - g0;
    r.comm_s = pg_->comm_seconds() - comm0;
  }
  r.sft = sft_total;
  r.pref = pref_total;
  r.ce = active > 0 ? ce_total / static_cast<double>(active) : 0.0;
  r.pref_sequences = pref_seqs;
  r.grad_norm = clip_grad_norm(params_, opts_.max_grad_norm);
  r.lr = opts_.schedule.at(optimizer_.steps());
  rollback.committed = true;
  optimizer_.step(r.lr);
  r.loss = total;
  r.tokens = active;
  r.step = optimizer_.steps();
  return r;
}

}  // namespace eye

namespace eye {

void Trainer::save_state(const std::string& path, const std::map<std::string, std::string>& extra) {
  std::vector<std::pair<std::string, torch::Tensor>> ts;
  auto named = model_->trainable();
  for (size_t i = 0; i < named.size(); ++i) {
    // A bf16/f16 parameter is saved as its float32 master (the model's copy is its rounding).
    const torch::Tensor& master = optimizer_.masters()[i];
    ts.emplace_back("param." + named[i].first, master.defined() ? master : named[i].second.detach());
    ts.emplace_back("exp_avg." + named[i].first, optimizer_.exp_avg()[i]);
    ts.emplace_back("exp_avg_sq." + named[i].first, optimizer_.exp_avg_sq()[i]);
  }
  const bool rng = model_->has_lora() && model_->dropout_gen.defined();
  if (rng) ts.emplace_back("rng.lora_dropout", model_->dropout_gen.get_state());  // a CPU byte tensor on every device
  std::map<std::string, std::string> meta = extra;
  // Tensors are written from the CPU (write_safetensors copies device tensors there). The dropout
  // stream's state only fits a generator of the same kind: record which.
  if (rng) meta["rng_device"] = model_->device().is_cpu() ? "cpu" : "cuda";
  meta["format"] = "eyemulator-trainer-state/1";
  meta["step"] = std::to_string(optimizer_.steps());
  meta["lora"] = model_->has_lora() ? "1" : "0";
  write_safetensors(path, ts, meta);
}

std::map<std::string, std::string> Trainer::load_state(const std::string& path) {
  SafetensorsFile f(path);
  auto it = f.metadata().find("format");
  if (it == f.metadata().end() || it->second != "eyemulator-trainer-state/1")
    fail(ErrorCode::Checkpoint, path + ": not an eyemulator trainer state (format eyemulator-trainer-state/1)");
  if (f.metadata().at("lora") != (model_->has_lora() ? "1" : "0"))
    fail(ErrorCode::Checkpoint, path + ": saved " + (f.metadata().at("lora") == "1" ? "with" : "without") +
                                    " LoRA adapters; attach the same adapters before resuming");
  torch::NoGradGuard ng;
  auto named = model_->trainable();
  for (size_t i = 0; i < named.size(); ++i) {
    for (const std::string& kind : {std::string("param."), std::string("exp_avg."), std::string("exp_avg_sq.")}) {
      const std::string key = kind + named[i].first;
      torch::Tensor param = optimizer_.masters()[i].defined() ? optimizer_.masters()[i] : named[i].second;
      torch::Tensor dst = kind == "param." ? param : kind == "exp_avg." ? optimizer_.exp_avg()[i] : optimizer_.exp_avg_sq()[i];
      const TensorEntry& e = f.entry(key);
      if (c10::IntArrayRef(e.shape) != dst.sizes())
        fail(ErrorCode::Checkpoint, path + ": tensor \"" + key + "\" does not match this model's shape");
      dst.copy_(f.view(key));  // CPU mapping → the model's device
    }
  }
  if (f.has("rng.lora_dropout") && model_->dropout_gen.defined()) {
    // A state saved on another kind of device (CPU Mersenne Twister vs CUDA Philox) cannot be
    // restored: the dropout stream then continues from this model's own seed.
    auto rd = f.metadata().find("rng_device");
    const std::string saved = rd == f.metadata().end() ? "cpu" : rd->second;
    const std::string here = model_->device().is_cpu() ? "cpu" : "cuda";
    if (saved == here) model_->dropout_gen.set_state(f.view("rng.lora_dropout").clone());
  }
  optimizer_.sync_params();  // bf16/f16 parameters = their restored masters, rounded
  optimizer_.set_steps(std::stoll(f.metadata().at("step")));
  return f.metadata();
}

}  // namespace eye
