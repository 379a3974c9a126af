// A single forward (+ optional backward) pass that returns everything a researcher audits on a
// batch: logits, per-token CE, the weighted loss, per-parameter gradients, attention probabilities.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "batch.h"
#include "llama.h"

namespace eye {

struct InspectOptions {
  bool grads = false;
  std::vector<int64_t> attention_layers;  // empty = no capture
  bool normalize_by_weights = false;
  bool adapters_off = false;   // run the base model (LoRA switched off)
  bool reference = false;      // also compute L_pref against the adapters-off model
  double beta = 0.1;           // preference temperature
  double gamma = 0.0;          // with reference: gradients are of L_SFT + γ·L_pref
};

// Every tensor of the result is on the CPU, whatever the model's device.
struct InspectResult {
  torch::Tensor logits;    // [B,T,V] float32 (float64 for float64 models)
  torch::Tensor token_ce;  // [B,T-1]
  double loss = 0;             // L_SFT (the differentiated value when grads are asked for)
  int64_t tokens = 0;
  double pref = NAN;           // L_pref when reference was asked for
  double total = 0;            // L_SFT + γ·L_pref (the differentiated value)
  int64_t pref_sequences = 0;
  std::vector<std::pair<std::string, torch::Tensor>> grads;  // HF name → gradient
  std::vector<std::pair<int64_t, torch::Tensor>> attention;  // layer → [B,H,T,T]
};

InspectResult inspect_forward(CausalLM& model, const Batch& b, const InspectOptions& o);

}  // namespace eye
