// AdamW (Loshchilov & Hutter): Adam moments plus decoupled weight decay p ← p − lr·wd·p, the same
// update as torch.optim.AdamW. Written out (not torch::optim) so its state is plain named tensors
// that the trainer can checkpoint and restore bit-exactly.
//
// Precision: moments are float32 (float64 for float64 parameters). A bf16/f16 parameter gets a
// float32 master copy: the update is applied to the master and the parameter receives its rounded
// value (updates smaller than half a bf16 ulp would otherwise be lost every step). The masters are
// part of the optimizer state (masters()): save and restore them with the moments.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace eye {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  // Use libtorch's fused AdamW kernel (torch.optim.AdamW(fused=True)) when libtorch >= 2.4 and every
  // updated tensor is float32/float64 on one device; otherwise (or false) the per-tensor loop.
  bool fused = true;
};

class AdamW {
 public:
  // `decay[i]` says whether params[i] gets weight decay (HF: not biases and norm weights).
  AdamW(std::vector<torch::Tensor> params, std::vector<bool> decay, AdamWOptions opts);
  void step(double lr);
  int64_t steps() const { return t_; }
  std::vector<torch::Tensor>& exp_avg() { return m_; }
  std::vector<torch::Tensor>& exp_avg_sq() { return v_; }
  // float32 master weights of bf16/f16 parameters; undefined for float32/float64 parameters (the
  // parameter is its own master). After writing a master, call sync_params().
  std::vector<torch::Tensor>& masters() { return master_; }
  // Copies every master into its (lower-precision) parameter, rounding.
  void sync_params();
  void set_steps(int64_t t) { t_ = t; }

 private:
  bool fused_step(double lr);  // false: not applicable here, nothing was updated
  std::vector<torch::Tensor> params_, m_, v_, master_;
  std::vector<torch::Tensor> steps_;  // the fused kernel's per-tensor step counters (= t_)
  std::vector<bool> decay_;
  AdamWOptions o_;
  int64_t t_ = 0;
};

}  // namespace eye
