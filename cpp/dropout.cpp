#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>

#include "errors.h"

namespace eye {

namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;  // SplitMix64's increment (2^64 / φ)

inline uint64_t splitmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t draw_seed(at::Generator* gen) {
  at::Generator g = (gen && gen->defined()) ? *gen : at::detail::getDefaultCPUGenerator();
  auto* cpu = at::check_generator<at::CPUGeneratorImpl>(g);
  std::lock_guard<std::mutex> lock(cpu->mutex_);
  return cpu->random64();
}

}  // namespace

torch::Tensor dropout_scale_mask(const torch::Tensor& like, double p, at::Generator* gen) {
  if (!(p >= 0.0 && p < 1.0)) fail(ErrorCode::Argument, "dropout probability must be in [0, 1), got " + std::to_string(p));
  if (p == 0.0) return torch::ones_like(like, torch::MemoryFormat::Contiguous);
  const double scale = 1.0 / (1.0 - p);
  if (!like.device().is_cpu()) {
    torch::Tensor keep = torch::empty_like(like, torch::MemoryFormat::Contiguous);
    if (gen && gen->defined()) keep.bernoulli_(1.0 - p, *gen);
    else keep.bernoulli_(1.0 - p);
    return keep.mul_(scale);
  }
  torch::Tensor mask = torch::empty_like(like, torch::MemoryFormat::Contiguous);
  const int64_t n = mask.numel();
  if (n == 0) return mask;
  const uint64_t seed = draw_seed(gen);
  // Keep iff u ≥ threshold, u uniform on [0, 2^32): P(keep) = 1 − threshold/2^32.
  const uint64_t threshold = static_cast<uint64_t>(std::llround(p * 4294967296.0));
  const int64_t pairs = (n + 1) / 2;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, mask.scalar_type(), "dropout_scale_mask", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const scalar_t keep_v = static_cast<scalar_t>(scale), drop_v = static_cast<scalar_t>(0);
    at::parallel_for(0, pairs, 8192, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const uint64_t z = splitmix64(seed + static_cast<uint64_t>(i) * kGamma);
        const int64_t j = 2 * i;
        out[j] = (z & 0xFFFFFFFFULL) >= threshold ? keep_v : drop_v;
        if (j + 1 < n) out[j + 1] = (z >> 32) >= threshold ? keep_v : drop_v;
      }
    });
  });
  return mask;
}

}  // namespace eye
