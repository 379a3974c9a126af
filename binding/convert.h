// N-API ↔ engine helpers: error translation, TypedArray ↔ tensor, async worker base.
// Rule: no engine exception may escape into Node (an escaping c10::Error aborts the process).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "batch.h"
#include "cancel.h"
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
//
// Long calls can also be stopped and observed (issue 11):
// - stoppable(options) reads options.abortFlag, an Int32Array of length ≥ 1 over a
//   SharedArrayBuffer: the JS side sets element 0 to 1 (Atomics.store) when its AbortSignal fires,
//   and the engine's loops, run inside this worker's eye::CallScope (cpp/cancel.h), then throw
//   EngineError(Interrupted), which rejects the promise with code EYEMULATOR_INTERRUPTED.
// - listen(fn) makes `fn` the call's listener: emit() queues calls of it on the JS thread through a
//   thread-safe function (without one, emit is never reached: no cost). When the work is done,
//   successfully or not, the listener is called once more with no arguments: everything emitted
//   before has then been delivered, so src/native waits for that call before settling.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env);
  ~PromiseWorker() override;
  Napi::Promise promise() { return deferred_.Promise(); }
  void keep(const Napi::Value& v);
  // options.abortFlag (undefined/null: not stoppable); anything but an Int32Array is refused.
  void stoppable(const Napi::Object& options);
  // options[key] as the listener (undefined/null: none; not a function: refused). Also makes
  // eye::report_progress(done, total) in the work call it with (done, total).
  bool listen_progress(const Napi::Object& options, const char* key);
  bool listen(const Napi::Value& fn, const char* key);
  bool listening() const { return listening_; }
  // Builds the listener's arguments on the JS thread. Call only from the worker thread, while Run runs.
  using Args = std::function<std::vector<napi_value>(Napi::Env)>;
  void emit(Args make);

 protected:
  void Execute() final;
  virtual void Run() = 0;  // the off-thread work
  virtual Napi::Value Result(Napi::Env env) = 0;
  void OnOK() final;
  void OnError(const Napi::Error& e) final;
  eye::CallControl control_;  // installed around Run (cpp/cancel.h)

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
  ErrorInfo err_;
  Napi::ThreadSafeFunction tsfn_;
  bool listening_ = false;
};

// Queues a worker built (and its options read) under a unique_ptr, so that an option refused after
// construction frees it; the queued worker deletes itself when done. Returns its promise.
template <typename W>
Napi::Promise queue(std::unique_ptr<W> w) {
  Napi::Promise p = w->promise();
  w.release()->Queue();
  return p;
}

}  // namespace eyebind
