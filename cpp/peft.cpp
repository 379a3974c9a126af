#include "peft.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "errors.h"
#include "safetensors.h"

namespace eye {

namespace fs = std::filesystem;
using json = nlohmann::json;

void save_adapter(CausalLMImpl& m, const std::string& dir, const std::string& base) {
  if (!m.has_lora()) fail(ErrorCode::State, "the model has no LoRA adapter to save");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::Checkpoint, dir + ": cannot create folder: " + ec.message());
  std::vector<std::pair<std::string, torch::Tensor>> ts;
  for (auto& kv : m.lora_tensors()) ts.emplace_back(kv.first, kv.second.detach().to(torch::kCPU, torch::kFloat32));
  write_safetensors((fs::path(dir) / "adapter_model.safetensors").string(), ts, {{"format", "pt"}});
  const LoraConfig& lc = m.lora_config();
  json c = {
      {"peft_type", "LORA"},          {"task_type", "CAUSAL_LM"},
      {"r", lc.r},                    {"lora_alpha", lc.alpha},
      {"lora_dropout", lc.dropout},   {"target_modules", lc.target_modules},
      {"base_model_name_or_path", base}, {"bias", "none"},
      {"fan_in_fan_out", false},      {"inference_mode", true},
      {"init_lora_weights", true},    {"modules_to_save", nullptr},
      {"layers_to_transform", nullptr}, {"layers_pattern", nullptr},
      {"rank_pattern", json::object()}, {"alpha_pattern", json::object()},
      {"use_rslora", false},          {"use_dora", false},
      {"revision", nullptr},
  };
  std::ofstream out((fs::path(dir) / "adapter_config.json").string());
  out << c.dump(2) << "\n";
  if (!out) fail(ErrorCode::Checkpoint, dir + "/adapter_config.json: write failed");
}

LoraConfig load_adapter(CausalLMImpl& m, const std::string& dir) {
  const std::string cfg_path = (fs::path(dir) / "adapter_config.json").string();
  std::ifstream in(cfg_path);
  if (!in) fail(ErrorCode::Checkpoint, cfg_path + ": cannot open (a PEFT adapter folder needs adapter_config.json)");
  json c;
  try {
    in >> c;
  } catch (const std::exception& e) {
    fail(ErrorCode::Checkpoint, cfg_path + ": not valid JSON: " + e.what());
  }
  auto bad = [&](const std::string& what) { fail(ErrorCode::Checkpoint, cfg_path + ": " + what); };
  if (c.value("peft_type", std::string()) != "LORA") bad("peft_type must be \"LORA\"");
  if (!c.contains("r") || !c["r"].is_number_integer() || c["r"].get<int64_t>() <= 0) bad("field \"r\" must be a positive integer");
  if (c.value("use_dora", false)) bad("use_dora is not supported (plain LoRA only)");
  if (c.contains("bias") && c["bias"].is_string() && c["bias"] != "none") bad("bias \"" + c["bias"].get<std::string>() + "\" is not supported (only \"none\")");
  for (const char* k : {"rank_pattern", "alpha_pattern"})
    if (c.contains(k) && c[k].is_object() && !c[k].empty()) bad(std::string(k) + " is not supported (one rank and alpha for all modules)");
  if (c.contains("modules_to_save") && c["modules_to_save"].is_array() && !c["modules_to_save"].empty())
    bad("modules_to_save is not supported");
  LoraConfig lc;
  lc.r = c["r"].get<int64_t>();
  lc.alpha = c.contains("lora_alpha") && c["lora_alpha"].is_number() ? c["lora_alpha"].get<double>() : 8.0;
  lc.dropout = c.contains("lora_dropout") && c["lora_dropout"].is_number() ? c["lora_dropout"].get<double>() : 0.0;
  const bool rslora = c.value("use_rslora", false);
  // target_modules: a list of module-name suffixes, or a regex matched against the full path.
  std::vector<std::string> names;
  for (auto& pr : m.projections) names.push_back(pr.first);
  std::set<std::string> leaves;
  const json& tm = c.contains("target_modules") ? c["target_modules"] : json();
  if (tm.is_array()) {
    for (auto& t : tm) {
      if (!t.is_string()) bad("target_modules must hold strings");
      leaves.insert(t.get<std::string>());
    }
  } else if (tm.is_string()) {
    const std::string pat = tm.get<std::string>();
    if (pat == "all-linear") {
      for (auto& n : names) leaves.insert(n.substr(n.rfind('.') + 1));
    } else {
      std::regex re(pat);
      for (auto& n : names)
        if (std::regex_match(n, re)) leaves.insert(n.substr(n.rfind('.') + 1));
    }
  } else {
    bad("target_modules must be a list of module names or a regex string");
  }
  lc.target_modules.assign(leaves.begin(), leaves.end());
  m.add_lora(lc);
  if (rslora) {
    const double s = lc.alpha / std::sqrt(static_cast<double>(lc.r));
    for (auto& pr : m.projections)
      if (pr.second->lora_A.defined()) pr.second->lora_scaling = s;
  }
  SafetensorsFile f((fs::path(dir) / "adapter_model.safetensors").string());
  torch::NoGradGuard ng;
  std::set<std::string> used;
  for (auto& kv : m.lora_tensors()) {
    std::string key = kv.first;
    if (!f.has(key)) {
      // Some PEFT versions keep the adapter name in the key (".lora_A.default.weight").
      std::string alt = key;
      alt.replace(alt.rfind(".weight"), 7, ".default.weight");
      if (!f.has(alt)) fail(ErrorCode::Checkpoint, f.path() + ": missing adapter tensor \"" + key + "\"");
      key = alt;
    }
    const TensorEntry& e = f.entry(key);
    if (c10::IntArrayRef(e.shape) != kv.second.sizes())
      fail(ErrorCode::Checkpoint, f.path() + ": adapter tensor \"" + key + "\" has the wrong shape for r=" + std::to_string(lc.r) +
                                      " and this base model");
    kv.second.copy_(f.view(key));  // from the CPU mapping onto the adapter's device
    used.insert(key);
  }
  for (auto& e : f.entries())
    if (!used.count(e.first))
      fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + e.first + "\" matches no LoRA module of this model (target_modules in adapter_config.json?)");
  return lc;
}

}  // namespace eye
