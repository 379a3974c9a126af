#include "checkpoint.h"

#include <sys/stat.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cancel.h"
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

std::vector<std::pair<std::string, std::vector<int64_t>>> tensor_names(const ModelConfig& config) {
  ParamDeviceScope meta(torch::kMeta);
  CausalLM m(config);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (auto& kv : m->named_parameters(true)) out.emplace_back(kv.key(), kv.value().sizes().vec());
  return out;
}

CausalLM init_model(const std::string& config_path, torch::ScalarType dtype, uint64_t seed, torch::Device device) {
  check_device(device);
  ModelConfig c = load_config(config_path);
  c.param_dtype = dtype;  // modules create their parameters in `dtype` (no float32 staging copy)
  CausalLM m(c);
  m->to(dtype);  // a no-op when they already are
  m->init_weights(seed);
  m->move_to(device);
  return m;
}

namespace {

bool float_dtype(const std::string& d) { return d == "F32" || d == "F16" || d == "BF16" || d == "F64"; }

// config.json "dtype" (v5) or "torch_dtype" (v4) when it names a float dtype the engine computes in.
std::optional<torch::ScalarType> config_dtype(const std::string& raw) {
  json j = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  for (const char* key : {"dtype", "torch_dtype"}) {
    if (!j.contains(key) || !j[key].is_string()) continue;
    const std::string v = j[key].get<std::string>();
    if (v == "float32" || v == "bfloat16" || v == "float16" || v == "float64") return parse_dtype(v);
  }
  return std::nullopt;
}

// Files of a checkpoint folder in a fixed order (the single file, or the index's shards sorted).
std::vector<std::string> checkpoint_files(const std::map<std::string, std::string>& wm) {
  if (wm.empty()) return {"model.safetensors"};
  std::set<std::string> fs_;
  for (auto& kv : wm) fs_.insert(kv.second);
  return {fs_.begin(), fs_.end()};
}

torch::ScalarType safetensors_float_dtype(const std::string& d) {
  return d == "BF16" ? torch::kBFloat16 : d == "F16" ? torch::kFloat16 : d == "F64" ? torch::kFloat64 : torch::kFloat32;
}

}  // namespace

torch::ScalarType checkpoint_dtype(const std::string& dir) {
  const std::string cfg_path = (fs::path(dir) / "config.json").string();
  ModelConfig c = load_config(cfg_path);
  if (auto d = config_dtype(c.raw)) return *d;
  // No dtype in config.json: the first float weight's (HF: the first floating-point tensor).
  auto wm = weight_map(dir);
  for (const std::string& f : checkpoint_files(wm)) {
    SafetensorsFile sf((fs::path(dir) / f).string());  // header only: no data page is touched
    for (auto& e : sf.entries())
      if (float_dtype(e.second.dtype)) return safetensors_float_dtype(e.second.dtype);
  }
  return torch::kFloat32;
}

CausalLM load_model(const std::string& dir, std::optional<torch::ScalarType> dtype, LoadReport* report, torch::Device device) {
  check_device(device);
  ModelConfig c = load_config((fs::path(dir) / "config.json").string());
  const torch::ScalarType dt = dtype ? *dtype : checkpoint_dtype(dir);
  c.param_dtype = dt;  // parameters are created in `dt` directly: the load never holds two copies
  CausalLM m(c);
  m->to(dt);  // a no-op when the modules already created them in `dt`
  auto wm = weight_map(dir);
  // Parameters grouped by the file that holds them, so each file is mapped, consumed and unmapped once.
  std::map<std::string, std::vector<std::pair<std::string, torch::Tensor>>> by_file;
  for (auto& kv : m->named_parameters(true)) {
    std::string f = "model.safetensors";
    if (!wm.empty()) {
      auto it = wm.find(kv.key());
      if (it == wm.end())
        fail(ErrorCode::Checkpoint, dir + ": missing tensor \"" + kv.key() + "\" (not in model.safetensors.index.json)");
      f = it->second;
    }
    by_file[f].emplace_back(kv.key(), kv.value());
  }
  if (report) report->dtype = dt;
  torch::NoGradGuard ng;
  for (const std::string& fname : checkpoint_files(wm)) {
    SafetensorsFile f((fs::path(dir) / fname).string());
    std::set<std::string> used;
    for (auto& [name, param] : by_file[fname]) {
      // A stop request (cpp/cancel.h) between tensors or slices: the exception unwinds `m`, so
      // everything this load allocated is freed and the caller's model is untouched.
      check_cancel("loading the checkpoint");
      if (!f.has(name))
        fail(ErrorCode::Checkpoint, f.path() + ": missing tensor \"" + name + "\" that config.json implies (" +
                                        c.architecture + ", shape " + shape_str(param.sizes()) + ")");
      const TensorEntry& e = f.entry(name);
      if (c10::IntArrayRef(e.shape) != param.sizes())
        fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + name + "\" has shape " + shape_str(e.shape) +
                                        " but config.json implies " + shape_str(param.sizes()));
      if (!float_dtype(e.dtype))
        fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + name + "\" has dtype " + e.dtype +
                                        ", but a parameter needs F32, F16, BF16 or F64 (quantized checkpoints are not "
                                        "supported: dequantize it first, e.g. with transformers)");
      if (report && report->source_dtype.empty()) report->source_dtype = e.dtype;
      // Mapped file → parameter (converting only if the dtypes differ), in slices of rows of about
      // 16 MB whose mapped pages are dropped as soon as they are copied: a large embedding then
      // never has all its file pages resident beside the parameter.
      // On a GPU the tensor goes straight to the device: the host then never holds the model (the
      // CPU parameter's storage, never written, has no resident pages and is replaced below).
      torch::Tensor src = f.view(name);
      torch::Tensor dst = device.is_cpu() ? param : torch::empty(param.sizes(), param.options().device(device));
      const int64_t rows = param.dim() > 0 ? param.size(0) : 1;
      const uint64_t row_bytes = rows > 0 ? (e.end - e.begin) / static_cast<uint64_t>(rows) : 0;
      const int64_t step = row_bytes > 0 ? std::max<int64_t>(1, static_cast<int64_t>((16u << 20) / row_bytes)) : rows;
      if (param.dim() == 0 || step >= rows) {
        dst.copy_(src);
      } else {
        for (int64_t r = 0; r < rows; r += step) {
          check_cancel("loading the checkpoint");
          const int64_t n = std::min(step, rows - r);
          dst.narrow(0, r, n).copy_(src.narrow(0, r, n));
          f.release(name, static_cast<uint64_t>(r) * row_bytes, static_cast<uint64_t>(r + n) * row_bytes);
        }
      }
      if (!device.is_cpu()) param.set_data(dst);  // in place: every handle to the parameter stays valid
      src = torch::Tensor();
      f.release(name);  // whatever pages of this tensor are still resident (the slice edges)
      used.insert(name);
    }
    if (report) {
      report->files.push_back(f.path());
      for (auto& e : f.entries())
        if (!used.count(e.first) && !(c.tie_word_embeddings && e.first == "lm_head.weight") &&
            e.first.find("rotary_emb.inv_freq") == std::string::npos)
          report->unused.push_back(e.first);
    }
  }  // each file is unmapped as its SafetensorsFile goes out of scope
  m->move_to(device);  // the rest (RoPE tables, buffers) follows; loaded parameters are already there
  return m;
}

uint64_t parse_shard_size(const std::string& text) {
  auto bad = [&]() -> uint64_t {
    fail(ErrorCode::Argument, "max shard size \"" + text + "\" is not a size (use bytes or e.g. \"5GB\", \"500MB\", \"10KB\")");
  };
  std::string s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  double mult = 1;
  if (s.size() > 2) {
    std::string unit = s.substr(s.size() - 2);
    for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const double u = unit == "TB" ? 1e12 : unit == "GB" ? 1e9 : unit == "MB" ? 1e6 : unit == "KB" ? 1e3 : 0;
    if (u > 0) {
      mult = u;
      s = s.substr(0, s.size() - 2);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    }
  }
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos) return bad();
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(s, &used);
    if (used != s.size()) return bad();
  } catch (const std::exception&) {
    return bad();
  }
  const double bytes = std::floor(v * mult);
  if (!(bytes >= 1) || bytes > 1.8e19) return bad();
  return static_cast<uint64_t>(bytes);
}

namespace {

std::string shard_name(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

bool is_shard_name(const std::string& f) {
  // model-NNNNN-of-NNNNN.safetensors (HF's pattern)
  if (f.size() != 32 || f.rfind("model-", 0) != 0 || f.compare(11, 4, "-of-") != 0 || f.compare(20, 12, ".safetensors") != 0)
    return false;
  for (size_t i : {6, 7, 8, 9, 10, 15, 16, 17, 18, 19})
    if (!std::isdigit(static_cast<unsigned char>(f[i]))) return false;
  return true;
}

}  // namespace

void save_model(CausalLM& m, const std::string& dir, torch::ScalarType dtype, uint64_t max_shard_size) {
  if (max_shard_size == 0) fail(ErrorCode::Argument, "max shard size must be at least 1 byte");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::Checkpoint, dir + ": cannot create folder: " + ec.message());
  // Shards as huggingface_hub's split_state_dict_into_shards_factory: tensors in order, a new
  // shard when the next one would pass the limit, an oversized tensor alone in its own shard.
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> shards;
  std::vector<std::pair<std::string, torch::Tensor>> current;
  uint64_t current_size = 0, total_size = 0, total_params = 0;
  const uint64_t elem = c10::elementSize(dtype);
  for (auto& kv : m->named_parameters(true)) {
    const uint64_t bytes = static_cast<uint64_t>(kv.value().numel()) * elem;
    total_size += bytes;
    total_params += static_cast<uint64_t>(kv.value().numel());
    if (bytes > max_shard_size) {
      shards.push_back({{kv.key(), kv.value()}});
      continue;
    }
    if (current_size + bytes > max_shard_size && !current.empty()) {
      shards.push_back(std::move(current));
      current.clear();
      current_size = 0;
    }
    current.emplace_back(kv.key(), kv.value());
    current_size += bytes;
  }
  if (!current.empty() || shards.empty()) shards.push_back(std::move(current));
  const fs::path root(dir);
  // Cast/copy to the CPU one shard at a time (a no-op for CPU tensors already in `dtype`).
  auto cpu_copies = [&](const std::vector<std::pair<std::string, torch::Tensor>>& part) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (auto& kv : part) {
      check_cancel("saving the model");
      out.emplace_back(kv.first, kv.second.detach().to(torch::kCPU, dtype));
    }
    return out;
  };
  // A stop request is honoured until the checkpoint's first file is in place (each file is written
  // to a temp name and renamed, so an abort leaves no partial file). From then on the save runs to
  // the end: stopping between shards would leave a folder mixing this checkpoint with an older one.
  std::optional<NoCancelScope> committed;
  std::set<std::string> written;
  if (shards.size() == 1) {
    write_safetensors((root / "model.safetensors").string(), cpu_copies(shards[0]), {{"format", "pt"}});
    written.insert("model.safetensors");
  } else {
    json weight_map = json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      const std::string name = shard_name(i, shards.size());
      write_safetensors((root / name).string(), cpu_copies(shards[i]), {{"format", "pt"}});
      if (!committed) committed.emplace();
      for (auto& kv : shards[i]) weight_map[kv.first] = name;
      written.insert(name);
    }
    json index = {{"metadata", {{"total_parameters", total_params}, {"total_size", total_size}}}, {"weight_map", weight_map}};
    write_text_atomic((root / "model.safetensors.index.json").string(), index.dump(2) + "\n");
    written.insert("model.safetensors.index.json");
  }
  // The new checkpoint is complete: remove what an earlier save in the other layout left (the
  // loader prefers model.safetensors over an index, so a stale one would shadow new shards).
  std::vector<fs::path> stale;
  for (const auto& de : fs::directory_iterator(root, ec)) {
    const std::string f = de.path().filename().string();
    if (!written.count(f) && (f == "model.safetensors" || f == "model.safetensors.index.json" || is_shard_name(f)))
      stale.push_back(de.path());
  }
  for (const auto& p : stale) fs::remove(p, ec);
  json cfg = json::parse(m->config.raw);
  cfg["torch_dtype"] = dtype_name(dtype);
  if (cfg.contains("dtype")) cfg["dtype"] = dtype_name(dtype);
  write_text_atomic((root / "config.json").string(), cfg.dump(2) + "\n");
}

}  // namespace eye
