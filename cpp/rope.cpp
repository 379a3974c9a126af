#include "rope.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>

namespace eye {

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

// HF get_mscale (yarn).
double get_mscale(double scale, double mscale = 1.0) { return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

}  // namespace

torch::Tensor RotaryEmbedding::base_inv(double base) const {
  // 1 / base^(2i/dim), i = 0 .. dim/2-1
  torch::Tensor idx = torch::arange(0, dim_, 2, torch::kInt64).to(torch::kFloat64) / static_cast<double>(dim_);
  return 1.0 / torch::pow(torch::full({}, base, f64), idx);
}

RotaryEmbedding::RotaryEmbedding(const ModelConfig& c)
    : enabled(c.uses_rope()), s_(c.rope_scaling), theta_(c.rope_theta),
      max_pos_(static_cast<double>(c.max_position_embeddings)), dim_(c.rotary_dim()) {
  if (!enabled) return;
  // The frequencies a call within the original length uses (HF's init-time inv_freq).
  std::tie(inv_freq, attention_factor) = frequencies(0);
}

std::pair<torch::Tensor, double> RotaryEmbedding::frequencies(int64_t seq_len) const {
  const std::string& t = s_.type;
  torch::Tensor inv = base_inv(theta_);
  double af = 1.0;
  if (t == "default") {
  } else if (t == "linear") {
    inv = inv / s_.factor;  // same as dividing positions by factor (HF _compute_linear_scaling_rope_parameters)
  } else if (t == "dynamic") {
    // HF _compute_dynamic_ntk_parameters: base · ((factor·L/max_pos) − (factor−1))^(dim/(dim−2)),
    // L = max(seq_len, max_position_embeddings) (so within the original length: the default).
    const double L = std::max(static_cast<double>(seq_len), max_pos_);
    const double base =
        theta_ * std::pow(s_.factor * L / max_pos_ - (s_.factor - 1), static_cast<double>(dim_) / (dim_ - 2));
    inv = base_inv(base);
  } else if (t == "llama3") {
    // HF _compute_llama3_parameters (Llama 3.1 frequency-dependent scaling).
    const double orig = s_.original_max_position_embeddings;
    const double low_wavelen = orig / s_.low_freq_factor, high_wavelen = orig / s_.high_freq_factor;
    torch::Tensor wavelen = 2 * M_PI / inv;
    torch::Tensor scaled = torch::where(wavelen > low_wavelen, inv / s_.factor, inv);
    torch::Tensor smooth = (orig / wavelen - s_.low_freq_factor) / (s_.high_freq_factor - s_.low_freq_factor);
    torch::Tensor smoothed = (1 - smooth) * scaled / s_.factor + smooth * scaled;
    torch::Tensor medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
    inv = torch::where(medium, smoothed, scaled);
  } else if (t == "yarn") {
    // HF _compute_yarn_parameters.
    const double f = s_.factor, orig = s_.original_max_position_embeddings, d = static_cast<double>(dim_);
    af = s_.attention_factor >= 0 ? s_.attention_factor
         : (s_.mscale != 0 && s_.mscale_all_dim != 0) ? get_mscale(f, s_.mscale) / get_mscale(f, s_.mscale_all_dim)
                                                      : get_mscale(f);
    auto correction_dim = [&](double rot) { return (d * std::log(orig / (rot * 2 * M_PI))) / (2 * std::log(theta_)); };
    double low = correction_dim(s_.beta_fast), high = correction_dim(s_.beta_slow);
    if (s_.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, d - 1);
    if (low == high) high += 0.001;  // HF: prevent singularity
    torch::Tensor ramp = ((torch::arange(dim_ / 2, f64) - low) / (high - low)).clamp(0, 1);
    torch::Tensor extrapolation_factor = 1 - ramp;
    torch::Tensor extrapolation = inv, interpolation = inv / f;
    inv = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor;
  } else if (t == "longrope") {
    // HF _compute_longrope_parameters + longrope_frequency_update.
    const double orig = s_.original_max_position_embeddings;
    af = s_.attention_factor >= 0 ? s_.attention_factor
         : s_.factor <= 1.0       ? 1.0
                                  : std::sqrt(1 + std::log(s_.factor) / std::log(orig));
    const auto& ext = static_cast<double>(seq_len) > orig ? s_.long_factor : s_.short_factor;
    inv = inv / torch::tensor(ext, f64);
  }
  return {inv, af};
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::operator()(const torch::Tensor& positions,
                                                                     torch::ScalarType dtype) const {
  if (!enabled) return {};
  torch::Tensor inv = inv_freq;
  double af = attention_factor;
  if (s_.type == "dynamic" || s_.type == "longrope") {
    const int64_t seq_len = positions.numel() ? positions.max().item<int64_t>() + 1 : 0;
    std::tie(inv, af) = frequencies(seq_len);
  }
  // HF computes the angles in float32; a float64 model keeps float64 so gradients check exactly.
  const auto calc = dtype == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  inv = inv.to(positions.device(), calc);
  torch::Tensor freqs = positions.to(calc).unsqueeze(-1) * inv;    // [B,T,rd/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);  // [B,1,T,rd]
  torch::Tensor cos = emb.cos(), sin = emb.sin();
  if (af != 1.0) {
    cos = cos * af;
    sin = sin * af;
  }
  return {cos.to(dtype), sin.to(dtype)};
}

torch::Tensor apply_rope_composite(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t rd = cos.size(-1), D = x.size(-1);
  auto rotate = [](const torch::Tensor& v) {
    const int64_t h = v.size(-1) / 2;
    return torch::cat({-v.narrow(-1, h, h), v.narrow(-1, 0, h)}, -1);
  };
  if (rd == D) return x * cos + rotate(x) * sin;
  torch::Tensor r = x.narrow(-1, 0, rd);
  return torch::cat({r * cos + rotate(r) * sin, x.narrow(-1, rd, D - rd)}, -1);
}

namespace {

// Strided 4-D views with unit channel stride: row (b, h, t) starts at b·s0 + h·s1 + t·s2.
struct Rows4 {
  int64_t H, T, s0, s1, s2;
  explicit Rows4(const torch::Tensor& t) : H(t.size(1)), T(t.size(2)), s0(t.stride(0)), s1(t.stride(1)), s2(t.stride(2)) {}
  int64_t offset(int64_t row) const {
    const int64_t t = row % T, bh = row / T;
    return (bh / H) * s0 + (bh % H) * s1 + t * s2;
  }
};

// One pass per row: y_j = x_j·c_j − x_{j+h}·s_j, y_{j+h} = x_{j+h}·c_{j+h} + x_j·s_{j+h} (j < h = rd/2),
// y_j = x_j beyond rd. `sign` = −1 applies the transpose (the backward: R(θ)ᵀ = R(−θ) with the
// table's halves swapped, written out below). Same products and sums as the composite expression,
// so the result is the same to the last bit when the compiler does not contract to FMA.
template <typename T>
void rope_rows(const T* x, const Rows4& xr, const T* c, const T* s, const Rows4& cr, T* y, const Rows4& yr, int64_t rows, int64_t D,
               int64_t rd, bool transpose) {
  const int64_t h = rd / 2;
  at::parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const T* xi = x + xr.offset(row);
      const T* ci = c + cr.offset(row);
      const T* si = s + cr.offset(row);
      T* yi = y + yr.offset(row);
      if (!transpose) {
        for (int64_t j = 0; j < h; ++j) {
          yi[j] = xi[j] * ci[j] + (-xi[j + h]) * si[j];
          yi[j + h] = xi[j + h] * ci[j + h] + xi[j] * si[j + h];
        }
      } else {
        // ∂L/∂x_j = g_j·c_j + g_{j+h}·s_{j+h};  ∂L/∂x_{j+h} = g_{j+h}·c_{j+h} − g_j·s_j.
        for (int64_t j = 0; j < h; ++j) {
          yi[j] = xi[j] * ci[j] + xi[j + h] * si[j + h];
          yi[j + h] = xi[j + h] * ci[j + h] + (-xi[j]) * si[j];
        }
      }
      for (int64_t j = rd; j < D; ++j) yi[j] = xi[j];
    }
  });
}

torch::Tensor rope_apply_rows(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, bool transpose) {
  const int64_t D = x.size(-1), rd = cos.size(-1);
  torch::Tensor y = torch::empty_like(x);  // same strides as x (dense): no transpose copies
  if (y.stride(-1) != 1) y = torch::empty(x.sizes(), x.options());
  const Rows4 xr(x), yr(y), cr(cos);
  const int64_t rows = x.size(0) * x.size(1) * x.size(2);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rope", [&] {
    rope_rows<scalar_t>(x.data_ptr<scalar_t>(), xr, cos.data_ptr<scalar_t>(), sin.data_ptr<scalar_t>(), cr, y.data_ptr<scalar_t>(), yr, rows, D, rd,
                        transpose);
  });
  return y;
}

struct FusedRope : torch::autograd::Function<FusedRope> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return rope_apply_rows(x, cos, sin, false);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor g = grads[0].stride(-1) == 1 ? grads[0] : grads[0].contiguous();
    return {rope_apply_rows(g, saved[0], saved[1], true), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  // The fused CPU kernel: one pass forward and one backward instead of neg/cat/mul/mul/add (and
  // their backward). Needs a 4-D float32/float64 x with unit channel stride and cos/sin that
  // broadcast to it without needing gradients (the tables are constants); otherwise the composite.
  const auto st = x.scalar_type();
  const bool fusable = x.device().is_cpu() && (st == torch::kFloat32 || st == torch::kFloat64) && x.dim() == 4 && x.stride(-1) == 1 &&
                       cos.scalar_type() == st && sin.scalar_type() == st && cos.sizes() == sin.sizes() && cos.dim() <= 4 &&
                       cos.size(-1) % 2 == 0 && cos.size(-1) <= x.size(-1) && !cos.requires_grad() && !sin.requires_grad() && x.numel() > 0;
  if (!fusable) return apply_rope_composite(x, cos, sin);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = cos.size(-1);
  torch::Tensor c, s;
  try {
    c = cos.expand(shape);
    s = sin.expand(shape);
  } catch (const c10::Error&) {
    return apply_rope_composite(x, cos, sin);  // shapes that do not broadcast: let ATen say so
  }
  if (c.stride(-1) != 1 || s.stride(-1) != 1 || c.strides() != s.strides()) return apply_rope_composite(x, cos, sin);
  return FusedRope::apply(x, c, s);
}

}  // namespace eye
