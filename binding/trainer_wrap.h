// JS class `Trainer`: AdamW + schedule over a native Model. step() runs one optimizer step (over
// one or several micro-batches) in an AsyncWorker and resolves {loss, gradNorm, lr, tokens, step}.
#pragma once
#include <napi.h>

#include <memory>

#include "engine.h"

namespace eyebind {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value Steps(const Napi::CallbackInfo& info);
  Napi::Value LearningRate(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value AttachDistributed(const Napi::CallbackInfo& info);  // binding/distributed.cpp

  std::shared_ptr<eye::ModelHandle> h_;
  std::shared_ptr<eye::Trainer> trainer_;
  int threads_ = 0;
};

// distributedInfo() on the module (binding/distributed.cpp).
void register_distributed(Napi::Env env, Napi::Object exports);
// binding/kernels.cpp: crossEntropyRows (tests of the fused kernels).
void register_kernels(Napi::Env env, Napi::Object exports);

}  // namespace eyebind
