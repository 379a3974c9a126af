// Data-parallel glue: Trainer.attachDistributed(options) joins a c10d process group (rendezvous
// off the JS thread: it waits for every rank, up to the timeout) and distributedInfo() says whether
// this build has c10d/Gloo. The engine side is cpp/distributed.h; options mirror torchrun's
// variables (src/distributed reads them from the environment).
#include <cmath>

#include "convert.h"
#include "distributed.h"
#include "trainer.h"
#include "trainer_wrap.h"

namespace eyebind {

namespace {

int int_field(const Napi::Object& o, const char* k, int def, const char* env_name) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()) ||
      v.As<Napi::Number>().DoubleValue() != std::floor(v.As<Napi::Number>().DoubleValue()))
    eye::fail(eye::ErrorCode::Argument, std::string("distributed option ") + k + " (" + env_name + ") must be an integer");
  return v.As<Napi::Number>().Int32Value();
}

eye::DistributedOptions read_distributed_options(const Napi::Value& v) {
  if (!v.IsObject()) eye::fail(eye::ErrorCode::Argument, "attachDistributed(options) needs {rank, worldSize, masterAddr, masterPort}");
  Napi::Object o = v.As<Napi::Object>();
  eye::DistributedOptions d;
  d.rank = int_field(o, "rank", -1, "RANK");
  d.world_size = int_field(o, "worldSize", 0, "WORLD_SIZE");
  d.master_port = int_field(o, "masterPort", 29500, "MASTER_PORT");
  Napi::Value a = o.Get("masterAddr");
  if (!a.IsUndefined() && !a.IsNull()) {
    if (!a.IsString()) eye::fail(eye::ErrorCode::Argument, "distributed option masterAddr (MASTER_ADDR) must be a string");
    d.master_addr = a.As<Napi::String>().Utf8Value();
  }
  Napi::Value t = o.Get("timeoutSeconds");
  if (!t.IsUndefined() && !t.IsNull()) {
    if (!t.IsNumber() || !std::isfinite(t.As<Napi::Number>().DoubleValue()))
      eye::fail(eye::ErrorCode::Argument, "distributed option timeoutSeconds must be a number");
    d.timeout_s = t.As<Napi::Number>().DoubleValue();
  }
  Napi::Value rt = o.Get("rendezvousTimeoutSeconds");
  if (!rt.IsUndefined() && !rt.IsNull()) {
    if (!rt.IsNumber() || !std::isfinite(rt.As<Napi::Number>().DoubleValue()))
      eye::fail(eye::ErrorCode::Argument, "distributed option rendezvousTimeoutSeconds must be a number");
    d.rendezvous_timeout_s = rt.As<Napi::Number>().DoubleValue();
  }
  Napi::Value b = o.Get("backend");
  if (b.IsString()) d.backend = b.As<Napi::String>().Utf8Value();
  Napi::Value bb = o.Get("bucketBytes");
  if (bb.IsNumber()) d.bucket_bytes = static_cast<int64_t>(bb.As<Napi::Number>().DoubleValue());
  eye::validate_distributed_options(d);
  return d;
}

class AttachWorker : public PromiseWorker {
 public:
  AttachWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::shared_ptr<eye::Trainer> t, eye::DistributedOptions o, int threads)
      : PromiseWorker(env), h_(std::move(h)), t_(std::move(t)), o_(std::move(o)), threads_(threads) {}
  void Run() override {
    eye::use_threads(threads_);
    std::lock_guard<std::mutex> lk(h_->mu);
    if (h_->disposed || !t_) eye::fail(eye::ErrorCode::State, "the model or trainer was disposed");
    auto pg = std::make_shared<eye::ProcessGroup>(o_, h_->device);
    backend_ = pg->backend();
    t_->attach(pg);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("rank", o_.rank);
    r.Set("worldSize", o_.world_size);
    r.Set("backend", backend_);
    return r;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::shared_ptr<eye::Trainer> t_;
  eye::DistributedOptions o_;
  int threads_;
  std::string backend_;
};

Napi::Value DistributedInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", eye::distributed_available());
  Napi::Array b = Napi::Array::New(env);
  auto names = eye::distributed_backends();
  for (size_t i = 0; i < names.size(); ++i) b.Set(static_cast<uint32_t>(i), names[i]);
  o.Set("backends", b);
  return o;
}

}  // namespace

Napi::Value TrainerWrap::AttachDistributed(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!trainer_) eye::fail(eye::ErrorCode::State, "the trainer was disposed");
    eye::DistributedOptions o = read_distributed_options(info.Length() > 0 ? info[0] : info.Env().Undefined());
    auto* w = new AttachWorker(info.Env(), h_, trainer_, o, threads_);
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

void register_distributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedInfo", Napi::Function::New(env, DistributedInfo));
}

}  // namespace eyebind
