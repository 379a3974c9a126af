// Hugging Face config.json → the hyper-parameters the engine needs, with HF's field names and
// defaults. Unknown architectures are refused with the list of supported ones.
#pragma once
#include <cstdint>
#include <string>

namespace eye {

struct RopeScaling {
  std::string type = "none";  // none | linear | llama3
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;       // llama3
  double original_max_position_embeddings = 8192.0;           // llama3
};

struct ModelConfig {
  std::string architecture;  // LlamaForCausalLM | Qwen2ForCausalLM | GPTBigCodeForCausalLM
  std::string model_type;    // llama | qwen2 | gpt_bigcode
  int64_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_hidden_layers = 0;
  int64_t num_attention_heads = 0, num_key_value_heads = 0, head_dim = 0, max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6, rope_theta = 10000.0, initializer_range = 0.02;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q,k,v,o biases (Llama's attention_bias)
  bool qkv_bias = false;        // q,k,v biases only (Qwen2)
  bool mlp_bias = false;
  std::string hidden_act = "silu";
  std::string torch_dtype = "float32";
  int64_t pad_token_id = -1;
  RopeScaling rope_scaling;
  // GPTBigCode (StarCoder): learned absolute positions, LayerNorm with bias, fused c_attn,
  // multi-query attention, gelu (tanh approximation).
  double layer_norm_epsilon = 1e-5;
  bool multi_query = true;
  std::string activation = "gelu_pytorch_tanh";
  std::string raw;  // the config.json text, written back unchanged when the model is saved
};

// Parses config.json text; `path` names the file in errors.
ModelConfig parse_config(const std::string& text, const std::string& path);
ModelConfig load_config(const std::string& path);

}  // namespace eye
