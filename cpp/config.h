// Hugging Face config.json → the hyper-parameters the engine needs, with HF's field names and
// defaults (transformers' configuration_<family>.py). Both layouts transformers writes are read:
//   v4: top-level "rope_theta" + "rope_scaling" {type|rope_type, factor, ...} + "torch_dtype";
//   v5: "rope_parameters" {rope_type, rope_theta, factor, ...} + "dtype" + "layer_types".
// Contradictions between the two are refused. Every field of config.json is either read here
// (and implemented), listed as known-harmless (config.cpp: kHarmless, with the reason), or
// refused with a ConfigError naming it: nothing that changes the maths is silently ignored.
// Unknown architectures are refused with the list of supported ones.
#pragma once
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

namespace eye {

// The rotary embedding's parameters (HF modeling_rope_utils.py; cpp/rope.cpp computes them).
struct RopeScaling {
  // default | linear | llama3 | dynamic | yarn | longrope  ("none" = no rotary embedding at all:
  // GPTBigCode's learned absolute positions).
  std::string type = "default";
  double factor = 1.0;                                        // linear, llama3, dynamic, yarn, longrope
  double low_freq_factor = 1.0, high_freq_factor = 4.0;       // llama3
  double original_max_position_embeddings = 8192.0;           // llama3, yarn, longrope
  double attention_factor = -1;                               // yarn, longrope; < 0 = derived as HF
  double beta_fast = 32, beta_slow = 1, mscale = 0, mscale_all_dim = 0;  // yarn (0 = absent)
  bool truncate = true;                                       // yarn
  std::vector<double> short_factor, long_factor;              // longrope, each [rotary_dim/2]
  bool factor_given = true;                                   // longrope/yarn: factor absent → derived
};

struct ModelConfig {
  // LlamaForCausalLM | Qwen2ForCausalLM | Qwen3ForCausalLM | MistralForCausalLM |
  // Starcoder2ForCausalLM | GraniteForCausalLM | SmolLM3ForCausalLM | Phi3ForCausalLM |
  // GPTBigCodeForCausalLM
  std::string architecture;
  std::string model_type;  // llama | qwen2 | qwen3 | mistral | starcoder2 | granite | smollm3 | phi3 | gpt_bigcode
  int64_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0;
  int64_t num_attention_heads = 0, num_key_value_heads = 0, head_dim = 0, max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6, rope_theta = 10000.0, initializer_range = 0.02;
  // Fraction of head_dim that is rotated (Phi-3 family; HF: dim = int(head_dim · factor)).
  double partial_rotary_factor = 1.0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q,k,v,o biases (Llama's attention_bias; StarCoder2's use_bias)
  bool qkv_bias = false;        // q,k,v biases only (Qwen2)
  bool mlp_bias = false;        // (StarCoder2's use_bias)
  bool qk_norm = false;         // Qwen3: RMSNorm(head_dim) on each query/key head before RoPE
  std::string hidden_act = "silu";  // silu (gated MLP) | gelu_pytorch_tanh | gelu (StarCoder2 c_fc/c_proj MLP)
  std::string torch_dtype = "float32";
  int64_t pad_token_id = -1;
  RopeScaling rope_scaling;
  // Granite: h = embed·embedding_multiplier; residual adds ·residual_multiplier; attention scores
  // ·attention_multiplier (instead of 1/√head_dim); logits / logits_scaling.
  double embedding_multiplier = 1.0, residual_multiplier = 1.0, logits_scaling = 1.0;
  double attention_multiplier = -1;  // < 0 = 1/√head_dim
  // Per layer [num_hidden_layers]: whether the layer applies RoPE (SmolLM3 no_rope_layers) and its
  // sliding window (0 = full causal attention; w > 0: key j visible to query i iff i-w < j <= i,
  // HF masking_utils.sliding_window_overlay).
  std::vector<bool> layer_rope;
  std::vector<int64_t> layer_window;
  // GPTBigCode (StarCoder): learned absolute positions, LayerNorm with bias, fused c_attn,
  // multi-query attention, gelu (tanh approximation). StarCoder2's norm_epsilon lands here too.
  double layer_norm_epsilon = 1e-5;
  bool multi_query = true;
  std::string activation = "gelu_pytorch_tanh";
  // The dtype every module creates its parameters in (no float32 staging copy of big tensors);
  // set by the loader before the model is built. Not read from config.json.
  c10::ScalarType param_dtype = c10::ScalarType::Float;
  std::string raw;  // the config.json text, written back unchanged when the model is saved

  bool uses_rope() const { return rope_scaling.type != "none"; }
  int64_t rotary_dim() const { return static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor); }
};

// Parses config.json text; `path` names the file in errors. Throws EngineError(Config).
ModelConfig parse_config(const std::string& text, const std::string& path);
ModelConfig load_config(const std::string& path);

// The architectures the engine runs (HF class names), in the order errors list them.
const std::vector<std::string>& supported_architectures();

// PEFT's default LoRA target modules for this family (peft/utils/constants.py,
// TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING, PEFT 0.21). Empty where PEFT has no default
// (starcoder2, granite, smollm3, phi3: PEFT then asks for explicit target_modules).
std::vector<std::string> default_lora_targets(const ModelConfig& c);

// Upper bound on the parameter count a config may describe before anything is allocated
// (issue 9: num_hidden_layers 2^31-1 allocated until the machine died). 2e12 = 2T parameters
// (Llama-3.1-405B is 4e11).
constexpr double kMaxParameters = 2e12;
constexpr int64_t kMaxLayers = 4096;

}  // namespace eye
