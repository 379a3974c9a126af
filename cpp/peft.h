// PEFT LoRA adapter folders, as PEFT 0.21 writes and reads them:
//   adapter_config.json          LoraConfig's fields (sorted keys, indent 2)
//   adapter_model.safetensors    "base_model.model.<module path>.lora_A.weight" [r, in] and
//                                "….lora_B.weight" [out, r] per adapted module (no adapter name)
// so PEFT users load our adapters and we load theirs (sources: peft/config.py save_pretrained,
// peft/utils/save_and_load.py get_peft_model_state_dict, peft/tuners/lora/config.py).
#pragma once
#include <string>

#include "llama.h"

namespace eye {

// Parses dir/adapter_config.json into a LoraConfig (source = that path, raw = its text).
// Implemented: r, lora_alpha, lora_dropout, target_modules (list of suffixes / full module names, a
// regex, "all-linear"), exclude_modules, layers_to_transform, layers_pattern, rank_pattern,
// alpha_pattern, use_rslora. Harmless at load and ignored: the fields in kHarmlessAdapterFields
// (peft.cpp), among them init_lora_weights when it only sets the *initial* A/B (true, false,
// "gaussian", "orthogonal", "eva": the file's tensors replace them). Refused with a CheckpointError
// naming the field: peft_type other than LORA, task_type other than CAUSAL_LM, use_dora,
// modules_to_save, bias other than "none", fan_in_fan_out, lora_bias, target_parameters,
// layer_replication, megatron_config, trainable_token_indices, alora_invocation_tokens, use_qalora,
// velora/kasa/monteclora/bdlora/arrow configs, ensure_weight_tying, init_lora_weights that changes
// the base weights (pissa, olora, corda, loftq, lora_ga, mica), and any other field whose value is
// not null/false/empty (an unknown field may change the maths).
LoraConfig read_adapter_config(const std::string& dir);

// Reads the config, attaches adapters to the modules PEFT would adapt (CausalLMImpl::add_lora) and
// fills them from dir/adapter_model.safetensors. Refused (CheckpointError naming the file): a
// missing adapter tensor, a tensor that matches no adapted module (e.g. DoRA's
// lora_magnitude_vector), a shape other than [r, in] / [out, r] for that module's r, only an
// adapter_model.bin (pickle). Returns the config.
LoraConfig load_adapter(CausalLMImpl& m, const std::string& dir);

// Writes dir/adapter_model.safetensors (the adapters in their own dtype: float32, float64 on a
// float64 model) and dir/adapter_config.json, each atomically (temp, fsync, rename); creates dir.
// base_model_name_or_path: `base` as the user gave it (an HF id or the path as typed), written
// unchanged; empty keeps the loaded adapter's value (or null). An adapter loaded from a folder is
// written back with its original config fields; a fresh one (add_lora) with every field PEFT 0.21
// writes. Errors: State when the model has no adapter, Checkpoint on I/O failure.
void save_adapter(CausalLMImpl& m, const std::string& dir, const std::string& base);

}  // namespace eye
