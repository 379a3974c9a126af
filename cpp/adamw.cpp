#include "adamw.h"

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
  }
}

void AdamW::sync_params() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i)
    if (master_[i].defined()) params_[i].copy_(master_[i]);
}

void AdamW::step(double lr) {
  torch::NoGradGuard ng;
  ++t_;
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
