#include "cross_entropy.h"

#include <ATen/Parallel.h>

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "errors.h"

// The row kernels are plain loops the compiler vectorises (manual lanes instead of -ffast-math, so
// the reductions need no reassociation licence). With GCC on x86-64 each is built three times —
// AVX-512, AVX2+FMA and the baseline — and the loader picks the best one for the CPU (ifunc).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define EYE_CE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EYE_CE_CLONES
#endif

namespace eye {

namespace {

constexpr int kLanes = 16;        // floats per vector step (one AVX-512 register, two AVX2 ones)
constexpr int64_t kBlock = 2048;  // elements summed in float before the partial sum moves to float64

// GCC/Clang vector extensions: the compiler lowers a 16-float vector to whatever the clone's target
// has. (Plain loops were not vectorised: GCC threads the clamp in e^x into a branch.)
// Always inlined into each clone: a 64-byte vector passed between functions built for different
// targets would not agree on the calling convention.
#define EYE_INLINE inline __attribute__((always_inline))
typedef float vf __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(kLanes * sizeof(int32_t))));

EYE_INLINE vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
EYE_INLINE void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
EYE_INLINE vf splat(float x) { return vf{} + x; }

// e^x for x ≤ 0 (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, a degree-7 polynomial in r, times 2^n built
// in the exponent bits). ≤ 2 ulp against the float64 e^x; 0 below −87 (e^−87 ≈ 1.6e−38, where float
// leaves its normal range: a term that cannot change a sum of ≥ 1), −inf included.
template <typename F, typename I>
EYE_INLINE F exp_nonpositive_t(F x) {
  const F x0 = x;
  if constexpr (std::is_same_v<F, float>) {
    x = x < -87.0f ? -87.0f : x;
  } else {
    x = x < -87.0f ? splat(-87.0f) : x;  // −inf included
  }
  const F fx = x * 1.44269504088896341f;
  const F n = (fx + 12582912.0f) - 12582912.0f;  // round to nearest (1.5·2^23 trick; |fx| < 2^22)
  const F r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  F p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const F y = p * r * r + r + 1.0f;
  I bits;
  if constexpr (std::is_same_v<F, float>) {
    bits = (static_cast<I>(n) + 127) << 23;
  } else {
    bits = (__builtin_convertvector(n, I) + 127) << 23;
  }
  F two_n;
  std::memcpy(&two_n, &bits, sizeof two_n);
  if constexpr (std::is_same_v<F, float>) {
    return x0 < -87.0f ? 0.0f : y * two_n;
  } else {
    return x0 < -87.0f ? splat(0.0f) : y * two_n;
  }
}
EYE_INLINE float exp_nonpositive(float x) { return exp_nonpositive_t<float, int32_t>(x); }
EYE_INLINE vf exp_nonpositive(vf x) { return exp_nonpositive_t<vf, vi>(x); }

// Row max and a finiteness probe (x − x is 0 for finite x, NaN for ±inf and NaN).
EYE_CE_CLONES void row_max_f32(const float* x, int64_t V, float* max_out, bool* finite_out) {
  vf mx = splat(-std::numeric_limits<float>::infinity()), probe = splat(0.0f);
  int64_t j = 0;
  for (; j + kLanes <= V; j += kLanes) {
    const vf v = load(x + j);
    mx = v > mx ? v : mx;
    probe += v - v;
  }
  float m = -std::numeric_limits<float>::infinity(), pr = 0.0f;
  for (; j < V; ++j) {
    m = x[j] > m ? x[j] : m;
    pr += x[j] - x[j];
  }
  for (int k = 0; k < kLanes; ++k) {
    m = mx[k] > m ? mx[k] : m;
    pr += probe[k];
  }
  *max_out = m;
  *finite_out = pr == 0.0f;
}

// Σ e^(x − m) over a row whose maximum is m (finite), in float64 across blocks.
EYE_CE_CLONES double row_sumexp_f32(const float* x, int64_t V, float m) {
  double total = 0;
  const vf vm = splat(m);
  for (int64_t b = 0; b < V; b += kBlock) {
    const int64_t e = b + kBlock < V ? b + kBlock : V;
    vf acc = splat(0.0f);
    int64_t j = b;
    for (; j + kLanes <= e; j += kLanes) acc += exp_nonpositive(load(x + j) - vm);
    float rest = 0.0f;
    for (; j < e; ++j) rest += exp_nonpositive(x[j] - m);
    double s = rest;
    for (int k = 0; k < kLanes; ++k) s += acc[k];
    total += s;
  }
  return total;
}

// out = g · e^(x − lse) (the softmax times the row's upstream gradient).
EYE_CE_CLONES void row_grad_f32(const float* x, int64_t V, float lse, float g, float* out) {
  const vf vl = splat(lse);
  int64_t j = 0;
  for (; j + kLanes <= V; j += kLanes) store(out + j, exp_nonpositive(load(x + j) - vl) * g);
  for (; j < V; ++j) out[j] = exp_nonpositive(x[j] - lse) * g;
}

// Reference path (float64 rows, and float32 rows holding NaN/±inf): std::exp, float64 sums.
template <typename T>
double row_lse_exact(const T* x, int64_t V) {
  double m = -std::numeric_limits<double>::infinity();
  bool nan = false;
  for (int64_t j = 0; j < V; ++j) {
    const double v = static_cast<double>(x[j]);
    nan = nan || std::isnan(v);
    m = v > m ? v : m;
  }
  if (nan) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(m)) return std::numeric_limits<double>::quiet_NaN();  // a +inf logit, or a row all −inf: NaN, as torch
  double s = 0;
  for (int64_t j = 0; j < V; ++j) s += std::exp(static_cast<double>(x[j]) - m);
  return m + std::log(s);
}

template <typename T>
void forward_rows(const T* x, const int64_t* target, int64_t N, int64_t V, T* ce, double* lse) {
  at::parallel_for(0, N, std::max<int64_t>(1, 32768 / std::max<int64_t>(V, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xi = x + i * V;
      double l;
      if constexpr (std::is_same_v<T, float>) {
        float m;
        bool finite;
        row_max_f32(xi, V, &m, &finite);
        l = finite ? static_cast<double>(m) + std::log(row_sumexp_f32(xi, V, m)) : row_lse_exact(xi, V);
      } else {
        l = row_lse_exact(xi, V);
      }
      lse[i] = l;
      ce[i] = static_cast<T>(l - static_cast<double>(xi[target[i]]));
    }
  });
}

template <typename T>
void backward_rows(const T* x, const int64_t* target, const double* lse, const T* g, int64_t N, int64_t V, T* out) {
  at::parallel_for(0, N, std::max<int64_t>(1, 32768 / std::max<int64_t>(V, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xi = x + i * V;
      T* oi = out + i * V;
      const T gi = g[i];
      if constexpr (std::is_same_v<T, float>) {
        if (std::isfinite(lse[i]) && std::isfinite(gi)) {
          row_grad_f32(xi, V, static_cast<float>(lse[i]), gi, oi);
          oi[target[i]] -= gi;
          continue;
        }
      }
      for (int64_t j = 0; j < V; ++j) oi[j] = static_cast<T>(std::exp(static_cast<double>(xi[j]) - lse[i]) * static_cast<double>(gi));
      oi[target[i]] -= gi;
    }
  });
}

void check_shapes(const torch::Tensor& logits, const torch::Tensor& target) {
  if (logits.dim() != 2 || target.dim() != 1 || target.size(0) != logits.size(0))
    fail(ErrorCode::Batch, "cross_entropy_rows: logits must be [N,V] and target [N]");
  if (target.scalar_type() != torch::kInt64) fail(ErrorCode::Batch, "cross_entropy_rows: target must be int64");
}

// The fused kernels index rows by target without bounds checks: a CPU-side range check first (the
// composite path needs none: torch checks, and on CUDA this would cost two host syncs a call).
void check_target_range(const torch::Tensor& logits, const torch::Tensor& target) {
  if (target.numel() > 0) {
    const int64_t lo = target.min().item<int64_t>(), hi = target.max().item<int64_t>();
    if (lo < 0 || hi >= logits.size(1))
      fail(ErrorCode::Batch, "cross_entropy_rows: target id " + std::to_string(lo < 0 ? lo : hi) + " outside the vocabulary [0, " +
                                 std::to_string(logits.size(1)) + ")");
  }
}

bool fusable(const torch::Tensor& logits) {
  const auto st = logits.scalar_type();
  return logits.device().is_cpu() && (st == torch::kFloat32 || st == torch::kFloat64) && logits.size(1) > 0;
}

torch::Tensor forward_values(const torch::Tensor& x, const torch::Tensor& target, torch::Tensor* lse_out) {
  const int64_t N = x.size(0), V = x.size(1);
  torch::Tensor ce = torch::empty({N}, x.options());
  torch::Tensor lse = torch::empty({N}, x.options().dtype(torch::kFloat64));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cross_entropy_rows", [&] {
    forward_rows<scalar_t>(x.data_ptr<scalar_t>(), target.data_ptr<int64_t>(), N, V, ce.data_ptr<scalar_t>(), lse.data_ptr<double>());
  });
  if (lse_out) *lse_out = lse;
  return ce;
}

struct FusedCrossEntropy : torch::autograd::Function<FusedCrossEntropy> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& target) {
    torch::Tensor x = logits.contiguous();
    torch::Tensor t = target.contiguous();
    torch::Tensor lse;
    torch::Tensor ce = forward_values(x, t, &lse);
    ctx->save_for_backward({x, t, lse});
    return ce;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &t = saved[1], &lse = saved[2];
    torch::Tensor g = grads[0].to(x.scalar_type()).contiguous();
    torch::Tensor out = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "cross_entropy_rows_backward", [&] {
      backward_rows<scalar_t>(x.data_ptr<scalar_t>(), t.data_ptr<int64_t>(), lse.data_ptr<double>(), g.data_ptr<scalar_t>(), x.size(0),
                              x.size(1), out.data_ptr<scalar_t>());
    });
    return {out, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor cross_entropy_rows(const torch::Tensor& logits, const torch::Tensor& target) {
  check_shapes(logits, target);
  if (!fusable(logits))
    return torch::nn::functional::cross_entropy(logits, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  check_target_range(logits, target);
  return FusedCrossEntropy::apply(logits, target);
}

torch::Tensor target_logprobs_rows(const torch::Tensor& logits, const torch::Tensor& target) {
  check_shapes(logits, target);
  torch::NoGradGuard ng;
  if (!fusable(logits)) return torch::log_softmax(logits, -1).gather(-1, target.unsqueeze(-1)).squeeze(-1);
  check_target_range(logits, target);
  return -forward_values(logits.contiguous(), target.contiguous(), nullptr);
}

}  // namespace eye
