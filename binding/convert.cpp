#include "convert.h"

#include <c10/util/Exception.h>

#include <memory>

namespace eyebind {

ErrorInfo describe_current_exception() {
  try {
    throw;
  } catch (const eye::EngineError& e) {
    return {e.what(), eye::error_code_name(e.code)};
  } catch (const c10::Error& e) {
    return {std::string("libtorch: ") + e.what_without_backtrace(), "EYEMULATOR_TORCH"};
  } catch (const std::bad_alloc&) {
    return {"out of memory", "EYEMULATOR_OOM"};
  } catch (const std::exception& e) {
    return {e.what(), "EYEMULATOR_ENGINE"};
  } catch (...) {
    return {"unknown native error", "EYEMULATOR_ENGINE"};
  }
}

Napi::Error make_error(Napi::Env env, const ErrorInfo& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("code", Napi::String::New(env, e.code));
  return err;
}

namespace {

[[noreturn]] void bad_arg(const std::string& msg) { eye::fail(eye::ErrorCode::Argument, msg); }

torch::ScalarType typed_array_dtype(napi_typedarray_type t, const std::string& field) {
  switch (t) {
    case napi_float32_array: return torch::kFloat32;
    case napi_float64_array: return torch::kFloat64;
    case napi_int32_array: return torch::kInt32;
    case napi_uint8_array: return torch::kUInt8;
    case napi_int8_array: return torch::kInt8;
    case napi_int16_array: return torch::kInt16;
    case napi_bigint64_array: return torch::kInt64;
    default: bad_arg(field + ": unsupported TypedArray type (use Float32Array, Float64Array, Int32Array, Uint8Array or BigInt64Array)");
  }
}

}  // namespace

torch::Tensor view_typed_array(const Napi::Value& v, const std::vector<int64_t>& shape, const std::string& field) {
  if (!v.IsTypedArray()) bad_arg(field + " must be a TypedArray");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) bad_arg(field + ": negative dimension");
    numel *= d;
  }
  // from_blob never checks sizes: a wrong length would be memory corruption, so check here.
  if (static_cast<int64_t>(ta.ElementLength()) != numel)
    bad_arg(field + " has " + std::to_string(ta.ElementLength()) + " elements but the shape needs " + std::to_string(numel));
  auto dtype = typed_array_dtype(ta.TypedArrayType(), field);
  uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return torch::from_blob(base, shape, torch::TensorOptions().dtype(dtype));
}

Napi::Object tensor_to_js(Napi::Env env, const torch::Tensor& t0) {
  torch::Tensor t = t0.detach().to(torch::kCPU).contiguous();
  if (t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kFloat16) t = t.to(torch::kFloat32);
  if (t.scalar_type() == torch::kBool) t = t.to(torch::kUInt8);
  const size_t n = static_cast<size_t>(t.numel());
  Napi::Object out = Napi::Object::New(env);
  Napi::Value data;
  auto copy = [&](auto arr, size_t bytes) {
    if (bytes) std::memcpy(arr.Data(), t.data_ptr(), bytes);
    data = arr;
  };
  switch (t.scalar_type()) {
    case torch::kFloat32: copy(Napi::Float32Array::New(env, n), n * 4); break;
    case torch::kFloat64: copy(Napi::Float64Array::New(env, n), n * 8); break;
    case torch::kInt32: copy(Napi::Int32Array::New(env, n), n * 4); break;
    case torch::kInt64: copy(Napi::BigInt64Array::New(env, n), n * 8); break;
    case torch::kUInt8: copy(Napi::Uint8Array::New(env, n), n); break;
    case torch::kInt8: copy(Napi::Int8Array::New(env, n), n); break;
    case torch::kInt16: copy(Napi::Int16Array::New(env, n), n * 2); break;
    default: bad_arg(std::string("cannot return dtype ") + c10::toString(t.scalar_type()));
  }
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(t.size(i))));
  out.Set("data", data);
  out.Set("shape", shape);
  return out;
}

JsBatch read_batch(const Napi::Value& v, const std::string& field) {
  if (!v.IsObject()) bad_arg(field + " must be an object {inputIds, labels, weights?, attentionMask?, pathMask?, batchSize, seqLen}");
  Napi::Object o = v.As<Napi::Object>();
  auto dim = [&](const char* k) -> int64_t {
    Napi::Value x = o.Get(k);
    if (!x.IsNumber()) bad_arg(field + "." + k + " must be a number");
    double d = x.As<Napi::Number>().DoubleValue();
    if (d < 1 || d != static_cast<double>(static_cast<int64_t>(d))) bad_arg(field + "." + k + " must be a positive integer");
    return static_cast<int64_t>(d);
  };
  const std::vector<int64_t> shape{dim("batchSize"), dim("seqLen")};
  JsBatch b;
  auto opt = [&](const char* k, torch::Tensor& dst, std::initializer_list<torch::ScalarType> ok) {
    Napi::Value x = o.Get(k);
    if (x.IsUndefined() || x.IsNull()) return;
    dst = view_typed_array(x, shape, field + "." + k);
    for (auto t : ok)
      if (dst.scalar_type() == t) return;
    bad_arg(field + "." + k + " has the wrong TypedArray type");
  };
  opt("inputIds", b.input_ids, {torch::kInt32, torch::kInt64});
  opt("labels", b.labels, {torch::kInt32, torch::kInt64});
  opt("weights", b.weights, {torch::kFloat32, torch::kFloat64});
  opt("attentionMask", b.attention_mask, {torch::kInt32, torch::kUInt8, torch::kInt8, torch::kInt64});
  opt("pathMask", b.path_mask, {torch::kUInt8, torch::kInt8, torch::kInt32});
  if (!b.input_ids.defined()) bad_arg(field + ".inputIds is required");
  if (!b.labels.defined()) bad_arg(field + ".labels is required");
  check_batch_values(b, field);
  return b;
}

void check_batch_values(const JsBatch& b, const std::string& field) {
  auto batch_error = [&](const std::string& msg) { eye::fail(eye::ErrorCode::Batch, field + "." + msg); };
  // Masks are read as "≠ 0" by the engine: a 2 or a 0.5 that was meant as something else would
  // silently count as 1, so only 0 and 1 are taken.
  auto binary = [&](const torch::Tensor& t, const char* k) {
    if (!t.defined() || t.numel() == 0) return;
    if (!((t == 0) | (t == 1)).all().item<bool>()) batch_error(std::string(k) + " holds a value other than 0 and 1");
  };
  binary(b.attention_mask, "attentionMask");
  binary(b.path_mask, "pathMask");
  if (b.weights.defined() && b.weights.numel() > 0) {
    if (!torch::isfinite(b.weights).all().item<bool>()) batch_error("weights holds NaN or infinity");
    if ((b.weights < 0).any().item<bool>()) batch_error("weights holds a negative weight");
  }
  if (b.input_ids.numel() > 0 && (b.input_ids < 0).any().item<bool>())
    batch_error("inputIds holds a negative id (ids are in [0, vocab_size))");
  // −100 is the only negative label (HF's ignore_index); a wrapped 2^32−100 would arrive as −100
  // from an Int32Array, which only the caller can see (src/data/batch-json.ts checks before filling).
  if (b.labels.numel() > 0 && ((b.labels < 0) & (b.labels != -100)).any().item<bool>())
    batch_error("labels holds a negative label other than -100 (no loss)");
}

void check_batch_limits(const JsBatch& b, int64_t vocab_size, int64_t max_positions, const std::string& field) {
  auto batch_error = [&](const std::string& msg) { eye::fail(eye::ErrorCode::Batch, field + "." + msg); };
  const int64_t T = b.input_ids.dim() == 2 ? b.input_ids.size(1) : 0;
  if (max_positions > 0 && T > max_positions)
    batch_error("inputIds rows hold " + std::to_string(T) + " tokens but the model takes at most " +
                std::to_string(max_positions) + " (max_position_embeddings)");
  if (vocab_size > 0 && b.input_ids.numel() > 0 && (b.input_ids >= vocab_size).any().item<bool>())
    batch_error("inputIds holds an id outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
  if (vocab_size > 0 && b.labels.numel() > 0 && (b.labels >= vocab_size).any().item<bool>())
    batch_error("labels holds an id outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
}

int64_t position_limit(const eye::ModelConfig& c) { return c.uses_rope() ? 0 : c.max_position_embeddings; }

eye::Batch to_engine_batch(const JsBatch& j, torch::Device device) {
  // The views over JS memory are pageable CPU tensors: a plain (blocking) copy to the device.
  eye::Batch b;
  b.input_ids = j.input_ids.to(device, torch::kInt64);
  b.labels = j.labels.to(device, torch::kInt64);
  if (j.weights.defined()) b.weights = j.weights.to(device, torch::kFloat32);
  if (j.attention_mask.defined()) b.attention_mask = j.attention_mask.to(device, torch::kInt64);
  if (j.path_mask.defined()) b.path_mask = j.path_mask.to(device, torch::kBool);
  return b;
}

PromiseWorker::PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

PromiseWorker::~PromiseWorker() {
  if (listening_) tsfn_.Release();  // on the JS thread; queued calls are still delivered
}

void PromiseWorker::keep(const Napi::Value& v) { keep_.emplace_back(Napi::Persistent(v)); }

void PromiseWorker::stoppable(const Napi::Object& options) {
  Napi::Value v = options.Get("abortFlag");
  if (v.IsUndefined() || v.IsNull()) return;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || v.As<Napi::TypedArray>().ElementLength() < 1)
    eye::fail(eye::ErrorCode::Argument, "option abortFlag must be an Int32Array of length 1 over a SharedArrayBuffer");
  // The data pointer of an Int32Array is stable once taken (V8 moves an on-heap array's contents
  // off the heap for it); keep() holds the array for as long as the work may read it.
  control_.stop_flag = v.As<Napi::Int32Array>().Data();
  keep(v);
}

bool PromiseWorker::listen(const Napi::Value& fn, const char* key) {
  if (fn.IsUndefined() || fn.IsNull()) return false;
  if (!fn.IsFunction()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + " must be a function");
  tsfn_ = Napi::ThreadSafeFunction::New(Env(), fn.As<Napi::Function>(), std::string("eyemulator.") + key, 0, 1);
  listening_ = true;
  return true;
}

bool PromiseWorker::listen_progress(const Napi::Object& options, const char* key) {
  if (!listen(options.Get(key), key)) return false;
  control_.on_progress = [this](int64_t done, int64_t total) {
    emit([done, total](Napi::Env env) -> std::vector<napi_value> {
      return {Napi::Number::New(env, static_cast<double>(done)), Napi::Number::New(env, static_cast<double>(total))};
    });
  };
  return true;
}

void PromiseWorker::emit(Args make) {
  if (!listening_) return;
  auto* data = new Args(std::move(make));
  // Unlimited queue: never blocks the work; the JS thread drains it.
  const napi_status st = tsfn_.NonBlockingCall(data, [](Napi::Env env, Napi::Function fn, Args* d) {
    std::unique_ptr<Args> own(d);
    if (env == nullptr || fn.IsEmpty()) return;  // the environment is shutting down
    fn.Call((*own)(env));
  });
  if (st != napi_ok) delete data;
}

void PromiseWorker::Execute() {
  try {
    eye::CallScope scope(&control_);
    Run();
  } catch (...) {
    err_ = describe_current_exception();
    SetError(err_.message);
  }
  // The end marker: a call with no arguments after everything the work emitted.
  if (listening_) emit([](Napi::Env) { return std::vector<napi_value>{}; });
}

void PromiseWorker::OnOK() {
  Napi::HandleScope scope(Env());
  try {
    deferred_.Resolve(Result(Env()));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  } catch (...) {
    deferred_.Reject(make_error(Env(), describe_current_exception()).Value());
  }
}

void PromiseWorker::OnError(const Napi::Error& e) {
  Napi::HandleScope scope(Env());
  deferred_.Reject(make_error(Env(), err_.code.empty() ? ErrorInfo{e.Message(), "EYEMULATOR_ENGINE"} : err_).Value());
}

}  // namespace eyebind
