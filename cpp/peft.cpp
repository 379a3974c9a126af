// PEFT adapter folders: adapter_config.json ↔ LoraConfig, adapter_model.safetensors ↔ the
// model's adapter tensors. What PEFT 0.21 would do with a field decides what we do: implement it,
// ignore it when it cannot change the adapted model's function, or refuse it naming the field.
#include "peft.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cancel.h"
#include "errors.h"
#include "safetensors.h"

namespace eye {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;  // rank_pattern/alpha_pattern keys keep the file's order (PEFT's dict order)

namespace {

// Fields of PEFT's LoraConfig/PeftConfig that cannot change the function of a loaded adapter:
// bookkeeping, training-only settings, and initialisation settings whose result the saved tensors
// replace. Handled elsewhere: the implemented fields, init_lora_weights (checked by value), and the
// refused ones. Source: peft/tuners/lora/config.py, peft/config.py (PEFT 0.21).
const std::set<std::string> kHarmlessAdapterFields = {
    "base_model_name_or_path", "revision", "inference_mode", "auto_mapping", "peft_version",
    "lora_dropout",       // training only
    "megatron_core",      // a module name, used only with megatron_config (refused when set)
    "loftq_config",       // init only ("loftq" init is refused)
    "eva_config",         // init only (EVA initialises A from data; the file's A replaces it)
    "corda_config",       // init only ("corda" init is refused)
    "lora_ga_config",     // init only ("lora_ga" init is refused)
    "qalora_group_size",  // used only with use_qalora (refused when true)
    "runtime_config",     // never saved by PEFT; ephemeral when present
};

// Fields implemented by read_adapter_config.
const std::set<std::string> kImplementedAdapterFields = {
    "peft_type", "task_type", "r", "lora_alpha", "target_modules", "exclude_modules", "layers_to_transform",
    "layers_pattern", "rank_pattern", "alpha_pattern", "use_rslora", "init_lora_weights"};

// Refused unless off (null, false, empty): what each one would need.
const std::vector<std::pair<std::string, std::string>> kRefusedAdapterFields = {
    {"use_dora", "DoRA (weight-decomposed LoRA) is not implemented; merge the adapter with PEFT (merge_and_unload) and load the merged model"},
    {"modules_to_save", "fully trained extra modules are not implemented; merge with PEFT (merge_and_unload) and load the merged model"},
    {"fan_in_fan_out", "transposed (Conv1D) base weights are not used by the supported families"},
    {"lora_bias", "a bias on lora_B is not implemented"},
    {"target_parameters", "adapters on bare parameters (MoE experts) are not implemented"},
    {"layer_replication", "replicated layer stacks are not implemented"},
    {"megatron_config", "Megatron-parallel layers are not implemented"},
    {"trainable_token_indices", "trainable token embeddings are not implemented"},
    {"alora_invocation_tokens", "activated LoRA (adapters on after invocation tokens) is not implemented"},
    {"use_qalora", "QA-LoRA (pooled inputs) is not implemented"},
    {"velora_config", "VeLoRA is not implemented"},
    {"kasa_config", "KaSA (truncated base weights) is not implemented"},
    {"monteclora_config", "MonteCLoRA is not implemented"},
    {"use_bdlora", "block-diagonal LoRA is not implemented"},
    {"arrow_config", "Arrow routing is not implemented"},
    {"ensure_weight_tying", "tied adapters on tied embeddings are not implemented"},
};

bool is_off(const ojson& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || ((v.is_object() || v.is_array() || v.is_string()) && v.empty());
}

// A whole-number alpha is written as an integer, as PEFT does for int lora_alpha.
ojson number_json(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return ojson(static_cast<int64_t>(v));
  return ojson(v);
}

}  // namespace

LoraConfig read_adapter_config(const std::string& dir) {
  const std::string cfg_path = (fs::path(dir) / "adapter_config.json").string();
  std::ifstream in(cfg_path);
  if (!in) fail(ErrorCode::Checkpoint, cfg_path + ": cannot open (a PEFT adapter folder needs adapter_config.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  ojson c;
  try {
    c = ojson::parse(ss.str());
  } catch (const std::exception& e) {
    fail(ErrorCode::Checkpoint, cfg_path + ": not valid JSON: " + e.what());
  }
  auto bad = [&](const std::string& what) { fail(ErrorCode::Checkpoint, cfg_path + ": " + what); };
  if (!c.is_object()) bad("expected a JSON object");
  if (!c.contains("peft_type") || c["peft_type"] != "LORA")
    bad("field \"peft_type\" must be \"LORA\" (got " + (c.contains("peft_type") ? c["peft_type"].dump() : std::string("nothing")) +
        "); only LoRA adapters are supported");
  if (c.contains("task_type") && !c["task_type"].is_null() && c["task_type"] != "CAUSAL_LM")
    bad("field \"task_type\" is " + c["task_type"].dump() + "; only CAUSAL_LM adapters fit a causal LM");
  for (const auto& [field, why] : kRefusedAdapterFields)
    if (c.contains(field) && !is_off(c[field])) bad("field \"" + field + "\" = " + c[field].dump() + " is not supported: " + why);
  if (c.contains("bias") && !c["bias"].is_null() && c["bias"] != "none")
    bad("field \"bias\" = " + c["bias"].dump() + " is not supported (only \"none\": trained base biases are not implemented)");
  if (c.contains("init_lora_weights")) {
    const ojson& v = c["init_lora_weights"];
    const bool ok = v.is_boolean() || v.is_null() ||
                    (v.is_string() && (v == "gaussian" || v == "orthogonal" || v == "eva"));
    if (!ok)
      bad("field \"init_lora_weights\" = " + v.dump() +
          " is not supported: that initialisation changes the base weights (or freezes factors), so the adapter is relative "
          "to a modified base; convert it to plain LoRA with PEFT (path_initial_model_for_weight_conversion) first");
  }
  for (auto it = c.begin(); it != c.end(); ++it) {
    const std::string& k = it.key();
    if (kHarmlessAdapterFields.count(k) || kImplementedAdapterFields.count(k) || k == "bias") continue;
    bool listed = false;
    for (const auto& r : kRefusedAdapterFields) listed = listed || r.first == k;
    if (listed) continue;
    if (!is_off(it.value()))
      bad("field \"" + k + "\" = " + it.value().dump() + " is unknown to this engine and may change the adapter's function; refused");
  }

  LoraConfig lc;
  lc.source = cfg_path;
  lc.raw = ss.str();
  if (!c.contains("r") || !c["r"].is_number_integer() || c["r"].get<int64_t>() <= 0) bad("field \"r\" must be a positive integer");
  lc.r = c["r"].get<int64_t>();
  lc.alpha = 8.0;  // PEFT's default lora_alpha
  if (c.contains("lora_alpha")) {
    // An explicit null is not PEFT's default: LoraConfig(lora_alpha=None) fails in PEFT (None / r).
    if (!c["lora_alpha"].is_number() || !std::isfinite(c["lora_alpha"].get<double>()))
      bad("field \"lora_alpha\" must be a finite number (PEFT's default 8 applies only when the field is absent)");
    lc.alpha = c["lora_alpha"].get<double>();
  }
  if (c.contains("lora_dropout") && c["lora_dropout"].is_number()) lc.dropout = c["lora_dropout"].get<double>();
  if (c.contains("use_rslora") && !c["use_rslora"].is_null()) {
    if (!c["use_rslora"].is_boolean()) bad("field \"use_rslora\" must be true or false");
    lc.use_rslora = c["use_rslora"].get<bool>();
  }
  // target_modules / exclude_modules: a list of names, or a string (regex; "all-linear").
  auto names_or_regex = [&](const char* field, std::vector<std::string>& list, std::string& regex) {
    if (!c.contains(field) || c[field].is_null()) return;
    const ojson& v = c[field];
    if (v.is_string()) {
      regex = v.get<std::string>();
      if (regex.empty()) bad(std::string("field \"") + field + "\" is an empty string");
    } else if (v.is_array()) {
      for (const auto& t : v) {
        if (!t.is_string()) bad(std::string("field \"") + field + "\" must hold strings");
        list.push_back(t.get<std::string>());
      }
    } else {
      bad(std::string("field \"") + field + "\" must be a list of module names or a regex string");
    }
  };
  names_or_regex("target_modules", lc.target_modules, lc.target_regex);
  if (lc.target_modules.empty() && lc.target_regex.empty())
    bad("field \"target_modules\" is missing or empty (PEFT would pick per-architecture defaults at training time and save "
        "them; a saved adapter names its modules)");
  names_or_regex("exclude_modules", lc.exclude_modules, lc.exclude_regex);
  if (c.contains("layers_to_transform") && !c["layers_to_transform"].is_null()) {
    const ojson& v = c["layers_to_transform"];
    if (v.is_number_integer()) {
      lc.layers_to_transform.push_back(v.get<int64_t>());
    } else if (v.is_array()) {
      for (const auto& x : v) {
        if (!x.is_number_integer()) bad("field \"layers_to_transform\" must hold integers");
        lc.layers_to_transform.push_back(x.get<int64_t>());
      }
    } else {
      bad("field \"layers_to_transform\" must be an integer or a list of integers");
    }
  }
  if (c.contains("layers_pattern") && !c["layers_pattern"].is_null()) {
    const ojson& v = c["layers_pattern"];
    if (v.is_string()) {
      if (!v.get<std::string>().empty()) lc.layers_pattern.push_back(v.get<std::string>());
    } else if (v.is_array()) {
      for (const auto& x : v) {
        if (!x.is_string()) bad("field \"layers_pattern\" must hold strings");
        lc.layers_pattern.push_back(x.get<std::string>());
      }
    } else {
      bad("field \"layers_pattern\" must be a string or a list of strings");
    }
  }
  if (lc.target_regex.size() && (c.contains("layers_to_transform") && !c["layers_to_transform"].is_null()))
    bad("field \"layers_to_transform\" cannot be used when \"target_modules\" is a string (PEFT refuses this too)");
  for (const char* field : {"rank_pattern", "alpha_pattern"}) {
    if (!c.contains(field) || c[field].is_null()) continue;
    if (!c[field].is_object()) bad(std::string("field \"") + field + "\" must be an object {pattern: value}");
    for (auto it = c[field].begin(); it != c[field].end(); ++it) {
      if (std::string(field) == "rank_pattern") {
        if (!it.value().is_number_integer()) bad("field \"rank_pattern\": the rank for \"" + it.key() + "\" must be an integer");
        lc.rank_pattern.emplace_back(it.key(), it.value().get<int64_t>());
      } else {
        if (!it.value().is_number()) bad("field \"alpha_pattern\": the alpha for \"" + it.key() + "\" must be a number");
        lc.alpha_pattern.emplace_back(it.key(), it.value().get<double>());
      }
    }
  }
  return lc;
}

LoraConfig load_adapter(CausalLMImpl& m, const std::string& dir) {
  LoraConfig lc = read_adapter_config(dir);
  const fs::path st_path = fs::path(dir) / "adapter_model.safetensors";
  if (!fs::exists(st_path)) {
    if (fs::exists(fs::path(dir) / "adapter_model.bin"))
      fail(ErrorCode::Checkpoint, (fs::path(dir) / "adapter_model.bin").string() +
                                      ": pickle adapters are not read (they can run code); re-save with PEFT's save_pretrained(safe_serialization=True)");
    fail(ErrorCode::Checkpoint, st_path.string() + ": missing (a PEFT adapter folder holds adapter_model.safetensors)");
  }
  SafetensorsFile f(st_path.string());  // opened before the model is touched: a bad file leaves it as it was
  m.add_lora(lc);
  try {
    torch::NoGradGuard ng;
    std::set<std::string> used;
    for (auto& kv : m.lora_tensors()) {
      check_cancel("loading the adapter");  // the catch below removes the adapters again
      std::string key = kv.first;
      if (!f.has(key)) {
        // Some PEFT versions keep the adapter name in the key (".lora_A.default.weight").
        std::string alt = key;
        alt.replace(alt.rfind(".weight"), 7, ".default.weight");
        if (!f.has(alt))
          fail(ErrorCode::Checkpoint, f.path() + ": missing adapter tensor \"" + key + "\", which " + lc.source +
                                          " implies (target_modules/layers_to_transform select that module)");
        key = alt;
      }
      const TensorEntry& e = f.entry(key);
      if (c10::IntArrayRef(e.shape) != kv.second.sizes()) {
        std::ostringstream os;
        os << f.path() << ": adapter tensor \"" << key << "\" has shape " << c10::IntArrayRef(e.shape) << " but " << lc.source
           << " and this base model imply " << kv.second.sizes() << " (r / rank_pattern, or another base model?)";
        fail(ErrorCode::Checkpoint, os.str());
      }
      kv.second.copy_(f.view(key));  // from the CPU mapping onto the adapter's device and dtype
      used.insert(key);
    }
    for (auto& e : f.entries())
      if (!used.count(e.first))
        fail(ErrorCode::Checkpoint, f.path() + ": tensor \"" + e.first +
                                        "\" matches no LoRA module of this model (target_modules in adapter_config.json?)");
  } catch (...) {
    m.remove_lora();
    throw;
  }
  return lc;
}

void save_adapter(CausalLMImpl& m, const std::string& dir, const std::string& base) {
  if (!m.has_lora()) fail(ErrorCode::State, "the model has no LoRA adapter to save");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorCode::Checkpoint, dir + ": cannot create folder: " + ec.message());
  const LoraConfig& lc = m.lora_config();
  std::vector<std::pair<std::string, torch::Tensor>> ts;
  for (auto& kv : m.lora_tensors()) ts.emplace_back(kv.first, kv.second.detach().to(torch::kCPU));
  write_safetensors((fs::path(dir) / "adapter_model.safetensors").string(), ts, {{"format", "pt"}});
  nlohmann::json c;  // std::map: sorted keys, as PEFT writes (json.dumps(sort_keys=True))
  if (!lc.raw.empty()) {
    c = nlohmann::json::parse(lc.raw);
    c["inference_mode"] = true;
    if (!base.empty()) c["base_model_name_or_path"] = base;
  } else {
    using nlohmann::json;
    json target = lc.target_regex.empty() ? json(lc.target_modules) : json(lc.target_regex);
    json exclude = !lc.exclude_regex.empty() ? json(lc.exclude_regex) : lc.exclude_modules.empty() ? json(nullptr) : json(lc.exclude_modules);
    json ranks = json::object(), alphas = json::object();
    for (const auto& [k, v] : lc.rank_pattern) ranks[k] = v;
    for (const auto& [k, v] : lc.alpha_pattern) alphas[k] = number_json(v);
    // Every field PEFT 0.21's LoraConfig.save_pretrained writes, with its default where we have no value.
    c = {
        {"alora_invocation_tokens", nullptr}, {"alpha_pattern", alphas}, {"arrow_config", nullptr}, {"auto_mapping", nullptr},
        {"base_model_name_or_path", base.empty() ? json(nullptr) : json(base)}, {"bias", "none"}, {"corda_config", nullptr},
        {"ensure_weight_tying", false}, {"eva_config", nullptr}, {"exclude_modules", exclude}, {"fan_in_fan_out", false},
        {"inference_mode", true}, {"init_lora_weights", true}, {"kasa_config", nullptr}, {"layer_replication", nullptr},
        {"layers_pattern", lc.layers_pattern.empty() ? json(nullptr) : json(lc.layers_pattern)},
        {"layers_to_transform", lc.layers_to_transform.empty() ? json(nullptr) : json(lc.layers_to_transform)},
        {"loftq_config", json::object()}, {"lora_alpha", number_json(lc.alpha)}, {"lora_bias", false},
        {"lora_dropout", lc.dropout}, {"lora_ga_config", nullptr}, {"megatron_config", nullptr},
        {"megatron_core", "megatron.core"}, {"modules_to_save", nullptr}, {"monteclora_config", nullptr},
        {"peft_type", "LORA"}, {"peft_version", "0.21.0"}, {"qalora_group_size", 16}, {"r", lc.r},
        {"rank_pattern", ranks}, {"revision", nullptr}, {"target_modules", target}, {"target_parameters", nullptr},
        {"task_type", "CAUSAL_LM"}, {"trainable_token_indices", nullptr}, {"use_bdlora", nullptr}, {"use_dora", false},
        {"use_qalora", false}, {"use_rslora", lc.use_rslora}, {"velora_config", nullptr},
    };
  }
  write_text_atomic((fs::path(dir) / "adapter_config.json").string(), c.dump(2));
}

}  // namespace eye
