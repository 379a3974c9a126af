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

// Builds the model from dir/config.json in `dtype` and fills it from the checkpoint files: the
// tensors are read on the CPU (memory-mapped) and the filled model is then moved to `device`.
CausalLM load_model(const std::string& dir, torch::ScalarType dtype, LoadReport* report,
                    torch::Device device = torch::kCPU);

// Builds a fresh model from dir/config.json with HF initialisation from `seed` (drawn on the CPU,
// so a seed gives the same weights on every device), then moves it to `device`.
CausalLM init_model(const std::string& config_path, torch::ScalarType dtype, uint64_t seed,
                    torch::Device device = torch::kCPU);

// Writes dir/model.safetensors (parameters cast to `dtype` and copied to the CPU; tied lm_head not
// stored) and dir/config.json (the original text, torch_dtype updated). Creates dir if needed.
void save_model(CausalLM& model, const std::string& dir, torch::ScalarType dtype);

torch::ScalarType parse_dtype(const std::string& name);  // float32|float64|bfloat16|float16
std::string dtype_name(torch::ScalarType t);

// "cpu" | "cuda" | "cuda:N" → a device (syntax only; "cuda" means cuda:0). Anything else throws
// EngineError(Argument).
torch::Device parse_device(const std::string& name);
// Throws EngineError(Argument) when `device` cannot be used with this libtorch build / machine: a
// CUDA device with a CPU-only libtorch, no visible GPU, or an index past the visible GPUs.
// `requested` is the name the user gave (for the message).
void check_device(torch::Device device, const std::string& requested = "");
std::string device_name(torch::Device d);  // "cpu", "cuda:0", ...

}  // namespace eye
