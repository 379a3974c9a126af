#include "rms_norm.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>

namespace eye {

torch::Tensor rms_norm_composite(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const bool half = x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kFloat16;
  torch::Tensor h = half ? x.to(torch::kFloat32) : x;
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * (half ? h.to(x.scalar_type()) : h);
}

namespace {

constexpr int64_t kBlockRows = 32;  // rows per partial sum of the weight gradient (fixed: determinism)

// Forward over rows [N, D]: y = w·(x·r), r = 1/sqrt(Σx²/D + eps) per row (stored for backward).
template <typename T>
void forward_rows(const T* x, const T* w, T* y, T* r, int64_t N, int64_t D, double eps) {
  at::parallel_for(0, N, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xi = x + i * D;
      double ss = 0;
      for (int64_t j = 0; j < D; ++j) ss += static_cast<double>(xi[j]) * static_cast<double>(xi[j]);
      const T ri = static_cast<T>(1.0 / std::sqrt(ss / static_cast<double>(D) + eps));
      r[i] = ri;
      T* yi = y + i * D;
      for (int64_t j = 0; j < D; ++j) yi[j] = w[j] * (xi[j] * ri);
    }
  });
}

// Backward: gx = r·(g − x̂·Σ(g·x̂)/D) with g = gy·w, x̂ = x·r; partial weight gradients
// Σ_rows gy·x̂ per block of kBlockRows rows into gw_blocks [nblocks, D] (float64).
template <typename T>
void backward_rows(const T* x, const T* w, const T* r, const T* gy, T* gx, double* gw_blocks, int64_t N, int64_t D) {
  const int64_t nblocks = (N + kBlockRows - 1) / kBlockRows;
  at::parallel_for(0, nblocks, 1, [&](int64_t bb, int64_t be) {
    for (int64_t blk = bb; blk < be; ++blk) {
      double* gwb = gw_blocks ? gw_blocks + blk * D : nullptr;
      if (gwb) std::fill(gwb, gwb + D, 0.0);
      const int64_t i1 = std::min(N, (blk + 1) * kBlockRows);
      for (int64_t i = blk * kBlockRows; i < i1; ++i) {
        const T* xi = x + i * D;
        const T* gyi = gy + i * D;
        const double ri = static_cast<double>(r[i]);
        double dot = 0;
        for (int64_t j = 0; j < D; ++j) dot += static_cast<double>(gyi[j]) * static_cast<double>(w[j]) * static_cast<double>(xi[j]);
        dot *= ri;  // Σ g·x̂
        const double c = dot / static_cast<double>(D);
        T* gxi = gx + i * D;
        for (int64_t j = 0; j < D; ++j) {
          const double xhat = static_cast<double>(xi[j]) * ri;
          gxi[j] = static_cast<T>(ri * (static_cast<double>(gyi[j]) * static_cast<double>(w[j]) - xhat * c));
        }
        if (gwb)
          for (int64_t j = 0; j < D; ++j) gwb[j] += static_cast<double>(gyi[j]) * (static_cast<double>(xi[j]) * ri);
      }
    }
  });
}

struct FusedRMSNorm : torch::autograd::Function<FusedRMSNorm> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    const int64_t D = x.size(-1);
    torch::Tensor xc = x.contiguous();
    torch::Tensor wc = weight.contiguous();
    torch::Tensor y = torch::empty_like(xc);
    torch::Tensor r = torch::empty({xc.numel() / std::max<int64_t>(D, 1)}, xc.options());
    AT_DISPATCH_FLOATING_TYPES(xc.scalar_type(), "rms_norm_forward", [&] {
      forward_rows<scalar_t>(xc.data_ptr<scalar_t>(), wc.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), r.data_ptr<scalar_t>(), r.size(0), D, eps);
    });
    ctx->save_for_backward({xc, wc, r});
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1], &r = saved[2];
    torch::Tensor gy = grads[0].contiguous();
    const int64_t D = x.size(-1), N = r.size(0);
    const bool want_w = ctx->needs_input_grad(1);
    torch::Tensor gx = torch::empty_like(x);
    torch::Tensor blocks;
    if (want_w) blocks = torch::empty({(N + kBlockRows - 1) / kBlockRows, D}, x.options().dtype(torch::kFloat64));
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rms_norm_backward", [&] {
      backward_rows<scalar_t>(x.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), r.data_ptr<scalar_t>(), gy.data_ptr<scalar_t>(),
                              gx.data_ptr<scalar_t>(), want_w ? blocks.data_ptr<double>() : nullptr, N, D);
    });
    torch::Tensor gw = want_w ? blocks.sum(0).to(w.scalar_type()) : torch::Tensor();
    return {gx, gw, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const auto st = x.scalar_type();
  const bool fusable = x.device().is_cpu() && (st == torch::kFloat32 || st == torch::kFloat64) && weight.scalar_type() == st &&
                       weight.dim() == 1 && x.dim() >= 1 && x.size(-1) == weight.size(0) && x.numel() > 0;
  if (!fusable) return rms_norm_composite(x, weight, eps);
  return FusedRMSNorm::apply(x, weight, eps);
}

}  // namespace eye
