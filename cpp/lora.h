// LoRA adapters (Hu et al. 2021, as PEFT implements them): the adapter configuration and the
// resolution of which projections get an adapter. The adapter members of ProjImpl and CausalLMImpl
// (add_lora_branch, add_lora, trainable, merge_lora) are declared in llama.h and defined in lora.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eye {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16, dropout = 0.0;
  std::vector<std::string> target_modules;  // short names: q_proj, k_proj, ...
  uint64_t seed = 0;                        // init of A and the dropout stream
};

}  // namespace eye
