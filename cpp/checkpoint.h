// Hugging Face model folders: config.json + model.safetensors (or sharded via
// model.safetensors.index.json). Loading checks every tensor the config implies: present, same shape.
#pragma once
#include <string>
#include <vector>

#include "llama.h"

namespace eye {

struct LoadReport {
  std::vector<std::string> files;       // safetensors files read
  std::vector<std::string> unused;      // tensors in the files the model has no parameter for
  std::string source_dtype;             // dtype of the first weight in the files (F32, BF16, ...)
};

// Builds the model from dir/config.json in `dtype` and fills it from the checkpoint files.
CausalLM load_model(const std::string& dir, torch::ScalarType dtype, LoadReport* report);

// Builds a fresh model from dir/config.json with HF initialisation from `seed`.
CausalLM init_model(const std::string& config_path, torch::ScalarType dtype, uint64_t seed);

// Writes dir/model.safetensors (parameters cast to `dtype`; tied lm_head not stored) and
// dir/config.json (the original text, torch_dtype updated). Creates dir if needed.
void save_model(CausalLM& model, const std::string& dir, torch::ScalarType dtype);

torch::ScalarType parse_dtype(const std::string& name);  // float32|float64|bfloat16|float16
std::string dtype_name(torch::ScalarType t);

}  // namespace eye
