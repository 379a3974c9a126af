#include "args.h"

#include "convert.h"

#include <cmath>

namespace eyebind {

std::unique_lock<std::mutex> lock_model(eye::ModelHandle& h) {
  std::unique_lock<std::mutex> lk(h.mu);
  if (h.disposed) eye::fail(eye::ErrorCode::State, "the model was disposed");
  if (!h.model) eye::fail(eye::ErrorCode::State, "the model holds no weights yet (call load or init first)");
  return lk;
}

std::unique_lock<std::mutex> try_lock_model(eye::ModelHandle& h, const char* what) {
  if (h.disposed) eye::fail(eye::ErrorCode::State, std::string(what) + ": the model was disposed");
  std::unique_lock<std::mutex> lk(h.mu, std::try_to_lock);
  if (!lk.owns_lock())
    eye::fail(eye::ErrorCode::Busy, std::string(what) + ": the model is busy with a running call (a training step, generation, "
                                    "forward, load or save); await that call's promise, then call again");
  if (h.disposed) eye::fail(eye::ErrorCode::State, std::string(what) + ": the model was disposed");
  if (!h.model) eye::fail(eye::ErrorCode::State, std::string(what) + ": the model holds no weights yet (call load or init first)");
  return lk;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) eye::fail(eye::ErrorCode::Argument, std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Object options_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() > i && info[i].IsObject()) return info[i].As<Napi::Object>();
  return Napi::Object::New(info.Env());
}

std::string string_option(const Napi::Object& o, const char* k, const std::string& def) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsString()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + k + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double number_option(const Napi::Object& o, const char* k, double def) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + k + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) eye::fail(eye::ErrorCode::Argument, std::string("option ") + k + " must be finite");
  return d;
}

int threads_option(const Napi::Object& o) {
  Napi::Value v = o.Get("threads");
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < 0)
    eye::fail(eye::ErrorCode::Argument, "option threads must be a non-negative integer");
  return v.As<Napi::Number>().Int32Value();
}

std::vector<int64_t> int_list(const Napi::Value& v, const std::string& what) {
  std::vector<int64_t> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (v.IsTypedArray()) {
    torch::Tensor t = view_typed_array(v, {static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength())}, what).to(torch::kInt64);
    out.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    return out;
  }
  if (!v.IsArray()) eye::fail(eye::ErrorCode::Argument, what + " must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    if (!x.IsNumber()) eye::fail(eye::ErrorCode::Argument, what + " must hold integers");
    out.push_back(x.As<Napi::Number>().Int64Value());
  }
  return out;
}

}  // namespace eyebind
