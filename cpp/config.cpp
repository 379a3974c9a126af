#include "config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "errors.h"

namespace eye {

using json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  fail(ErrorCode::Config, path + ": " + what);
}

int64_t get_int(const json& j, const std::string& path, const char* key, int64_t def, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) bad(path, std::string("missing field \"") + key + "\"");
    return def;
  }
  if (!j[key].is_number_integer()) bad(path, std::string("field \"") + key + "\" must be an integer");
  int64_t v = j[key].get<int64_t>();
  return v;
}

double get_num(const json& j, const std::string& path, const char* key, double def) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_number()) bad(path, std::string("field \"") + key + "\" must be a number");
  return j[key].get<double>();
}

bool get_bool(const json& j, const std::string& path, const char* key, bool def) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_boolean()) bad(path, std::string("field \"") + key + "\" must be true or false");
  return j[key].get<bool>();
}

}  // namespace

ModelConfig parse_config(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) bad(path, "not a JSON object");
  ModelConfig c;
  c.raw = text;
  std::string arch;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    arch = j["architectures"][0].get<std::string>();
  std::string mt = j.value("model_type", std::string());
  if (arch.empty()) {
    if (mt == "llama") arch = "LlamaForCausalLM";
    else if (mt == "qwen2") arch = "Qwen2ForCausalLM";
    else if (mt == "gpt_bigcode") arch = "GPTBigCodeForCausalLM";
  }
  if (arch == "LlamaForCausalLM") c.model_type = "llama";
  else if (arch == "Qwen2ForCausalLM") c.model_type = "qwen2";
  else if (arch == "GPTBigCodeForCausalLM") c.model_type = "gpt_bigcode";
  else
    bad(path, "unsupported architecture \"" + (arch.empty() ? mt : arch) +
                  "\" (supported: LlamaForCausalLM, Qwen2ForCausalLM, GPTBigCodeForCausalLM)");
  c.architecture = arch;
  if (c.model_type == "gpt_bigcode") {
    // GPT-2 style field names.
    c.vocab_size = get_int(j, path, "vocab_size", 0, true);
    c.hidden_size = get_int(j, path, "n_embd", 0, true);
    c.num_hidden_layers = get_int(j, path, "n_layer", 0, true);
    c.num_attention_heads = get_int(j, path, "n_head", 0, true);
    c.max_position_embeddings = get_int(j, path, "n_positions", 0, true);
    c.intermediate_size = get_int(j, path, "n_inner", 4 * c.hidden_size, false);
    for (auto [k, v] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size}, {"n_embd", c.hidden_size},
                        {"n_layer", c.num_hidden_layers}, {"n_head", c.num_attention_heads}, {"n_positions", c.max_position_embeddings},
                        {"n_inner", c.intermediate_size}})
      if (v <= 0) bad(path, std::string("field \"") + k + "\" must be positive");
    if (c.hidden_size % c.num_attention_heads != 0) bad(path, "n_embd must be divisible by n_head");
    c.head_dim = c.hidden_size / c.num_attention_heads;
    c.multi_query = get_bool(j, path, "multi_query", true);
    c.num_key_value_heads = c.multi_query ? 1 : c.num_attention_heads;
    c.layer_norm_epsilon = get_num(j, path, "layer_norm_epsilon", 1e-5);
    c.initializer_range = get_num(j, path, "initializer_range", 0.02);
    c.tie_word_embeddings = get_bool(j, path, "tie_word_embeddings", true);
    c.activation = j.value("activation_function", std::string("gelu_pytorch_tanh"));
    if (c.activation != "gelu_pytorch_tanh" && c.activation != "gelu" && c.activation != "gelu_new")
      bad(path, "activation_function \"" + c.activation + "\" is not supported (gelu_pytorch_tanh, gelu_new, gelu)");
    if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) c.torch_dtype = j["torch_dtype"].get<std::string>();
    if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) c.pad_token_id = j["pad_token_id"].get<int64_t>();
    return c;
  }

  c.vocab_size = get_int(j, path, "vocab_size", 0, true);
  c.hidden_size = get_int(j, path, "hidden_size", 0, true);
  c.intermediate_size = get_int(j, path, "intermediate_size", 0, true);
  c.num_hidden_layers = get_int(j, path, "num_hidden_layers", 0, true);
  c.num_attention_heads = get_int(j, path, "num_attention_heads", 0, true);
  c.num_key_value_heads = get_int(j, path, "num_key_value_heads", c.num_attention_heads, false);
  c.max_position_embeddings = get_int(j, path, "max_position_embeddings", 2048, false);
  for (auto [k, v] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                      {"intermediate_size", c.intermediate_size}, {"num_hidden_layers", c.num_hidden_layers},
                      {"num_attention_heads", c.num_attention_heads}, {"num_key_value_heads", c.num_key_value_heads}})
    if (v <= 0) bad(path, std::string("field \"") + k + "\" must be positive");
  c.head_dim = get_int(j, path, "head_dim", c.hidden_size / c.num_attention_heads, false);
  if (!j.contains("head_dim") && c.hidden_size % c.num_attention_heads != 0)
    bad(path, "hidden_size must be divisible by num_attention_heads (or give head_dim)");
  if (c.head_dim <= 0 || c.head_dim % 2 != 0) bad(path, "head_dim must be a positive even number (rotary embedding)");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    bad(path, "num_attention_heads must be a multiple of num_key_value_heads");
  c.rms_norm_eps = get_num(j, path, "rms_norm_eps", 1e-6);
  c.rope_theta = get_num(j, path, "rope_theta", 10000.0);
  c.initializer_range = get_num(j, path, "initializer_range", 0.02);
  c.tie_word_embeddings = get_bool(j, path, "tie_word_embeddings", c.model_type == "llama" ? false : false);
  if (c.model_type == "qwen2") {
    c.qkv_bias = true;
  } else {
    c.attention_bias = get_bool(j, path, "attention_bias", false);
    c.mlp_bias = get_bool(j, path, "mlp_bias", false);
  }
  c.hidden_act = j.value("hidden_act", std::string("silu"));
  if (c.hidden_act != "silu") bad(path, "hidden_act \"" + c.hidden_act + "\" is not supported (only silu)");
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) c.torch_dtype = j["torch_dtype"].get<std::string>();
  if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) c.pad_token_id = j["pad_token_id"].get<int64_t>();

  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    const json& r = j["rope_scaling"];
    if (!r.is_object()) bad(path, "rope_scaling must be an object or null");
    std::string type = r.value("rope_type", r.value("type", std::string("default")));
    if (type == "default") {
      c.rope_scaling.type = "none";
    } else if (type == "linear" || type == "llama3") {
      c.rope_scaling.type = type;
      c.rope_scaling.factor = get_num(r, path + " rope_scaling", "factor", 1.0);
      if (c.rope_scaling.factor <= 0) bad(path, "rope_scaling.factor must be positive");
      if (type == "llama3") {
        c.rope_scaling.low_freq_factor = get_num(r, path, "low_freq_factor", 1.0);
        c.rope_scaling.high_freq_factor = get_num(r, path, "high_freq_factor", 4.0);
        c.rope_scaling.original_max_position_embeddings =
            get_num(r, path, "original_max_position_embeddings", 8192.0);
        if (c.rope_scaling.high_freq_factor <= c.rope_scaling.low_freq_factor)
          bad(path, "rope_scaling.high_freq_factor must exceed low_freq_factor");
      }
    } else {
      bad(path, "rope_scaling type \"" + type + "\" is not supported (supported: linear, llama3)");
    }
  }
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
