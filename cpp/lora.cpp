// LoRA on the engine's projections: PEFT's module selection (which paths, which r and alpha),
// the adapter branch of ProjImpl, attaching fresh adapters, the trainable set, and merging the
// adapters into the base weights. Generic over CausalLMImpl::projections (HF module path → Proj),
// so every linear a family registers there is targetable.
#include "lora.h"

#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <set>

#include "errors.h"
#include "llama.h"

namespace eye {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Errors about a configuration: a CheckpointError when it came from a file, else an ArgumentError.
[[noreturn]] void config_fail(const std::string& source, const std::string& what) {
  fail(ends_with(source, ".json") ? ErrorCode::Checkpoint : ErrorCode::Argument, source + ": " + what);
}

std::regex compile(const std::string& python_pattern, const std::string& wrapped_ecma, const std::string& source,
                   const std::string& field) {
  try {
    return std::regex(wrapped_ecma, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    config_fail(source, "field \"" + field + "\": regex \"" + python_pattern + "\" is not valid for the engine (" + e.what() +
                            "); write it with plain groups, classes and quantifiers");
  }
}

// PEFT's list matching: the name equals an entry or ends with "." + entry.
bool list_match(const std::vector<std::string>& entries, const std::string& key) {
  for (const auto& e : entries)
    if (key == e || ends_with(key, "." + e)) return true;
  return false;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string python_regex_to_ecmascript(const std::string& p, const std::string& source, const std::string& field) {
  auto refuse = [&](const std::string& construct, const std::string& why) -> void {
    config_fail(source, "field \"" + field + "\": regex \"" + p + "\" uses " + construct + " (" + why +
                            "); the engine matches with ECMAScript regexes: rewrite the pattern without it, or list the "
                            "module names instead");
  };
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) refuse("a trailing backslash", "not a complete escape");
      const char n = p[i + 1];
      if (!in_class && n == 'A') { out += '^'; ++i; continue; }
      if (!in_class && n == 'Z') { out += '$'; ++i; continue; }
      if (n == 'U' || n == 'N' || n == 'z' || n == 'A' || n == 'Z' || n == 'a' || n == 'g')
        refuse(std::string("\\") + n, "Python-only escape");
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < p.size() && (p[i + 1] == ':' || p[i + 1] == '=' || p[i + 1] == '.'))
        refuse(std::string("[") + p[i + 1] + " inside a class", "ECMAScript reads a POSIX class, Python literal characters");
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      // "[]…]" and "[^]…]": Python takes the first ']' literally, ECMAScript closes the class.
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') out += p[++i], j = i + 1;
      if (j < p.size() && p[j] == ']') refuse("']' first in a character class", "Python reads it literally, ECMAScript as an empty class");
      continue;
    }
    if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      const char n = i + 2 < p.size() ? p[i + 2] : '\0';
      if (n == ':' || n == '=' || n == '!') {
        out += "(?";
        out += n;
        i += 2;
        continue;
      }
      if (n == 'P' && i + 3 < p.size() && p[i + 3] == '<') {
        const size_t close = p.find('>', i + 4);
        if (close == std::string::npos) refuse("(?P<", "an unterminated group name");
        out += '(';  // a named group is numbered like a plain one in Python: numbering is unchanged
        i = close;
        continue;
      }
      if (n == 'P') refuse("(?P=name)", "named back-reference");
      if (n == '<' && i + 3 < p.size() && (p[i + 3] == '=' || p[i + 3] == '!')) refuse(p.substr(i, 4), "lookbehind");
      if (n == '>') refuse("(?>", "atomic group");
      if (n == '#') refuse("(?#", "comment group");
      if (n == '(') refuse("(?(", "conditional group");
      refuse(p.substr(i, 3), "inline flags or a group kind ECMAScript lacks");
    }
    if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < p.size() && p[i + 1] == '+')
      refuse(std::string(1, c) + "+", "possessive quantifier");
    out += c;
  }
  return out;
}

std::vector<LoraTarget> resolve_lora_targets(const LoraConfig& lc, const std::vector<std::string>& module_paths,
                                             const std::vector<std::string>& other_modules) {
  const std::string& src = lc.source;
  if (lc.r < 1) config_fail(src, "field \"r\" must be a positive integer (got " + std::to_string(lc.r) + ")");
  const bool all_linear = !lc.target_regex.empty() && lower(lc.target_regex) == "all-linear";
  const bool use_regex = !lc.target_regex.empty() && !all_linear;
  if (lc.target_regex.empty() && lc.target_modules.empty()) config_fail(src, "field \"target_modules\" is empty");
  if (!lc.target_regex.empty() && (!lc.layers_to_transform.empty() || !lc.layers_pattern.empty()))
    config_fail(src, "fields \"layers_to_transform\"/\"layers_pattern\" cannot be used when \"target_modules\" is a string (PEFT refuses this too)");
  if (!lc.layers_pattern.empty() && lc.layers_to_transform.empty())
    config_fail(src, "field \"layers_pattern\" needs \"layers_to_transform\" (PEFT refuses this too)");
  std::regex target_re, exclude_re;
  if (use_regex)
    target_re = compile(lc.target_regex, python_regex_to_ecmascript(lc.target_regex, src, "target_modules"), src, "target_modules");
  if (!lc.exclude_regex.empty())
    exclude_re = compile(lc.exclude_regex, python_regex_to_ecmascript(lc.exclude_regex, src, "exclude_modules"), src, "exclude_modules");
  // Layer index: PEFT re.match(r".*?\.[^.]*\.(?P<idx>\d+)\.", key) by default, else
  // re.match(rf"(?:^|.*?\.){pattern}\.(?P<idx>\d+)\.", key) for each pattern; the first index wins.
  std::vector<std::regex> layer_res;
  if (lc.layers_pattern.empty()) {
    layer_res.emplace_back(R"(.*?\.[^.]*\.(\d+)\.)", std::regex::ECMAScript);
  } else {
    for (const auto& pat : lc.layers_pattern)
      layer_res.push_back(compile(pat, "(?:^|.*?\\.)" + python_regex_to_ecmascript(pat, src, "layers_pattern") + "\\.(\\d+)\\.", src, "layers_pattern"));
  }
  auto layer_index = [&](const std::string& key) -> int64_t {
    for (const auto& re : layer_res) {
      std::smatch m;
      if (std::regex_search(key, m, re, std::regex_constants::match_continuous)) return std::stoll(m[m.size() - 1].str());
    }
    return -1;
  };
  // rank_pattern / alpha_pattern: PEFT get_pattern_key: re.match(rf"(.*\.)?({key})$", name).
  std::vector<std::pair<std::regex, int64_t>> rank_res;
  std::vector<std::pair<std::regex, double>> alpha_res;
  for (const auto& [k, v] : lc.rank_pattern) {
    if (v < 1) config_fail(src, "field \"rank_pattern\": rank " + std::to_string(v) + " for \"" + k + "\" must be positive");
    rank_res.emplace_back(compile(k, "(.*\\.)?(" + python_regex_to_ecmascript(k, src, "rank_pattern") + ")", src, "rank_pattern"), v);
  }
  for (const auto& [k, v] : lc.alpha_pattern)
    alpha_res.emplace_back(compile(k, "(.*\\.)?(" + python_regex_to_ecmascript(k, src, "alpha_pattern") + ")", src, "alpha_pattern"), v);

  // PEFT's check_target_module_exists for one module path.
  auto selected = [&](const std::string& key) {
    // exclude_modules first (PEFT returns _ExcludedModule before looking at targets).
    if (!lc.exclude_regex.empty() ? std::regex_match(key, exclude_re) : list_match(lc.exclude_modules, key)) return false;
    if (all_linear) return key != "lm_head";  // every linear but the output layer (HF get_output_embeddings)
    if (use_regex) return std::regex_match(key, target_re);
    // a full path: taken whatever layers_to_transform says (PEFT's order of checks)
    if (std::find(lc.target_modules.begin(), lc.target_modules.end(), key) != lc.target_modules.end()) return true;
    if (!list_match(lc.target_modules, key)) return false;
    if (lc.layers_to_transform.empty()) return true;
    const int64_t idx = layer_index(key);
    return idx >= 0 && std::find(lc.layers_to_transform.begin(), lc.layers_to_transform.end(), idx) != lc.layers_to_transform.end();
  };
  if (!all_linear)
    for (const auto& key : other_modules)
      if (selected(key))
        config_fail(src, "field \"target_modules\" selects \"" + key +
                             "\", which is not a linear projection (PEFT would fail on it, or adapt an embedding the engine "
                             "cannot); name only linear modules (q_proj, …) or use \"all-linear\"");
  std::vector<LoraTarget> out;
  for (const auto& key : module_paths) {
    if (!selected(key)) continue;
    LoraTarget t{key, lc.r, lc.alpha, 0.0};
    for (const auto& [re, v] : rank_res)
      if (std::regex_match(key, re)) { t.r = v; break; }
    for (const auto& [re, v] : alpha_res)
      if (std::regex_match(key, re)) { t.alpha = v; break; }
    t.scaling = lc.use_rslora ? t.alpha / std::sqrt(static_cast<double>(t.r)) : t.alpha / static_cast<double>(t.r);
    out.push_back(t);
  }
  if (out.empty()) {
    std::string names = lc.target_regex.empty() ? "" : "\"" + lc.target_regex + "\"";
    for (const auto& n : lc.target_modules) names += (names.empty() ? "" : ", ") + n;
    config_fail(src, "field \"target_modules\" (" + names + ") matches no linear module of this model (e.g. \"" +
                         (module_paths.empty() ? std::string() : module_paths.front()) + "\")");
  }
  return out;
}

torch::Tensor ProjImpl::add_lora_branch(const torch::Tensor& x, const torch::Tensor& y) {
  if (!lora_A.defined() || (lora_enabled && !*lora_enabled)) return y;
  // As PEFT (lora/layer.py Linear.forward, cast_input_dtype): the branch runs in the adapters' dtype
  // (float32, or float64 on a float64 model) whatever the base dtype, and the sum is rounded once to
  // the base output's dtype. On a bf16 base this keeps the adapter update out of bf16 arithmetic.
  const auto adt = lora_A.scalar_type();
  torch::Tensor xin = x.scalar_type() == adt ? x : x.to(adt);
  // Dropout from the model's own generator, so runs repeat and resume bit-exactly (cpp/dropout.h:
  // a parallel counter-based mask on the CPU; on CUDA a CUDA generator, see CausalLMImpl::dropout_gen).
  if (is_training() && lora_dropout > 0) xin = xin * dropout_scale_mask(xin, lora_dropout, dropout_gen);
  // scaling·B·(A·x) with the scaling folded into B (an [out, r] tensor, not the [N, out] product)
  // and, when the dtypes agree, the sum with the base output fused into the GEMM (addmm, β = 1):
  // two fewer passes over the activations per adapter, forward and backward.
  torch::Tensor xa = torch::matmul(xin, lora_A.t());
  torch::Tensor bs = lora_scaling == 1.0 ? lora_B : lora_B * lora_scaling;
  if (xa.scalar_type() == y.scalar_type() && y.dim() >= 2) {
    const int64_t out = y.size(-1), r = xa.size(-1);
    return torch::addmm(y.reshape({-1, out}), xa.reshape({-1, r}), bs.t()).view(y.sizes());
  }
  torch::Tensor branch = torch::matmul(xa, bs.t());
  return (y.to(branch.scalar_type()) + branch).to(y.scalar_type());
}

std::vector<std::string> CausalLMImpl::lora_module_paths() const {
  std::vector<std::string> out;
  for (const auto& pr : projections) out.push_back(pr.first);
  return out;
}

std::vector<std::string> CausalLMImpl::non_lora_module_paths() const {
  std::set<std::string> proj;
  for (const auto& pr : projections) proj.insert(pr.first);
  std::vector<std::string> out;
  for (const auto& item : named_modules("", /*include_self=*/false))
    if (!proj.count(item.key())) out.push_back(item.key());
  // HF's parameter-free submodules the engine computes inline (PEFT sees them in named_modules).
  for (const auto& p : std::vector<std::string>(out))
    if (ends_with(p, ".mlp")) {
      out.push_back(p + ".act_fn");  // Llama-like families
      out.push_back(p + ".act");     // GPTBigCode
    }
  return out;
}

void CausalLMImpl::add_lora(const LoraConfig& lc) {
  if (has_lora()) fail(ErrorCode::State, "the model already has a LoRA adapter");
  const std::vector<LoraTarget> targets = resolve_lora_targets(lc, lora_module_paths(), non_lora_module_paths());
  lora_ = lc;
  dropout_gen = make_generator_for(device_, lc.seed ^ 0x9e3779b97f4a7c15ULL);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(lc.seed);
  for (auto& p : parameters(true)) p.set_requires_grad(false);
  torch::NoGradGuard ng;
  size_t next = 0;
  for (auto& [path, proj] : projections) {
    if (next >= targets.size() || targets[next].path != path) continue;  // targets keep the projections' order
    const LoraTarget& t = targets[next++];
    const int64_t in = proj->weight.size(1), out = proj->weight.size(0);
    // PEFT's default init: A ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in), B = 0 (a fresh adapter
    // leaves the model's outputs unchanged). Adapters are kept in float32 (or float64).
    const auto dt = proj->weight.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    // A is drawn on the CPU from the seeded generator (same A on every device), then moved.
    torch::Tensor A = torch::empty({t.r, in}, torch::kFloat32).uniform_(-bound, bound, gen).to(device_, dt);
    torch::Tensor Bm = torch::zeros({out, t.r}, torch::TensorOptions().dtype(dt).device(device_));
    A.set_requires_grad(true);
    Bm.set_requires_grad(true);
    proj->lora_A = A;
    proj->lora_B = Bm;
    proj->lora_scaling = t.scaling;
    proj->lora_dropout = lc.dropout;
    proj->dropout_gen = &dropout_gen;
    lora_named_.emplace_back("base_model.model." + path + ".lora_A.weight", A);
    lora_named_.emplace_back("base_model.model." + path + ".lora_B.weight", Bm);
  }
}

std::vector<std::pair<std::string, torch::Tensor>> CausalLMImpl::trainable() {
  if (has_lora()) return lora_named_;
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& kv : named_parameters(true))
    if (kv.value().requires_grad()) out.emplace_back(kv.key(), kv.value());
  return out;
}

void CausalLMImpl::merge_lora() {
  torch::NoGradGuard ng;
  for (auto& [path, proj] : projections) {
    if (!proj->lora_A.defined()) continue;
    // In float64, then rounded once into the base dtype.
    torch::Tensor delta = torch::matmul(proj->lora_B.to(torch::kFloat64), proj->lora_A.to(torch::kFloat64)) * proj->lora_scaling;
    proj->weight.add_(delta.to(proj->weight.scalar_type()));
    proj->lora_A = torch::Tensor();
    proj->lora_B = torch::Tensor();
  }
  lora_named_.clear();
  lora_ = LoraConfig{};
  for (auto& p : parameters(true)) p.set_requires_grad(true);
}

void CausalLMImpl::remove_lora() {
  for (auto& pr : projections) {
    pr.second->lora_A = torch::Tensor();
    pr.second->lora_B = torch::Tensor();
  }
  lora_named_.clear();
  lora_ = LoraConfig{};
  for (auto& p : parameters(true)) p.set_requires_grad(true);
}

}  // namespace eye
