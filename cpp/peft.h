// PEFT-compatible LoRA adapters: adapter_model.safetensors (keys as PEFT saves them, e.g.
// "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight") + adapter_config.json
// (peft_type LORA, task_type CAUSAL_LM, r, lora_alpha, lora_dropout, target_modules, ...), so PEFT
// users load our adapters and we load theirs.
#pragma once
#include <string>

#include "llama.h"

namespace eye {

void save_adapter(CausalLMImpl& m, const std::string& dir, const std::string& base_model_name_or_path);

// Reads dir/adapter_config.json, attaches adapters to the matching modules and fills them from
// dir/adapter_model.safetensors. Unsupported PEFT features (DoRA, bias training, rank patterns)
// are refused with a CheckpointError naming the field.
LoraConfig load_adapter(CausalLMImpl& m, const std::string& dir);

}  // namespace eye
