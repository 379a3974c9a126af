// Where the engine's training step spends its time: eye::Trainer::step (the very code the addon
// runs) on a random Llama-shaped model, under libtorch's Kineto CPU profiler; prints the operators
// by self time (time inside the operator minus its child operators), per step. Linked from the
// addon build's own object files (no second compile of the engine), outside Node:
//   bash bench/lib/profile_step.sh [V H L heads I T B steps threads lora_r gamma]
// Defaults: the demo bench shape (V 2000, 2×128, 16×288), 3 steps, 2 threads, full FT, γ 0.
// The same table for HF transformers (+PEFT) comes from bench/lib/profile_hf.py with the same args.
#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "../../cpp/config.h"
#include "../../cpp/cpu_allocator.h"
#include "../../cpp/llama.h"
#include "../../cpp/lora.h"
#include "../../cpp/trainer.h"

namespace prof = torch::autograd::profiler;

int main(int argc, char** argv) {
  auto arg = [&](int i, double d) { return argc > i ? std::stod(argv[i]) : d; };
  const int64_t V = arg(1, 2000), H = arg(2, 128), L = arg(3, 2), NH = arg(4, 4), T = arg(6, 288), B = arg(7, 16),
                steps = arg(8, 3), threads = arg(9, 2), rank = arg(10, 0);
  // HF's LlamaConfig default ratio (11008/4096), rounded up to a multiple of 8, as the bench does.
  const int64_t I = arg(5, ((H * 11008 / 4096) + 7) / 8 * 8);
  const double gamma = arg(11, 0);
  at::set_num_threads(static_cast<int>(threads));
  eye::install_caching_cpu_allocator();  // as the addon does (EYEMULATOR_CPU_ALLOCATOR=system: libtorch's own)
  char cfg[1024];
  std::snprintf(cfg, sizeof cfg,
                R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":%ld,"hidden_size":%ld,)"
                R"("intermediate_size":%ld,"num_hidden_layers":%ld,"num_attention_heads":%ld,"num_key_value_heads":%ld,)"
                R"("max_position_embeddings":2048,"rms_norm_eps":1e-6,"rope_theta":10000,"tie_word_embeddings":false})",
                (long)V, (long)H, (long)I, (long)L, (long)NH, (long)NH);
  eye::CausalLM model(eye::parse_config(cfg, "<profile>"));
  model->init_weights(1);
  if (rank > 0) {
    eye::LoraConfig lc;
    lc.r = rank;
    lc.alpha = 2.0 * rank;
    lc.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    model->add_lora(lc);
  }
  eye::TrainerOptions to;
  to.adamw.weight_decay = 0.01;
  to.gamma = gamma;
  eye::Trainer trainer(model, to);

  torch::manual_seed(7);
  eye::Batch b;
  b.input_ids = torch::randint(V, {B, T}, torch::kInt64);
  b.labels = b.input_ids.clone();
  b.weights = 1 + 4 * torch::rand({B, T});
  if (gamma > 0) b.path_mask = torch::rand({B, T}) < 0.3;
  for (int i = 0; i < 2; ++i) trainer.step({b});  // warm-up

  using clk = std::chrono::steady_clock;
  std::vector<double> wall;
  for (int64_t s = 0; s < steps; ++s) {
    auto t0 = clk::now();
    trainer.step({b});
    wall.push_back(std::chrono::duration<double, std::milli>(clk::now() - t0).count());
  }
  std::sort(wall.begin(), wall.end());

  // PROFILE_SHAPES=1: operators grouped by name and input shapes (which mul is the expensive one).
  const bool shapes = std::getenv("PROFILE_SHAPES") && std::string(std::getenv("PROFILE_SHAPES")) == "1";
  const torch::profiler::impl::ProfilerConfig pc(torch::profiler::impl::ProfilerState::KINETO, shapes);
  const std::set<torch::profiler::impl::ActivityType> acts{torch::profiler::impl::ActivityType::CPU};
  prof::prepareProfiler(pc, acts);
  prof::enableProfiler(pc, acts);
  for (int64_t s = 0; s < steps; ++s) trainer.step({b});
  auto result = prof::disableProfiler();

  // Self time: per thread, events nest by [start, end]; a child's duration is taken off its parent.
  struct Ev { std::string name; uint64_t s, e; uint64_t tid; };
  std::vector<Ev> evs;
  for (const auto& e : result->events())
    if (e.deviceType() == c10::DeviceType::CPU && e.endNs() > e.startNs()) {
      std::string name = e.name();
      if (shapes && e.hasShapes()) {
        name += " ";
        for (const auto& sh : e.shapes()) {
          name += "[";
          for (size_t k = 0; k < sh.size(); ++k) name += (k ? "," : "") + std::to_string(sh[k]);
          name += "]";
        }
      }
      evs.push_back({name, e.startNs(), e.endNs(), e.startThreadId()});
    }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.tid != b.tid ? a.tid < b.tid : a.s != b.s ? a.s < b.s : a.e > b.e; });
  std::map<std::string, std::pair<double, int64_t>> self;  // name → (ns, calls)
  std::vector<std::pair<const Ev*, double>> stack;         // open events with their child time
  auto close_until = [&](uint64_t t, uint64_t tid) {
    while (!stack.empty() && (stack.back().first->tid != tid || stack.back().first->e <= t)) {
      auto [ev, child] = stack.back();
      stack.pop_back();
      auto& slot = self[ev->name];
      slot.first += static_cast<double>(ev->e - ev->s) - child;
      slot.second += 1;
      if (!stack.empty() && stack.back().first->tid == ev->tid) stack.back().second += static_cast<double>(ev->e - ev->s);
    }
  };
  for (const auto& ev : evs) {
    close_until(ev.s, ev.tid);
    stack.push_back({&ev, 0.0});
  }
  close_until(UINT64_MAX, UINT64_MAX);
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> rows(self.begin(), self.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  double total = 0;
  for (const auto& r : rows) total += r.second.first;
  std::printf("eyemulator Trainer::step, V%ld H%ld L%ld I%ld B%ld T%ld, lora r%ld, gamma %g, %ld threads, torch %s\n", (long)V,
              (long)H, (long)L, (long)I, (long)B, (long)T, (long)rank, gamma, (long)threads, TORCH_VERSION);
  std::printf("wall per step (unprofiled, median of %ld): %.1f ms; profiled self time per step: %.1f ms\n", (long)steps,
              wall[wall.size() / 2], total / 1e6 / steps);
  std::printf("%-58s %10s %7s %8s\n", "operator", "ms/step", "share", "calls");
  for (size_t i = 0; i < rows.size() && i < 35; ++i)
    std::printf(shapes ? "%-90.90s %10.2f %6.1f%% %8.1f\n" : "%-58.58s %10.2f %6.1f%% %8.1f\n", rows[i].first.c_str(), rows[i].second.first / 1e6 / steps,
                100 * rows[i].second.first / total, static_cast<double>(rows[i].second.second) / steps);
  return 0;
}
