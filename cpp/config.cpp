#include "config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "errors.h"

namespace eye {

using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// The one place that says which config.json fields need no implementation, and why.
// A field is here only when no value of it changes the logits or the gradients of the engine's
// forward pass (or when its value is checked below: kMustEqual). Every other field must be read
// by parse_config (and implemented) or the config is refused naming it.
// ---------------------------------------------------------------------------------------------
const std::set<std::string> kHarmless = {
    // bookkeeping
    "transformers_version", "_name_or_path", "architectures", "model_type", "auto_map", "_commit_hash",
    "_attn_implementation_autoset", "name_or_path",
    // output switches / caching: do not change the values computed
    "use_cache", "output_attentions", "output_hidden_states", "return_dict", "torchscript", "use_return_dict",
    // token ids: the tokenizer's and generation's business (pad_token_id is also read: init of embeddings)
    "bos_token_id", "eos_token_id", "sep_token_id", "decoder_start_token_id",
    // storage dtype: the engine's dtype is chosen by the caller (read to keep torch_dtype/dtype consistent)
    "use_bfloat16",
    // classification heads / task metadata (not part of a causal LM)
    "id2label", "label2id", "problem_type", "finetuning_task", "task_specific_params", "tokenizer_class", "prefix",
    "num_labels", "summary_type", "summary_use_proj", "summary_activation", "summary_proj_to_labels",
    "summary_first_dropout",
    // feed-forward chunking is the same maths in smaller pieces
    "chunk_size_feed_forward",
    // Llama's tensor-parallel pretraining split: transformers computes the same product either way
    "pretraining_tp",
    // v4 configs carried generation defaults (generation_config.json is the source; see src/model)
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
    "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
    "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "tf_legacy_loss",
    "cross_attention_hidden_size", "tie_encoder_decoder", "is_decoder",
    // Dropout: the engine's forward is HF's eval-mode forward, also while training (base-model
    // dropout is not applied; LoRA dropout is). A dropout rate changes no logits of a forward
    // pass; training without it is a documented choice (README, "The engine").
    "attention_dropout", "resid_pdrop", "embd_pdrop", "attn_pdrop", "residual_dropout", "embedding_dropout",
    "hidden_dropout", "mlp_dropout",
    // GPTBigCode: softmax precision switches (the engine always takes the softmax in float32 or wider)
    "attention_softmax_in_fp32", "scale_attention_softmax_in_fp32",
    // initialisation scale: read for init_weights, no effect on a loaded model
    "initializer_range",
    // GPTBigCode checkpoints of the BigCode inference runner (starcoder, santacoder) carry its
    // settings; transformers' GPTBigCode ignores them (and so does the engine: same maths)
    "inference_runner", "max_batch_size", "max_sequence_length", "pad_key_length", "pre_allocate_kv_cache",
    "validate_runner_input",
};

// Fields that are harmless only with one value (anything else changes the maths).
const std::map<std::string, json> kMustEqual = {
    {"is_encoder_decoder", false}, {"add_cross_attention", false}, {"scale_attn_weights", true},
    {"pruned_heads", json::object()}, {"tie_word_embeddings_decoder", false},
};

[[noreturn]] void bad(const std::string& path, const std::string& what) { fail(ErrorCode::Config, path + ": " + what); }

// Reads fields of one JSON object and remembers which ones it read, so that finish() can refuse
// every field nobody read.
struct Reader {
  const json& j;
  const std::string& path;
  std::string prefix;  // "rope_parameters." for nested objects
  std::set<std::string> used;

  bool has(const std::string& k) const { return j.contains(k) && !j[k].is_null(); }
  std::string name(const std::string& k) const { return "field \"" + prefix + k + "\""; }
  void mark(const std::string& k) { used.insert(k); }
  int64_t integer(const std::string& k, int64_t def, bool required = false) {
    mark(k);
    if (!has(k)) {
      if (required) bad(path, "missing " + name(k));
      return def;
    }
    if (!j[k].is_number_integer()) bad(path, name(k) + " must be an integer");
    return j[k].get<int64_t>();
  }
  double number(const std::string& k, double def, bool required = false) {
    mark(k);
    if (!has(k)) {
      if (required) bad(path, "missing " + name(k));
      return def;
    }
    if (!j[k].is_number()) bad(path, name(k) + " must be a number");
    // JSON has no NaN/Infinity and the parser refuses 1e999 (number overflow); kept so that a
    // non-finite value can never reach the model whatever produced the document.
    const double v = j[k].get<double>();
    if (!std::isfinite(v)) bad(path, name(k) + " = " + j[k].dump() + " is not a finite number");
    return v;
  }
  bool boolean(const std::string& k, bool def) {
    mark(k);
    if (!has(k)) return def;
    if (!j[k].is_boolean()) bad(path, name(k) + " must be true or false");
    return j[k].get<bool>();
  }
  std::string string(const std::string& k, const std::string& def) {
    mark(k);
    if (!has(k)) return def;
    if (!j[k].is_string()) bad(path, name(k) + " must be a string");
    return j[k].get<std::string>();
  }
  std::vector<double> numbers(const std::string& k) {
    mark(k);
    std::vector<double> out;
    if (!has(k)) return out;
    if (!j[k].is_array()) bad(path, name(k) + " must be a list of numbers");
    for (const auto& v : j[k]) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) bad(path, name(k) + " must be a list of finite numbers");
      out.push_back(v.get<double>());
    }
    return out;
  }
  // Refuses every field that was neither read nor is known-harmless.
  void finish(bool top_level) const {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      if (used.count(k)) continue;
      if (top_level && kHarmless.count(k)) continue;
      if (top_level) {
        auto m = kMustEqual.find(k);
        if (m != kMustEqual.end()) {
          if (it->is_null() || *it == m->second) continue;
          bad(path, name(k) + " = " + it->dump() + " is not supported (the engine implements only " + m->second.dump() +
                        ")");
        }
        if (k == "quantization_config")
          bad(path, name(k) + ": quantized checkpoints are not supported (dequantize and save in float32/bfloat16)");
      }
      bad(path, name(k) + " = " + it->dump().substr(0, 80) +
                    " is not understood by the engine and may change the model's maths; refusing rather than "
                    "computing something else than transformers (please report it with the model's name)");
    }
  }
};

struct Arch {
  const char* architecture;
  const char* model_type;
};
const Arch kArchs[] = {
    {"LlamaForCausalLM", "llama"},       {"Qwen2ForCausalLM", "qwen2"},     {"Qwen3ForCausalLM", "qwen3"},
    {"MistralForCausalLM", "mistral"},   {"Starcoder2ForCausalLM", "starcoder2"}, {"GraniteForCausalLM", "granite"},
    {"SmolLM3ForCausalLM", "smollm3"},   {"Phi3ForCausalLM", "phi3"},       {"GPTBigCodeForCausalLM", "gpt_bigcode"},
};

void check_positive(const std::string& path, const char* k, int64_t v) {
  if (v <= 0) bad(path, std::string("field \"") + k + "\" must be positive, got " + std::to_string(v));
}

// Sane-size checks before anything is allocated: the product of the dimensions is capped.
void check_size(const std::string& path, const ModelConfig& c) {
  const double V = c.vocab_size, E = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers;
  const double H = c.num_attention_heads, KV = c.num_key_value_heads, D = c.head_dim;
  const double per_layer = E * (H * D + 2 * KV * D) + H * D * E + 3 * E * I;
  const double total = V * E * (c.tie_word_embeddings ? 1 : 2) + L * per_layer +
                       (c.model_type == "gpt_bigcode" ? static_cast<double>(c.max_position_embeddings) * E : 0);
  if (!(total <= kMaxParameters)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "the dimensions describe %.3g parameters, more than the engine's cap of %.3g", total,
                  kMaxParameters);
    bad(path, std::string(buf) + " (check vocab_size, hidden_size, intermediate_size, num_hidden_layers, heads)");
  }
  if (c.max_position_embeddings > (int64_t{1} << 31)) bad(path, "field \"max_position_embeddings\" is implausibly large");
  // Modules are built per layer (even on the meta device, for tensor_names): the largest released
  // models have ~100–200 layers.
  if (c.num_hidden_layers > kMaxLayers)
    bad(path, "field \"num_hidden_layers\" is implausibly large (" + std::to_string(c.num_hidden_layers) + " > " + std::to_string(kMaxLayers) + ")");
}

// rope_theta's default when a config names none (HF configuration_<family>.py).
double default_theta(const std::string& mt) { return mt == "smollm3" ? 2000000.0 : 10000.0; }

// Reads the rotary-embedding fields of both layouts into c.rope_theta / c.partial_rotary_factor /
// c.rope_scaling, refusing contradictions and keys the rope type does not use.
void parse_rope(const json& j, Reader& top, const std::string& path, ModelConfig& c) {
  top.mark("rope_theta");
  top.mark("rope_scaling");
  top.mark("rope_parameters");
  top.mark("partial_rotary_factor");
  const bool v5 = j.contains("rope_parameters") && !j["rope_parameters"].is_null();
  const bool v4 = j.contains("rope_scaling") && !j["rope_scaling"].is_null();
  json rp = json::object();
  if (v5) {
    if (!j["rope_parameters"].is_object()) bad(path, "field \"rope_parameters\" must be an object");
    rp = j["rope_parameters"];
    for (auto it = rp.begin(); it != rp.end(); ++it)
      if (it->is_object())
        bad(path, "field \"rope_parameters." + it.key() +
                      "\": per-layer-type RoPE parameters are not supported by these architectures");
  }
  if (v4) {
    if (!j["rope_scaling"].is_object()) bad(path, "field \"rope_scaling\" must be an object or null");
    for (auto it = j["rope_scaling"].begin(); it != j["rope_scaling"].end(); ++it) {
      if (rp.contains(it.key()) && rp[it.key()] != *it)
        bad(path, "\"rope_scaling." + it.key() + "\" = " + it->dump() + " contradicts \"rope_parameters." + it.key() +
                      "\" = " + rp[it.key()].dump());
      rp[it.key()] = *it;
    }
  }
  const std::string where = v5 ? "rope_parameters." : "rope_scaling.";
  // rope_theta: top level (v4) and/or inside rope_parameters (v5); both must agree.
  double theta = default_theta(c.model_type);
  const bool top_theta = j.contains("rope_theta") && !j["rope_theta"].is_null();
  if (top_theta) {
    if (!j["rope_theta"].is_number()) bad(path, "field \"rope_theta\" must be a number");
    theta = j["rope_theta"].get<double>();
  }
  if (rp.contains("rope_theta") && !rp["rope_theta"].is_null()) {
    if (!rp["rope_theta"].is_number()) bad(path, "field \"" + where + "rope_theta\" must be a number");
    const double t = rp["rope_theta"].get<double>();
    if (top_theta && t != theta)
      bad(path, "\"rope_theta\" = " + j["rope_theta"].dump() + " contradicts \"" + where + "rope_theta\" = " +
                    rp["rope_theta"].dump());
    theta = t;
  }
  if (!(theta > 0) || !std::isfinite(theta)) bad(path, "rope_theta must be a positive number");
  c.rope_theta = theta;
  // partial_rotary_factor: top level (v4 Phi-3 style) or in rope_parameters.
  double prf = 1.0;
  const bool top_prf = j.contains("partial_rotary_factor") && !j["partial_rotary_factor"].is_null();
  if (top_prf) {
    if (!j["partial_rotary_factor"].is_number()) bad(path, "field \"partial_rotary_factor\" must be a number");
    prf = j["partial_rotary_factor"].get<double>();
  }
  if (rp.contains("partial_rotary_factor") && !rp["partial_rotary_factor"].is_null()) {
    if (!rp["partial_rotary_factor"].is_number()) bad(path, "field \"" + where + "partial_rotary_factor\" must be a number");
    const double p = rp["partial_rotary_factor"].get<double>();
    if (top_prf && p != prf) bad(path, "\"partial_rotary_factor\" contradicts \"" + where + "partial_rotary_factor\"");
    prf = p;
  }
  if (!(prf > 0 && prf <= 1)) bad(path, "partial_rotary_factor must be in (0, 1]");
  if (prf != 1.0 && c.model_type != "phi3")
    bad(path, "partial_rotary_factor " + std::to_string(prf) + " is only implemented for Phi3ForCausalLM");
  c.partial_rotary_factor = prf;
  const int64_t rdim = c.rotary_dim();
  if (rdim <= 0 || rdim % 2 != 0) bad(path, "the rotary dimension int(head_dim·partial_rotary_factor) must be positive and even");

  Reader r{rp, path, where};
  r.mark("rope_theta");
  r.mark("partial_rotary_factor");
  std::string type = r.string("rope_type", "");
  const std::string legacy = r.string("type", "");
  if (!type.empty() && !legacy.empty() && type != legacy)
    bad(path, "\"" + where + "rope_type\" = \"" + type + "\" contradicts \"" + where + "type\" = \"" + legacy + "\"");
  if (type.empty()) type = legacy.empty() ? "default" : legacy;
  // Phi-3's configuration maps its legacy names onto longrope (configuration_phi3.py).
  if (c.model_type == "phi3" && (type == "su" || type == "yarn")) type = "longrope";
  RopeScaling& s = c.rope_scaling;
  s = RopeScaling{};
  s.type = type;
  // Pretraining length for llama3/yarn/longrope (modeling_rope_utils.standardize_rope_params): a
  // top-level original_max_position_embeddings wins (Phi-3 keeps it there; its default is 4096),
  // then the rope object's, then max_position_embeddings.
  top.mark("original_max_position_embeddings");
  double orig = static_cast<double>(c.max_position_embeddings);
  const bool top_orig = j.contains("original_max_position_embeddings") && !j["original_max_position_embeddings"].is_null();
  if (top_orig) {
    if (!j["original_max_position_embeddings"].is_number_integer())
      bad(path, "field \"original_max_position_embeddings\" must be an integer");
    orig = j["original_max_position_embeddings"].get<double>();
  } else if (c.model_type == "phi3") {
    orig = 4096;
  }
  auto read_orig = [&]() {
    const double o = r.number("original_max_position_embeddings", orig);
    s.original_max_position_embeddings = top_orig ? orig : o;
    if (!(s.original_max_position_embeddings > 0)) bad(path, where + "original_max_position_embeddings must be positive");
  };
  if (type == "default") {
  } else if (type == "linear" || type == "dynamic") {
    s.factor = r.number("factor", 0, true);
    if (!(s.factor > 0)) bad(path, where + "factor must be positive");
  } else if (type == "llama3") {
    s.factor = r.number("factor", 0, true);
    s.low_freq_factor = r.number("low_freq_factor", 0, true);
    s.high_freq_factor = r.number("high_freq_factor", 0, true);
    read_orig();
    if (!(s.factor > 0)) bad(path, where + "factor must be positive");
    if (!(s.low_freq_factor > 0) || s.high_freq_factor <= s.low_freq_factor)
      bad(path, where + "high_freq_factor must exceed low_freq_factor > 0");
  } else if (type == "yarn") {
    read_orig();
    s.factor_given = r.has("factor");
    s.factor = r.number("factor", static_cast<double>(c.max_position_embeddings) / s.original_max_position_embeddings);
    s.attention_factor = r.number("attention_factor", -1);
    if (r.has("attention_factor") && !(s.attention_factor >= 0)) bad(path, where + "attention_factor must be >= 0");
    // HF: `beta_fast or 32`, `beta_slow or 1`, `if mscale and mscale_all_dim` (0 counts as absent).
    s.beta_fast = r.number("beta_fast", 0);
    s.beta_slow = r.number("beta_slow", 0);
    if (s.beta_fast == 0) s.beta_fast = 32;
    if (s.beta_slow == 0) s.beta_slow = 1;
    s.mscale = r.number("mscale", 0);
    s.mscale_all_dim = r.number("mscale_all_dim", 0);
    s.truncate = r.boolean("truncate", true);
    if (!(s.factor > 0)) bad(path, where + "factor must be positive");
  } else if (type == "longrope") {
    read_orig();
    s.short_factor = r.numbers("short_factor");
    s.long_factor = r.numbers("long_factor");
    const size_t half = static_cast<size_t>(rdim / 2);
    if (s.short_factor.size() != half || s.long_factor.size() != half)
      bad(path, where + "short_factor and long_factor must each hold rotary_dim/2 = " + std::to_string(half) + " numbers");
    for (double f : s.short_factor)
      if (!(f > 0)) bad(path, where + "short_factor entries must be positive");
    for (double f : s.long_factor)
      if (!(f > 0)) bad(path, where + "long_factor entries must be positive");
    s.factor_given = r.has("factor");
    s.factor = r.number("factor", static_cast<double>(c.max_position_embeddings) / s.original_max_position_embeddings);
    s.attention_factor = r.number("attention_factor", -1);
    if (r.has("attention_factor") && !(s.attention_factor >= 0)) bad(path, where + "attention_factor must be >= 0");
  } else {
    bad(path, "RoPE type \"" + type + "\" (" + where + "rope_type) is not supported (supported: default, linear, "
              "dynamic, llama3, yarn, longrope)");
  }
  r.finish(false);
}

// Per-layer attention kinds: "full_attention" | "sliding_attention" (v5 layer_types), or derived
// from the v4 fields as each family's configuration does.
void parse_windows(const json& j, Reader& r, const std::string& path, ModelConfig& c) {
  const int64_t L = c.num_hidden_layers;
  c.layer_window.assign(static_cast<size_t>(L), 0);
  const std::string& mt = c.model_type;
  if (mt == "llama" || mt == "granite") return;  // no sliding-window fields (refused if present)
  auto window_value = [&]() -> int64_t {
    // MistralConfig's default is 4096; the others' None. An explicit null means no window.
    const bool absent = !j.contains("sliding_window");
    const int64_t w = absent && mt == "mistral" ? 4096 : r.integer("sliding_window", 0);
    r.mark("sliding_window");
    if (r.has("sliding_window") && w <= 0) bad(path, "field \"sliding_window\" must be positive or null");
    return w;
  };
  if (mt == "mistral" || mt == "starcoder2" || mt == "phi3") {
    // HF: create_sliding_window_causal_mask for every layer when sliding_window is set.
    const int64_t w = window_value();
    c.layer_window.assign(static_cast<size_t>(L), w);
    return;
  }
  // qwen2, qwen3, smollm3: use_sliding_window gates sliding_window; layer_types says which layers.
  const bool use = r.boolean("use_sliding_window", false);
  const int64_t w = window_value();
  // SmolLM3 configs also write max_window_layers, which its configuration does not use (layer_types
  // follow no_rope_layers there): read, no effect.
  const int64_t max_window_layers = r.integer("max_window_layers", 28);
  if (mt == "smollm3") r.mark("no_rope_layer_interval");
  std::vector<std::string> types;
  r.mark("layer_types");
  if (r.has("layer_types")) {
    const json& lt = j["layer_types"];
    if (!lt.is_array() || static_cast<int64_t>(lt.size()) != L)
      bad(path, "field \"layer_types\" must list num_hidden_layers = " + std::to_string(L) + " entries");
    for (const auto& t : lt) {
      if (!t.is_string() || (t != "full_attention" && t != "sliding_attention"))
        bad(path, "field \"layer_types\" entry " + t.dump() + " is not supported (full_attention, sliding_attention)");
      types.push_back(t.get<std::string>());
    }
  } else {
    for (int64_t i = 0; i < L; ++i) {
      bool sliding;
      if (mt == "smollm3") sliding = use && w > 0 && !c.layer_rope[static_cast<size_t>(i)];
      else sliding = use && w > 0 && i >= max_window_layers;  // Qwen2/Qwen3 configuration
      types.push_back(sliding ? "sliding_attention" : "full_attention");
    }
  }
  for (int64_t i = 0; i < L; ++i) {
    if (types[static_cast<size_t>(i)] != "sliding_attention") continue;
    // Qwen2/Qwen3 set sliding_window = None unless use_sliding_window; a sliding layer then has
    // no window in HF either (its mask helper gets None) — refuse the ambiguous combination.
    if (!use || w <= 0)
      bad(path, "field \"layer_types\" marks layer " + std::to_string(i) +
                    " as sliding_attention but use_sliding_window/sliding_window do not give a window");
    c.layer_window[static_cast<size_t>(i)] = w;
  }
}

}  // namespace

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> out = [] {
    std::vector<std::string> v;
    for (const auto& a : kArchs) v.emplace_back(a.architecture);
    return v;
  }();
  return out;
}

std::vector<std::string> default_lora_targets(const ModelConfig& c) {
  // peft/utils/constants.py TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING (PEFT 0.21).
  const std::string& mt = c.model_type;
  if (mt == "llama" || mt == "mistral" || mt == "qwen2" || mt == "qwen3") return {"q_proj", "v_proj"};
  if (mt == "gpt_bigcode") return {"c_attn"};
  return {};  // starcoder2, granite, smollm3, phi3: PEFT has no default
}

ModelConfig parse_config(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) bad(path, "not a JSON object");
  Reader r{j, path, ""};
  ModelConfig c;
  c.raw = text;
  std::string arch;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    arch = j["architectures"][0].get<std::string>();
  // transformers picks the configuration class by model_type (CONFIG_MAPPING[model_type]): a
  // non-string there fails in HF, so it is refused rather than ignored.
  if (j.contains("model_type") && !j["model_type"].is_null() && !j["model_type"].is_string())
    bad(path, "field \"model_type\" must be a string (e.g. \"llama\")");
  const std::string mt = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  for (const auto& a : kArchs)
    if ((!arch.empty() && arch == a.architecture) || (arch.empty() && mt == a.model_type)) {
      c.architecture = a.architecture;
      c.model_type = a.model_type;
    }
  if (c.model_type.empty()) {
    std::string list;
    for (const auto& a : kArchs) list += (list.empty() ? "" : ", ") + std::string(a.architecture);
    bad(path, "unsupported architecture \"" + (arch.empty() ? mt : arch) + "\" (supported: " + list + ")");
  }
  if (!mt.empty() && mt != c.model_type)
    bad(path, "model_type \"" + mt + "\" does not match architecture " + c.architecture);

  // dtype (v5) / torch_dtype (v4): the checkpoint's storage dtype.
  const std::string td = r.string("torch_dtype", ""), d5 = r.string("dtype", "");
  if (!td.empty() && !d5.empty() && td != d5) bad(path, "\"torch_dtype\" = \"" + td + "\" contradicts \"dtype\" = \"" + d5 + "\"");
  c.torch_dtype = !d5.empty() ? d5 : !td.empty() ? td : "float32";
  r.mark("pad_token_id");
  if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) c.pad_token_id = j["pad_token_id"].get<int64_t>();
  c.initializer_range = r.number("initializer_range", 0.02);

  if (c.model_type == "gpt_bigcode") {
    // GPT-2 style field names; learned absolute positions (no RoPE).
    c.rope_scaling.type = "none";
    c.vocab_size = r.integer("vocab_size", 0, true);
    c.hidden_size = r.integer("n_embd", 0, true);
    c.num_hidden_layers = r.integer("n_layer", 0, true);
    c.num_attention_heads = r.integer("n_head", 0, true);
    c.max_position_embeddings = r.integer("n_positions", 0, true);
    c.intermediate_size = r.integer("n_inner", 4 * c.hidden_size, false);
    for (auto [k, v] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size}, {"n_embd", c.hidden_size},
                        {"n_layer", c.num_hidden_layers}, {"n_head", c.num_attention_heads}, {"n_positions", c.max_position_embeddings},
                        {"n_inner", c.intermediate_size}})
      check_positive(path, k, v);
    if (c.hidden_size % c.num_attention_heads != 0) bad(path, "n_embd must be divisible by n_head");
    c.head_dim = c.hidden_size / c.num_attention_heads;
    c.multi_query = r.boolean("multi_query", true);
    c.num_key_value_heads = c.multi_query ? 1 : c.num_attention_heads;
    // transformers 5 writes num_key_value_heads for GPTBigCode; it must agree with multi_query.
    const int64_t kvh = r.integer("num_key_value_heads", c.num_key_value_heads);
    if (kvh != c.num_key_value_heads)
      bad(path, "\"num_key_value_heads\" = " + std::to_string(kvh) + " contradicts \"multi_query\"");
    c.layer_norm_epsilon = r.number("layer_norm_epsilon", 1e-5);
    if (!(c.layer_norm_epsilon > 0)) bad(path, "layer_norm_epsilon must be positive");
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
    c.activation = r.string("activation_function", "gelu_pytorch_tanh");
    if (c.activation != "gelu_pytorch_tanh" && c.activation != "gelu" && c.activation != "gelu_new")
      bad(path, "activation_function \"" + c.activation + "\" is not supported (gelu_pytorch_tanh, gelu_new, gelu)");
    check_size(path, c);  // before the per-layer vectors below
    c.layer_rope.assign(static_cast<size_t>(c.num_hidden_layers), false);
    c.layer_window.assign(static_cast<size_t>(c.num_hidden_layers), 0);
    r.finish(true);
    return c;
  }

  const std::string& m = c.model_type;
  c.vocab_size = r.integer("vocab_size", 0, true);
  c.hidden_size = r.integer("hidden_size", 0, true);
  c.intermediate_size = r.integer("intermediate_size", 0, true);
  c.num_hidden_layers = r.integer("num_hidden_layers", 0, true);
  c.num_attention_heads = r.integer("num_attention_heads", 0, true);
  c.num_key_value_heads = r.integer("num_key_value_heads", c.num_attention_heads, false);
  c.max_position_embeddings = r.integer("max_position_embeddings", 2048, false);
  for (auto [k, v] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                      {"intermediate_size", c.intermediate_size}, {"num_hidden_layers", c.num_hidden_layers},
                      {"num_attention_heads", c.num_attention_heads}, {"num_key_value_heads", c.num_key_value_heads},
                      {"max_position_embeddings", c.max_position_embeddings}})
    check_positive(path, k, v);
  // head_dim: explicit (Qwen3, Mistral, ...) or hidden_size / num_attention_heads (every family's
  // modeling reads getattr(config, "head_dim", None) or hidden_size // num_attention_heads).
  const bool explicit_head = r.has("head_dim");
  r.mark("head_dim");
  c.head_dim = explicit_head ? r.integer("head_dim", 0) : c.hidden_size / c.num_attention_heads;
  if (!explicit_head && c.hidden_size % c.num_attention_heads != 0)
    bad(path, "hidden_size must be divisible by num_attention_heads (or give head_dim)");
  if (c.head_dim <= 0 || c.head_dim > 65536) bad(path, "head_dim must be positive (and at most 65536)");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    bad(path, "num_attention_heads must be a multiple of num_key_value_heads");
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", m == "starcoder2" || m == "smollm3");
  check_size(path, c);  // before anything sized by the config (per-layer vectors, then the model)

  if (m == "starcoder2") {
    // Released StarCoder2 configs also carry fields of the original training code that transformers'
    // Starcoder2Config does not have (HF ignores them): accepted only at the values HF implements.
    if (r.has("norm_type") && r.string("norm_type", "") != "layer_norm")
      bad(path, "field \"norm_type\" = \"" + j["norm_type"].get<std::string>() + "\" is not supported (transformers implements layer_norm)");
    r.mark("norm_type");
    if (r.has("mlp_type") && r.string("mlp_type", "") != "default")
      bad(path, "field \"mlp_type\" = \"" + j["mlp_type"].get<std::string>() + "\" is not supported (transformers implements default)");
    r.mark("mlp_type");
    r.mark("layer_norm_epsilon");  // unused by transformers' Starcoder2 (norm_epsilon is the one read)
    c.layer_norm_epsilon = r.number("norm_epsilon", 1e-5);
    if (!(c.layer_norm_epsilon > 0)) bad(path, "norm_epsilon must be positive");
    const bool use_bias = r.boolean("use_bias", true);
    c.attention_bias = use_bias;
    c.mlp_bias = use_bias;
    c.hidden_act = r.string("hidden_act", "gelu_pytorch_tanh");
    if (c.hidden_act != "gelu_pytorch_tanh" && c.hidden_act != "gelu")
      bad(path, "hidden_act \"" + c.hidden_act + "\" is not supported for Starcoder2 (gelu_pytorch_tanh, gelu)");
  } else {
    c.rms_norm_eps = r.number("rms_norm_eps", m == "phi3" ? 1e-5 : 1e-6);
    if (!(c.rms_norm_eps > 0)) bad(path, "rms_norm_eps must be positive");
    c.hidden_act = r.string("hidden_act", "silu");
    if (c.hidden_act != "silu") bad(path, "hidden_act \"" + c.hidden_act + "\" is not supported (only silu)");
    if (m == "qwen2") {
      c.qkv_bias = true;  // Qwen2: q,k,v with bias, o without (modeling_qwen2.py)
    } else if (m == "qwen3") {
      c.attention_bias = r.boolean("attention_bias", false);
      c.qk_norm = true;
    } else if (m == "mistral" || m == "phi3") {
      // Bias-free projections. Some released configs (Phi-3) still write attention_bias: false,
      // which transformers ignores; true would describe biases HF does not use: refused.
      if (r.boolean("attention_bias", false)) bad(path, "field \"attention_bias\" = true is not supported for " + c.architecture);
    } else {  // llama, granite, smollm3
      c.attention_bias = r.boolean("attention_bias", false);
      c.mlp_bias = r.boolean("mlp_bias", false);
    }
  }
  if (m == "granite") {
    c.embedding_multiplier = r.number("embedding_multiplier", 1.0);
    c.residual_multiplier = r.number("residual_multiplier", 1.0);
    c.attention_multiplier = r.number("attention_multiplier", 1.0);
    c.logits_scaling = r.number("logits_scaling", 1.0);
    if (c.logits_scaling == 0) bad(path, "logits_scaling must not be 0");
  }
  // SmolLM3: no_rope_layers[i] = 1 when layer i applies RoPE (default: every 4th layer has none).
  c.layer_rope.assign(static_cast<size_t>(c.num_hidden_layers), true);
  if (m == "smollm3") {
    const int64_t interval = r.integer("no_rope_layer_interval", 4);
    r.mark("no_rope_layers");
    if (r.has("no_rope_layers")) {
      const json& nr = j["no_rope_layers"];
      if (!nr.is_array() || static_cast<int64_t>(nr.size()) != c.num_hidden_layers)
        bad(path, "field \"no_rope_layers\" must list num_hidden_layers entries (1 = the layer uses RoPE)");
      for (size_t i = 0; i < nr.size(); ++i) {
        if (!nr[i].is_number_integer() || (nr[i] != 0 && nr[i] != 1)) bad(path, "field \"no_rope_layers\" entries must be 0 or 1");
        c.layer_rope[i] = nr[i] == 1;
      }
    } else {
      if (interval <= 0) bad(path, "field \"no_rope_layer_interval\" must be positive");
      for (int64_t i = 0; i < c.num_hidden_layers; ++i) c.layer_rope[static_cast<size_t>(i)] = (i + 1) % interval != 0;
    }
  }
  parse_rope(j, r, path, c);
  parse_windows(j, r, path, c);
  r.finish(true);
  return c;
}

ModelConfig load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::Config, path + ": cannot open (a model folder needs a Hugging Face config.json)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace eye
