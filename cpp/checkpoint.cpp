#include "checkpoint.h"

#include <sys/stat.h>
#include <torch/version.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "errors.h"
#include "safetensors.h"

namespace eye {

namespace fs = std::filesystem;
using json = nlohmann::json;

torch::ScalarType parse_dtype(const std::string& n) {
  if (n == "float32" || n == "fp32" || n == "f32") return torch::kFloat32;
  if (n == "float64" || n == "fp64" || n == "f64") return torch::kFloat64;
  if (n == "bfloat16" || n == "bf16") return torch::kBFloat16;
  if (n == "float16" || n == "fp16" || n == "f16") return torch::kFloat16;
  fail(ErrorCode::Argument, "unknown dtype \"" + n + "\" (use float32, float64, bfloat16 or float16)");
}

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return c10::toString(t);
  }
}

torch::Device parse_device(const std::string& n) {
  if (n == "cpu") return torch::Device(torch::kCPU);
  if (n == "cuda") return torch::Device(torch::kCUDA, 0);
  if (n.rfind("cuda:", 0) == 0) {
    const std::string idx = n.substr(5);
    if (!idx.empty() && idx.size() <= 2 && idx.find_first_not_of("0123456789") == std::string::npos)
      return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(std::stoi(idx)));
  }
  fail(ErrorCode::Argument, "unknown device \"" + n + "\" (use cpu, cuda or cuda:N)");
}

std::string device_name(torch::Device d) {
  if (d.is_cpu()) return "cpu";
  return d.str();  // "cuda:0"
}

void check_device(torch::Device d, const std::string& requested) {
  if (d.is_cpu()) return;
  const std::string name = requested.empty() ? device_name(d) : requested;
  const std::string lib = std::string("libtorch ") + TORCH_VERSION;
  if (!at::hasCUDA())
    fail(ErrorCode::Argument, "device " + name + " requested but this libtorch build has no CUDA (" + lib +
                                  ", CPU): build against a CUDA libtorch with TORCH_DIR=/path/to/libtorch (or a CUDA "
                                  "Python torch; see README, GPU (CUDA)), or use device cpu");
  const int64_t n = static_cast<int64_t>(torch::cuda::device_count());
  if (n == 0 || !torch::cuda::is_available())
    fail(ErrorCode::Argument, "device " + name + " requested but no CUDA device is visible (" + lib +
                                  " with CUDA; check the driver and CUDA_VISIBLE_DEVICES), or use device cpu");
  if (d.index() >= n)
    fail(ErrorCode::Argument, "device " + name + " requested but only " + std::to_string(n) + " CUDA device" +
                                  (n == 1 ? " is" : "s are") + " visible (cuda:0" + (n > 1 ? "..cuda:" + std::to_string(n - 1) : "") + ")");
}

namespace {

std::string shape_str(c10::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

// name → file, for a single file or a sharded checkpoint.
std::map<std::string, std::string> weight_map(const std::string& dir) {
  const fs::path single = fs::path(dir) / "model.safetensors";
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  std::map<std::string, std::string> out;
  if (fs::exists(single)) return out;  // empty map = everything from the single file
  if (!fs::exists(index))
    fail(ErrorCode::Checkpoint, dir + ": no model.safetensors or model.safetensors.index.json (only safetensors "
                                      "checkpoints are read; convert .bin files with HF's save_pretrained)");
  std::ifstream in(index);
  json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    fail(ErrorCode::Checkpoint, index.string() + ": not valid JSON: " + e.what());
  }
  if (!j.contains("weight_map") || !j["weight_map"].is_object())
    fail(ErrorCode::Checkpoint, index.string() + ": missing object \"weight_map\"");
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it->is_string()) fail(ErrorCode::Checkpoint, index.string() + ": weight_map[\"" + it.key() + "\"] is not a file name");
    const std::string f = it->get<std::string>();
    if (f.find('/') != std::string::npos || f.find("..") != std::string::npos)
      fail(ErrorCode::Checkpoint, index.string() + ": shard name \"" + f + "\" must be a plain file name");
    out[it.key()] = f;
  }
  return out;
}

}  // namespace

CausalLM init_model(const std::string& config_path, torch::ScalarType dtype, uint64_t seed, torch::Device device) {
  check_device(device);
  ModelConfig c = load_config(config_path);
  CausalLM m(c);
  m->to(dtype);
  m->init_weights(seed);
  m->move_to(device);
  return m;
}

CausalLM load_model(const std::string& dir, torch::ScalarType dtype, LoadReport* report, torch::Device device) {
  check_device(device);
  ModelConfig c = load_config((fs::path(dir) / "config.json").string());
  CausalLM m(c);
  m->to(dtype);
  auto wm = weight_map(dir);
  std::map<std::string, std::unique_ptr<SafetensorsFile>> files;
  auto file_for = [&](const std::string& name) -> SafetensorsFile& {
    std::string f = "model.safetensors";
    if (!wm.empty()) {
      auto it = wm.find(name);
      if (it == wm.end())
        fail(ErrorCode::Checkpoint, dir + ": missing tensor \"" + name + "\" (not in model.safetensors.index.json)");
      f = it->second;
    }
    auto& slot = files[f];
    if (!slot) slot = std::make_unique<SafetensorsFile>((fs::path(dir) / f).string());
    return *slot;
  };
  std::set<std::string> used;
  torch::NoGradGuard ng;
  for (auto& kv : m->named_parameters(true)) {
    const std::string& name = kv.key();
    SafetensorsFile& f = file_for(name);
    if (!f.has(name))
      fail(ErrorCode::Checkpoint, f.path() + ": missing tensor \"" + name + "\" that config.json implies (" +
                                      c.architecture + ", shape " + shape_str(kv.value().sizes()) + ")");
    const TensorEntry& e = f.entry(name);
    if (c10::IntArrayRef(e.shape) != kv.value().sizes())
      fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + name + "\" has shape " + shape_str(e.shape) +
                                      " but config.json implies " + shape_str(kv.value().sizes()));
    torch::Tensor src = f.view(name);
    if (!src.is_floating_point())
      fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + name + "\" has non-float dtype " + e.dtype);
    if (report && report->source_dtype.empty()) report->source_dtype = e.dtype;
    kv.value().copy_(src);
    used.insert(name);
  }
  if (report) {
    for (auto& f : files) {
      report->files.push_back(f.second->path());
      for (auto& e : f.second->entries())
        if (!used.count(e.first) && !(c.tie_word_embeddings && e.first == "lm_head.weight") &&
            e.first.find("rotary_emb.inv_freq") == std::string::npos)
          report->unused.push_back(e.first);
    }
  }
  m->move_to(device);  // read on the CPU (from the mapping), then moved once
  return m;
}

void save_model(CausalLM& m, const std::string& dir, torch::ScalarType dtype) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::Checkpoint, dir + ": cannot create folder: " + ec.message());
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& kv : m->named_parameters(true)) tensors.emplace_back(kv.key(), kv.value().detach().to(torch::kCPU, dtype));
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors, {{"format", "pt"}});
  json cfg = json::parse(m->config.raw);
  cfg["torch_dtype"] = dtype_name(dtype);
  const std::string tmp = (fs::path(dir) / "config.json.tmp").string();
  {
    std::ofstream out(tmp);
    out << cfg.dump(2) << "\n";
    if (!out) fail(ErrorCode::Checkpoint, tmp + ": write failed");
  }
  fs::rename(tmp, fs::path(dir) / "config.json", ec);
  if (ec) fail(ErrorCode::Checkpoint, dir + "/config.json: rename failed: " + ec.message());
}

}  // namespace eye
