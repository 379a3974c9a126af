// LoRA on the engine's projections: the adapter branch of ProjImpl, attaching fresh adapters,
// the trainable set, and merging adapters into the base weights. Kept generic over
// CausalLMImpl::projections (HF module path → Proj), so every family's linears are targetable.
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "errors.h"
#include "llama.h"

namespace eye {

torch::Tensor ProjImpl::add_lora_branch(const torch::Tensor& x, const torch::Tensor& y_in) {
  torch::Tensor y = y_in;
  if (lora_A.defined() && (!lora_enabled || *lora_enabled)) {
    torch::Tensor xin = x;
    if (is_training() && lora_dropout > 0) {
      // Dropout from the model's own generator, so runs repeat and resume bit-exactly.
      // (On CUDA the generator is a CUDA one: see CausalLMImpl::dropout_gen.)
      torch::Tensor keep = torch::empty_like(x);
      if (dropout_gen && dropout_gen->defined()) keep.bernoulli_(1.0 - lora_dropout, *dropout_gen);
      else keep.bernoulli_(1.0 - lora_dropout);
      xin = x * keep / (1.0 - lora_dropout);
    }
    y = y + torch::matmul(torch::matmul(xin, lora_A.to(x.scalar_type()).t()), lora_B.to(x.scalar_type()).t()) * lora_scaling;
  }
  return y;
}

void CausalLMImpl::add_lora(const LoraConfig& lc) {
  if (has_lora()) throw std::runtime_error("the model already has a LoRA adapter");
  lora_ = lc;
  dropout_gen = make_generator_for(device_, lc.seed ^ 0x9e3779b97f4a7c15ULL);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(lc.seed);
  const double scaling = lc.alpha / static_cast<double>(lc.r);
  for (auto& p : parameters(true)) p.set_requires_grad(false);
  torch::NoGradGuard ng;
  for (auto& [path, proj] : projections) {
    const std::string leaf = path.substr(path.rfind('.') + 1);
    if (std::find(lc.target_modules.begin(), lc.target_modules.end(), leaf) == lc.target_modules.end()) continue;
    const int64_t in = proj->weight.size(1), out = proj->weight.size(0);
    // PEFT's default init: A ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in), B = 0 (a fresh adapter
    // leaves the model's outputs unchanged). Adapters are kept in float32 (or float64).
    const auto dt = proj->weight.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    // A is drawn on the CPU from the seeded generator (same A on every device), then moved.
    torch::Tensor A = torch::empty({lc.r, in}, torch::kFloat32).uniform_(-bound, bound, gen).to(device_, dt);
    torch::Tensor Bm = torch::zeros({out, lc.r}, torch::TensorOptions().dtype(dt).device(device_));
    A.set_requires_grad(true);
    Bm.set_requires_grad(true);
    proj->lora_A = A;
    proj->lora_B = Bm;
    proj->lora_scaling = scaling;
    proj->lora_dropout = lc.dropout;
    proj->dropout_gen = &dropout_gen;
    lora_named_.emplace_back("base_model.model." + path + ".lora_A.weight", A);
    lora_named_.emplace_back("base_model.model." + path + ".lora_B.weight", Bm);
  }
  if (lora_named_.empty()) throw std::runtime_error("no module matches the LoRA target_modules");
}

std::vector<std::pair<std::string, torch::Tensor>> CausalLMImpl::trainable() {
  if (has_lora()) return lora_named_;
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& kv : named_parameters(true))
    if (kv.value().requires_grad()) out.emplace_back(kv.key(), kv.value());
  return out;
}

void CausalLMImpl::merge_lora() {
  torch::NoGradGuard ng;
  for (auto& [path, proj] : projections) {
    if (!proj->lora_A.defined()) continue;
    torch::Tensor delta = torch::matmul(proj->lora_B.to(torch::kFloat64), proj->lora_A.to(torch::kFloat64)) * proj->lora_scaling;
    proj->weight.add_(delta.to(proj->weight.scalar_type()));
    proj->lora_A = torch::Tensor();
    proj->lora_B = torch::Tensor();
  }
  lora_named_.clear();
  lora_ = LoraConfig{0};
  for (auto& p : parameters(true)) p.set_requires_grad(true);
}

}  // namespace eye
