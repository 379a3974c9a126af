// Phase profile of the engine's training step, outside Node: the same engine code (cpp/llama.cpp,
// loss.cpp, adamw.cpp, trainer.cpp) driven step by step with a wall clock around each phase of
// Trainer::step, plus candidate replacements measured in the same process on the same gradients:
//   - clip_grad_norm with one _foreach_norm + one sync instead of one .item() per parameter,
//   - AdamW with _foreach ops (one kernel launch per op over all parameters),
//   - the per-forward causal mask + RoPE construction on its own.
// Not part of the build; compile by hand (does not touch build/):
//   bash bench/lib/profile_step.sh   (→ /tmp/eyemulator-profile-step, then runs it)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../../cpp/adamw.h"
#include "../../cpp/config.h"
#include "../../cpp/llama.h"
#include "../../cpp/loss.h"
#include "../../cpp/trainer.h"

using clk = std::chrono::steady_clock;
static double ms(clk::time_point a, clk::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
static double med(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

int main(int argc, char** argv) {
  // args: vocab hidden layers heads intermediate seq batch steps threads weighted
  auto arg = [&](int i, int64_t d) { return argc > i ? std::stoll(argv[i]) : d; };
  const int64_t V = arg(1, 8192), H = arg(2, 512), L = arg(3, 4), NH = arg(4, 8), I = arg(5, 1376), T = arg(6, 256),
                B = arg(7, 8), steps = arg(8, 5), threads = arg(9, 2), weighted = arg(10, 0);
  at::set_num_threads(static_cast<int>(threads));
  char cfg[1024];
  std::snprintf(cfg, sizeof cfg,
                R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":%ld,"hidden_size":%ld,)"
                R"("intermediate_size":%ld,"num_hidden_layers":%ld,"num_attention_heads":%ld,"num_key_value_heads":%ld,)"
                R"("max_position_embeddings":2048,"rms_norm_eps":1e-6,"rope_theta":10000,"tie_word_embeddings":false})",
                (long)V, (long)H, (long)I, (long)L, (long)NH, (long)NH);
  eye::ModelConfig c = eye::parse_config(cfg, "<profile>");
  eye::CausalLM model(c);
  model->init_weights(1);
  auto [params, decay] = eye::trainable_parameters(*model);
  eye::AdamWOptions ao;
  ao.weight_decay = 0.01;
  eye::AdamW opt(params, decay, ao);

  torch::manual_seed(7);
  eye::Batch b;
  b.input_ids = torch::randint(V, {B, T}, torch::kInt64);
  b.labels = b.input_ids.clone();
  if (weighted) b.weights = 1 + 4 * torch::rand({B, T});

  std::vector<std::string> names = {"validate+positions", "forward", "loss", "backward", "clip (engine)", "adamw (engine)",
                                    "loss.item", "total"};
  std::vector<std::vector<double>> t(names.size());
  std::vector<double> clipForeach, adamForeach, maskRope, adamPlain;
  // foreach AdamW state (separate copy so the engine optimizer's state is not disturbed)
  std::vector<torch::Tensor> fm, fv, fp, fg;
  for (auto& p : params) {
    fm.push_back(torch::zeros_like(p));
    fv.push_back(torch::zeros_like(p));
    fp.push_back(p.detach().clone());
  }
  torch::GradMode::set_enabled(true);
  model->train();
  for (int64_t s = 0; s < steps + 1; ++s) {
    auto t0 = clk::now();
    eye::validate_batch(b, V);
    auto [n, w] = eye::loss_positions(b);
    auto t1 = clk::now();
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    torch::Tensor logits = model->forward(b.input_ids, b.attention_mask);
    auto t2 = clk::now();
    torch::Tensor loss = eye::weighted_ce(logits, b, false, static_cast<double>(n)).loss;
    auto t3 = clk::now();
    loss.backward();
    auto t4 = clk::now();
    eye::clip_grad_norm(params, 1.0);
    auto t5 = clk::now();
    opt.step(3e-4);
    auto t6 = clk::now();
    volatile double lv = loss.item<double>();
    (void)lv;
    auto t7 = clk::now();
    if (s == 0) continue;  // warm-up
    std::vector<double> d = {ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t3, t4), ms(t4, t5), ms(t5, t6), ms(t6, t7), ms(t0, t7)};
    for (size_t i = 0; i < d.size(); ++i) t[i].push_back(d[i]);

    // --- candidates, on the same gradients -----------------------------------------------------
    torch::NoGradGuard ng;
    std::vector<torch::Tensor> grads;
    for (auto& p : params) grads.push_back(p.grad());
    auto a0 = clk::now();
    {
      auto norms = at::_foreach_norm(grads, 2);
      double total = torch::stack(norms).norm().item<double>();
      if (total > 1.0) at::_foreach_mul_(grads, 1.0 / (total + 1e-6));
    }
    auto a1 = clk::now();
    {
      const double b1 = 0.9, b2 = 0.999, lr = 3e-4, eps = 1e-8;
      const double bc1 = 1 - std::pow(b1, s), bc2 = 1 - std::pow(b2, s);
      at::_foreach_mul_(fp, 1 - lr * 0.01);  // (decay on all here: same cost)
      at::_foreach_mul_(fm, b1);
      at::_foreach_add_(fm, grads, 1 - b1);
      at::_foreach_mul_(fv, b2);
      at::_foreach_addcmul_(fv, grads, grads, 1 - b2);
      auto denom = at::_foreach_sqrt(fv);
      at::_foreach_div_(denom, std::sqrt(bc2));
      at::_foreach_add_(denom, eps);
      at::_foreach_addcdiv_(fp, fm, denom, -lr / bc1);
    }
    auto a2 = clk::now();
    {
      auto dt = torch::kFloat32;
      torch::Tensor blocked = torch::ones({T, T}, torch::kBool).triu(1).view({1, 1, T, T});
      torch::Tensor mask = torch::zeros(blocked.sizes(), torch::dtype(dt)).masked_fill(blocked, -3.4e38);
      torch::Tensor pos = torch::arange(T, torch::kInt64).unsqueeze(0).expand({B, T});
      auto cs = model->rope(pos, dt);
      (void)cs;
    }
    auto a3 = clk::now();
    clipForeach.push_back(ms(a0, a1));
    adamForeach.push_back(ms(a1, a2));
    maskRope.push_back(ms(a2, a3));
  }
  std::printf("engine phases, median of %ld steps (ms), %ld threads, V%ld H%ld L%ld I%ld B%ld T%ld weighted=%ld\n", (long)steps,
              (long)threads, (long)V, (long)H, (long)L, (long)I, (long)B, (long)T, (long)weighted);
  for (size_t i = 0; i < names.size(); ++i) std::printf("  %-20s %9.1f\n", names[i].c_str(), med(t[i]));
  std::printf("candidates:\n  %-20s %9.1f\n  %-20s %9.1f\n  %-20s %9.1f\n", "clip (_foreach_norm)", med(clipForeach),
              "adamw (_foreach)", med(adamForeach), "mask+rope build", med(maskRope));
  return 0;
}
