// N-API ↔ engine helpers: error translation, TypedArray ↔ tensor, async worker base.
// Rule: no engine exception may escape into Node (an escaping c10::Error aborts the process).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "batch.h"
#include "config.h"
#include "errors.h"

namespace eyebind {

// Message and code of any exception the engine can throw.
struct ErrorInfo {
  std::string message;
  std::string code;
};
ErrorInfo describe_current_exception();

Napi::Error make_error(Napi::Env env, const ErrorInfo& e);

// Runs f; turns any engine/libtorch/std exception into a thrown JS error with `code`.
template <typename F>
auto guard(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw make_error(env, describe_current_exception());
  }
}

// A tensor over a TypedArray's memory (no copy). Checks element type and that the length equals
// the product of `shape`; `field` names the argument in errors.
torch::Tensor view_typed_array(const Napi::Value& v, const std::vector<int64_t>& shape, const std::string& field);

// A fresh JS TypedArray holding a copy of a CPU tensor (Float32Array, Float64Array, Int32Array…),
// as {data, shape}.
Napi::Object tensor_to_js(Napi::Env env, const torch::Tensor& t);

// Reads {inputIds, labels, weights?, attentionMask?, pathMask?, batchSize, seqLen} into tensor
// views. Conversion of ids to int64 happens later, in to_engine_batch (off the JS thread).
struct JsBatch {
  torch::Tensor input_ids, labels, weights, attention_mask, path_mask;
};
// Also runs check_batch_values. Throws EngineError (Argument for the layout, Batch for values).
JsBatch read_batch(const Napi::Value& v, const std::string& field);
// Values the engine must not misread, checked before anything is allocated for the batch:
// attentionMask and pathMask ∈ {0, 1}, weights finite and ≥ 0, inputIds ≥ 0, labels ≥ 0 or −100.
// EngineError(Batch) naming `field` and the array.
void check_batch_values(const JsBatch& b, const std::string& field);
// The model's limits, for callers that know the model (forward, a trainer step): rows of at most
// `max_positions` tokens (max_position_embeddings; ≤ 0: unchecked), ids and labels below
// `vocab_size` (≤ 0: unchecked). EngineError(Batch) naming `field`. The engine's validate_batch
// checks the vocabulary again later; the length check is what keeps a 20,000-token row from
// allocating gigabytes of attention before anything fails.
void check_batch_limits(const JsBatch& b, int64_t vocab_size, int64_t max_positions, const std::string& field);

// The longest row a model can take, for check_batch_limits: max_position_embeddings where positions
// are learned (GPTBigCode's wpe has no row beyond it); 0 = no limit for RoPE models, which accept
// longer inputs as transformers does (dynamic NTK and YaRN scaling exist for exactly that).
int64_t position_limit(const eye::ModelConfig& c);
// The engine batch on the model's device: converted (ids to int64, ...) and copied there. Runs on
// the worker thread; the JS arrays are only read, never kept.
eye::Batch to_engine_batch(const JsBatch& b, torch::Device device);

// Base for promise-returning workers: catches everything in Execute, rejects with a coded error,
// and keeps JS objects (batches, the wrapper itself) alive until it finishes.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env);
  Napi::Promise promise() { return deferred_.Promise(); }
  void keep(const Napi::Value& v);

 protected:
  void Execute() final;
  virtual void Run() = 0;  // the off-thread work
  virtual Napi::Value Result(Napi::Env env) = 0;
  void OnOK() final;
  void OnError(const Napi::Error& e) final;

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
  ErrorInfo err_;
};

}  // namespace eyebind
