// JS class `Model`: one per engine model. Heavy calls (load, init, save, forward) are AsyncWorkers
// that hold a reference to the wrapper and lock the model while they run; dispose() frees the
// weights explicitly (idempotent) instead of waiting for the GC.
#pragma once
#include <napi.h>

#include <memory>

#include "args.h"  // threads_option, for the other wrappers
#include "engine.h"

namespace eyebind {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  std::shared_ptr<eye::ModelHandle> handle() const { return h_; }
  static ModelWrap* Unwrap(const Napi::Value& v);  // with a type check

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value InitWeights(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value GetParameter(const Napi::CallbackInfo& info);
  Napi::Value SetParameter(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  // model_adapters.cpp
  Napi::Value AddLora(const Napi::CallbackInfo& info);
  Napi::Value LoadAdapter(const Napi::CallbackInfo& info);
  Napi::Value SaveAdapter(const Napi::CallbackInfo& info);
  Napi::Value MergeLora(const Napi::CallbackInfo& info);
  Napi::Value LoraInfo(const Napi::CallbackInfo& info);
  Napi::Value SetAdaptersEnabled(const Napi::CallbackInfo& info);
  // model_generate.cpp
  Napi::Value Generate(const Napi::CallbackInfo& info);

  std::shared_ptr<eye::ModelHandle> h_;
};

}  // namespace eyebind
