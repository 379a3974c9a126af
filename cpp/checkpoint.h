// Hugging Face model folders: config.json + model.safetensors (or sharded via
// model.safetensors.index.json). Loading checks every tensor the config implies: present, same shape.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llama.h"

namespace eye {

struct LoadReport {
  std::vector<std::string> files;       // safetensors files read
  // Tensors in the files the model has no parameter for, of any dtype (F8_E4M3, U32, ... too);
  // a stored lm_head.weight of a tied model and rotary inv_freq buffers are not listed.
  std::vector<std::string> unused;
  std::string source_dtype;             // safetensors dtype of the first weight the model uses (F32, BF16, ...)
  torch::ScalarType dtype = torch::kFloat32;  // the dtype the model was built in
};

// The dtype a checkpoint folder's weights are in, as HF's dtype="auto": config.json "dtype"
// (transformers v5) or "torch_dtype" (v4) when it names a float dtype, else the safetensors dtype
// of the first weight the model uses (F32/F16/BF16/F64), else float32.
torch::ScalarType checkpoint_dtype(const std::string& dir);

// Builds the model from dir/config.json with its parameters created directly in `dtype` (default:
// checkpoint_dtype(dir), so a bf16 checkpoint stays bf16) and fills it from the checkpoint files:
// each tensor is copied from the memory-mapped file straight into its parameter (bf16 → bf16 is a
// memcpy; no intermediate copy) and its mapped pages are dropped right after, one file at a time,
// so peak host memory ≈ the model + a 16 MB slice. With a CUDA `device` each tensor is copied from
// the mapping straight to the device (host memory ≈ one slice).
// Tensors the model does not use never block a load, whatever their dtype (listed in
// report->unused); a used tensor of a dtype the engine cannot read is refused, naming it.
CausalLM load_model(const std::string& dir, std::optional<torch::ScalarType> dtype, LoadReport* report,
                    torch::Device device = torch::kCPU);

// Builds a fresh model from dir/config.json with HF initialisation from `seed` (drawn on the CPU,
// so a seed gives the same weights on every device), then moves it to `device`.
CausalLM init_model(const std::string& config_path, torch::ScalarType dtype, uint64_t seed,
                    torch::Device device = torch::kCPU);

// The tensor names (and shapes) a checkpoint of this config holds, in save order: the model's
// parameters as the engine builds them for the family (a tied lm_head is not one), built on the
// meta device, so no memory is allocated whatever the config's size. The one list of HF tensor
// names per family: load_model reads these, save_model writes these, `model info` compares a
// folder against them. Throws EngineError(Config) for a config the engine refuses.
std::vector<std::pair<std::string, std::vector<int64_t>>> tensor_names(const ModelConfig& config);

// transformers v5's save_pretrained default max_shard_size ("50GB"), in bytes.
constexpr uint64_t kDefaultMaxShardSize = 50ull * 1000 * 1000 * 1000;

// Writes the parameters (cast to `dtype`, copied to the CPU one at a time; a tied lm_head is not
// stored) and dir/config.json (the original text, "torch_dtype" — and "dtype" when present —
// updated). Up to `max_shard_size` bytes of tensor data this is one dir/model.safetensors; above
// it, HF's sharded layout: model-00001-of-0000N.safetensors split as huggingface_hub's
// split_state_dict_into_shards (tensors in order; a new shard when the next tensor would pass the
// limit; a tensor larger than the limit alone in its shard) plus model.safetensors.index.json
// ({"metadata": {"total_parameters", "total_size"}, "weight_map"}). Every file is written
// atomically; files of an earlier save in the other layout are removed after the new one is
// complete. Creates dir if needed.
void save_model(CausalLM& model, const std::string& dir, torch::ScalarType dtype,
                uint64_t max_shard_size = kDefaultMaxShardSize);

// "5GB", "500MB", "10KB", "1TB" (decimal units, as huggingface_hub's parse_size_to_int) or a
// plain byte count → bytes. Throws EngineError(Argument) on anything else or a size of 0.
uint64_t parse_shard_size(const std::string& text);

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
