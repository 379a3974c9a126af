#include "adamw.h"

#include <torch/version.h>

#include <cmath>

namespace eye {

AdamW::AdamW(std::vector<torch::Tensor> params, std::vector<bool> decay, AdamWOptions opts)
    : params_(std::move(params)), decay_(std::move(decay)), o_(opts) {
  for (auto& p : params_) {
    // Moments in float32 at least, so bf16 weights still get precise first/second moments.
    auto dt = p.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    m_.push_back(torch::zeros(p.sizes(), p.options().dtype(dt)));
    v_.push_back(torch::zeros(p.sizes(), p.options().dtype(dt)));
    const bool low = p.scalar_type() != dt;
    master_.push_back(low ? p.detach().to(dt).clone() : torch::Tensor());
    steps_.push_back(torch::Tensor());
  }
}

void AdamW::sync_params() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i)
    if (master_[i].defined()) params_[i].copy_(master_[i]);
}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EYE_FUSED_ADAMW 1
#endif

bool AdamW::fused_step(double lr) {
#ifdef EYE_FUSED_ADAMW
  // libtorch >= 2.4 has torch.optim.AdamW(fused=True)'s kernel for CPU and CUDA: one pass over
  // param, grad and both moments instead of ~9 separate element-wise passes. Same update (moments
  // by lerp/addcmul, bias corrections, decoupled decay) up to the last bit of the lerp; the state
  // is the same tensors, so saving and resuming stay bit-exact. It needs one dtype and device per
  // call: used when every updated tensor shares them, else the loop below runs.
  std::vector<torch::Tensor> ps[2], gs[2], ms[2], vs[2], ss[2];
  c10::optional<torch::ScalarType> dt;
  c10::optional<torch::Device> dev;
  for (size_t i = 0; i < params_.size(); ++i) {
    const torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor target = master_[i].defined() ? master_[i] : p;
    if (!dt) dt = target.scalar_type(), dev = target.device();
    if (target.scalar_type() != *dt || target.device() != *dev || m_[i].scalar_type() != *dt) return false;
    const int k = decay_[i] && o_.weight_decay != 0 ? 1 : 0;
    ps[k].push_back(target);
    gs[k].push_back(p.grad().scalar_type() == *dt ? p.grad() : p.grad().to(*dt));
    ms[k].push_back(m_[i]);
    vs[k].push_back(v_[i]);
    if (!steps_[i].defined()) steps_[i] = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(*dev));
    steps_[i].fill_(static_cast<double>(t_));
    ss[k].push_back(steps_[i]);
  }
  if (!dt) return true;  // nothing has a gradient
  if (*dt != torch::kFloat32 && *dt != torch::kFloat64) return false;
  for (int k = 0; k < 2; ++k) {
    if (ps[k].empty()) continue;
    at::_fused_adamw_(ps[k], gs[k], ms[k], vs[k], /*max_exp_avg_sqs=*/{}, ss[k], lr, o_.beta1, o_.beta2,
                      k ? o_.weight_decay : 0.0, o_.eps, /*amsgrad=*/false, /*maximize=*/false);
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (master_[i].defined() && params_[i].grad().defined()) params_[i].copy_(master_[i]);
  return true;
#else
  (void)lr;
  return false;
#endif
}

void AdamW::step(double lr) {
  torch::NoGradGuard ng;
  ++t_;
  if (o_.fused && fused_step(lr)) return;
  const double bc1 = 1.0 - std::pow(o_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(o_.beta2, static_cast<double>(t_));
  const double step_size = lr / bc1;
  const double bc2_sqrt = std::sqrt(bc2);
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad().to(m_[i].scalar_type());
    const bool own_master = master_[i].defined();  // bf16/f16 parameter: update the float32 master
    torch::Tensor master = own_master ? master_[i] : p;
    if (decay_[i] && o_.weight_decay != 0) master.mul_(1.0 - lr * o_.weight_decay);
    m_[i].mul_(o_.beta1).add_(g, 1.0 - o_.beta1);
    v_[i].mul_(o_.beta2).addcmul_(g, g, 1.0 - o_.beta2);
    torch::Tensor denom = (v_[i].sqrt() / bc2_sqrt).add_(o_.eps);
    master.addcdiv_(m_[i], denom, -step_size);
    if (own_master) p.copy_(master);  // the model computes with the rounded weights
  }
}

}  // namespace eye
