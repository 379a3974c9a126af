// LoRA adapters (Hu et al. 2021, arXiv:2106.09685) as PEFT 0.21 implements them: which
// projections get an adapter, with which rank and alpha. The adapter members of ProjImpl and
// CausalLMImpl (add_lora_branch, add_lora, trainable, merge_lora) are declared in llama.h and
// defined in lora.cpp; reading/writing PEFT's adapter folders is peft.{h,cpp}.
//
// Module selection follows PEFT exactly (sources: peft/tuners/tuners_utils.py
// check_target_module_exists and _maybe_include_all_linear_layers, peft/tuners/lora/model.py
// _create_and_replace, peft/utils/other.py get_pattern_key). Module paths are the *base* model's
// ("model.layers.0.self_attn.q_proj"), the keys of CausalLMImpl::projections.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace eye {

struct LoraConfig {
  int64_t r = 8;            // default rank (PEFT "r")
  double alpha = 16;        // default lora_alpha
  double dropout = 0.0;     // lora_dropout on the adapter input, training only
  // target_modules, list form: a module matches when its path equals an entry or ends with
  // "." + entry. Used when target_regex is empty.
  std::vector<std::string> target_modules;
  // target_modules, string form: re.fullmatch on the full path (Python syntax, translated; see
  // python_regex_to_ecmascript), or "all-linear" (any case): every projection except the output
  // layer (lm_head).
  std::string target_regex;
  // exclude_modules: list (same matching as target_modules) or a fullmatch regex; excluded paths
  // never get an adapter.
  std::vector<std::string> exclude_modules;
  std::string exclude_regex;
  // layers_to_transform (empty = every layer) and layers_pattern (empty = PEFT's default: the first
  // "<name>.<digits>." segment after the first dot). Only with a list target_modules, and only for
  // entries matched as suffixes (a full path in target_modules is taken whatever its layer, as PEFT).
  std::vector<int64_t> layers_to_transform;
  std::vector<std::string> layers_pattern;
  // rank_pattern / alpha_pattern: key (a Python regex) → rank / alpha for paths matching
  // "(.*\.)?(key)$"; the first matching key in this order wins (PEFT iterates the dict in order).
  std::vector<std::pair<std::string, int64_t>> rank_pattern;
  std::vector<std::pair<std::string, double>> alpha_pattern;
  bool use_rslora = false;  // scaling alpha/√r (rsLoRA, arXiv:2312.03732) instead of alpha/r
  uint64_t seed = 0;        // init of A and the dropout stream
  // Names the origin of this configuration in errors ("…/adapter_config.json", "addLora options").
  std::string source = "LoRA options";
  // The adapter_config.json text this came from (empty for add_lora): save_adapter writes its
  // fields back, so a loaded adapter round-trips with every field PEFT wrote.
  std::string raw;
};

// One projection that gets an adapter.
struct LoraTarget {
  std::string path;  // HF module path, "model.layers.0.self_attn.q_proj"
  int64_t r;
  double alpha;
  double scaling;  // alpha / r, or alpha / √r with use_rslora
};

// PEFT's selection over `module_paths` (the adaptable projections, in their order).
// `other_modules` are the model's other module paths (norms, embeddings, containers such as
// "model.layers.0.mlp"): PEFT would try to adapt one that the targets select and fail (or, for an
// embedding, adapt it where the engine does not), so selecting one is an error. Errors (EngineError
// Checkpoint when lc.source names a .json file, else Argument): such a selection, a regex PEFT's
// Python accepts but ECMAScript would read differently, a bad regex, r < 1, nothing matched.
std::vector<LoraTarget> resolve_lora_targets(const LoraConfig& lc, const std::vector<std::string>& module_paths,
                                             const std::vector<std::string>& other_modules = {});

// Python `re` pattern → the same pattern for std::regex (ECMAScript), or an EngineError naming
// `source`, `field` and the construct. Translated exactly: (?P<name>…) → (…) (group numbers unchanged),
// \A → ^, \Z → $ (std::regex has no multiline mode, so $ is the end of the name). Refused:
// (?P=name), inline flags (?i) (?aiLmsux-…:…), lookbehind (?<= (?<!, atomic (?>…), comments (?#…),
// conditionals (?(…)…), possessive quantifiers *+ ++ ?+ }+, \U \N \z, POSIX classes [:…:] (which
// ECMAScript reads as classes but Python as literal characters).
std::string python_regex_to_ecmascript(const std::string& pattern, const std::string& source, const std::string& field);

}  // namespace eye
