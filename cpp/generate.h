// Decoding for evaluation: greedy (batched, left-padded prompts) and beam search, with or without
// the KV cache, per-token log-probs, EOS / max-new-tokens stopping, optional attention of every
// generated token over its prompt, and a per-step callback for streaming.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "llama.h"

namespace eye {

struct GenerateOptions {
  int64_t max_new_tokens = 128;
  std::vector<int64_t> eos_ids;          // any of them ends a sequence (it is kept in the output)
  int64_t pad_id = 0;                    // left padding (never attended to)
  bool use_cache = true;
  int64_t num_beams = 1;                 // 1 = greedy
  double length_penalty = 1.0;           // beam score = Σ log p / len^length_penalty
  std::vector<int64_t> attention_layers; // capture attention of generated tokens over the prompt
};

struct Generation {
  std::vector<int64_t> tokens;
  std::vector<double> logprobs;        // log π(token | prefix) of each generated token
  std::string finish;                  // "eos" | "length"
  // layer → [n_generated, heads, prompt_len] row-major (mean over nothing: raw per head)
  std::vector<std::pair<int64_t, torch::Tensor>> attention;
};

// on_step(step, tokens of this step per prompt (-1 = finished)) → false stops early. Greedy only.
// Every decoding step (greedy and beam) first honours a stop request of the calling thread's
// CallScope (cpp/cancel.h): EngineError(Interrupted), and nothing of the model changed.
using StepCallback = std::function<bool(int64_t, const std::vector<int64_t>&)>;

std::vector<Generation> generate(CausalLM& m, const std::vector<std::vector<int64_t>>& prompts, const GenerateOptions& o,
                                 const StepCallback& on_step = nullptr);

}  // namespace eye
