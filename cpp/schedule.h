// Learning-rate schedules: linear warm-up, then constant, linear or cosine decay to min_lr_ratio·lr.
// Warm-up uses (step+1)/warmup so the first optimizer step already moves (HF's lambda gives step 0
// a learning rate of exactly 0, which wastes a step).
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

namespace eye {

struct Schedule {
  double lr = 3e-4;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // 0 = no decay (constant after warm-up)
  std::string kind = "constant";  // constant | linear | cosine
  double min_lr_ratio = 0.0;

  // Learning rate for optimizer step `step` (0-based).
  double at(int64_t step) const {
    if (warmup_steps > 0 && step < warmup_steps) return lr * static_cast<double>(step + 1) / warmup_steps;
    if (kind == "constant" || total_steps <= warmup_steps) return lr;
    double progress = static_cast<double>(step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
    if (progress > 1) progress = 1;
    const double shape = kind == "cosine" ? 0.5 * (1.0 + std::cos(M_PI * progress)) : 1.0 - progress;
    return lr * (min_lr_ratio + (1.0 - min_lr_ratio) * shape);
  }
};

}  // namespace eye
