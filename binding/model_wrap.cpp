#include "model_wrap.h"

#include "args.h"
#include "checkpoint.h"
#include "convert.h"
#include "inspect.h"

#include <cmath>
#include <memory>
#include <optional>

namespace eyebind {

namespace {

Napi::FunctionReference* g_ctor = nullptr;

// What info() returns, read under the model's lock (on whichever thread holds it) and turned into
// JS later without it: a worker's Result runs on the JS thread, which must never wait for the lock.
struct InfoSnapshot {
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    int64_t numel;
    bool trainable;
  };
  eye::ModelConfig config;
  std::string dtype, device;
  std::vector<Tensor> tensors;
};

InfoSnapshot snapshot_info(eye::ModelHandle& h) {
  InfoSnapshot s;
  s.config = h.model->config;
  s.dtype = eye::dtype_name(h.dtype);
  s.device = eye::device_name(h.device);
  for (auto& kv : h.model->named_parameters(true))
    s.tensors.push_back({kv.key(), kv.value().sizes().vec(), kv.value().numel(), kv.value().requires_grad()});
  return s;
}

Napi::Object model_info(Napi::Env env, const InfoSnapshot& s) {
  const auto& c = s.config;
  Napi::Object o = Napi::Object::New(env);
  o.Set("architecture", c.architecture);
  o.Set("modelType", c.model_type);
  o.Set("dtype", s.dtype);
  o.Set("device", s.device);
  o.Set("vocabSize", static_cast<double>(c.vocab_size));
  o.Set("hiddenSize", static_cast<double>(c.hidden_size));
  o.Set("layers", static_cast<double>(c.num_hidden_layers));
  o.Set("heads", static_cast<double>(c.num_attention_heads));
  o.Set("kvHeads", static_cast<double>(c.num_key_value_heads));
  o.Set("headDim", static_cast<double>(c.head_dim));
  o.Set("tieWordEmbeddings", c.tie_word_embeddings);
  double total = 0;
  Napi::Array tensors = Napi::Array::New(env, s.tensors.size());
  uint32_t i = 0;
  for (const auto& x : s.tensors) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("name", x.name);
    Napi::Array shape = Napi::Array::New(env, x.shape.size());
    for (size_t d = 0; d < x.shape.size(); ++d) shape.Set(static_cast<uint32_t>(d), static_cast<double>(x.shape[d]));
    t.Set("shape", shape);
    t.Set("numel", static_cast<double>(x.numel));
    t.Set("trainable", x.trainable);
    total += static_cast<double>(x.numel);
    tensors.Set(i++, t);
  }
  o.Set("parameters", total);
  o.Set("tensors", tensors);
  return o;
}

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::string dir, std::optional<torch::ScalarType> dtype, int threads,
             bool init, uint64_t seed, torch::Device device, std::string device_name)
      : PromiseWorker(env),
        h_(std::move(h)),
        dir_(std::move(dir)),
        dtype_(dtype),
        threads_(threads),
        init_(init),
        seed_(seed),
        device_name_(std::move(device_name)),
        device_(device) {}
  void Run() override {
    eye::use_threads(threads_);
    // CUDA availability is checked here, off the JS thread (the first CUDA query starts the driver).
    eye::check_device(device_, device_name_);
    torch::NoGradGuard ng;
    // Loading defaults to the checkpoint's dtype (report_.dtype); init defaults to float32.
    eye::CausalLM m = init_ ? eye::init_model(dir_, dtype_.value_or(torch::kFloat32), seed_, device_)
                            : eye::load_model(dir_, dtype_, &report_, device_);
    // An abort that came after the last tensor still wins: nothing is kept (`m` is freed here).
    eye::check_cancel(init_ ? "init" : "load");
    std::lock_guard<std::mutex> lk(h_->mu);
    if (h_->disposed) eye::fail(eye::ErrorCode::State, "the model was disposed");
    h_->model = m;
    h_->dtype = init_ ? dtype_.value_or(torch::kFloat32) : report_.dtype;
    h_->device = device_;
    info_ = snapshot_info(*h_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = model_info(env, info_);
    Napi::Array unused = Napi::Array::New(env, report_.unused.size());
    for (size_t i = 0; i < report_.unused.size(); ++i) unused.Set(static_cast<uint32_t>(i), report_.unused[i]);
    o.Set("unusedTensors", unused);
    Napi::Array files = Napi::Array::New(env, report_.files.size());
    for (size_t i = 0; i < report_.files.size(); ++i) files.Set(static_cast<uint32_t>(i), report_.files[i]);
    o.Set("files", files);
    o.Set("sourceDtype", report_.source_dtype);
    return o;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::string dir_;
  std::optional<torch::ScalarType> dtype_;
  int threads_;
  bool init_;
  uint64_t seed_;
  std::string device_name_;
  torch::Device device_;
  eye::LoadReport report_;
  InfoSnapshot info_;
};

class SaveWorker : public PromiseWorker {
 public:
  SaveWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::string dir, std::string dtype, uint64_t max_shard)
      : PromiseWorker(env), h_(std::move(h)), dir_(std::move(dir)), dtype_(std::move(dtype)), max_shard_(max_shard) {}
  void Run() override {
    auto lk = lock_model(*h_);
    eye::save_model(h_->model, dir_, dtype_.empty() ? h_->dtype : eye::parse_dtype(dtype_), max_shard_);
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::string dir_, dtype_;
  uint64_t max_shard_;
};

class ForwardWorker : public PromiseWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, JsBatch b, eye::InspectOptions o, int threads)
      : PromiseWorker(env), h_(std::move(h)), b_(std::move(b)), o_(std::move(o)), threads_(threads) {}
  void Run() override {
    eye::use_threads(threads_);
    auto lk = lock_model(*h_);
    // Rows longer than the model's positions or ids past its vocabulary: refused before anything
    // is allocated for the forward (the engine's own checks run after the device copy).
    check_batch_limits(b_, h_->model->config.vocab_size, position_limit(h_->model->config), "batch");
    r_ = eye::inspect_forward(h_->model, to_engine_batch(b_, h_->device), o_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", r_.loss);
    o.Set("tokens", static_cast<double>(r_.tokens));
    if (o_.reference) {
      o.Set("pref", r_.pref);
      o.Set("prefSequences", static_cast<double>(r_.pref_sequences));
    }
    o.Set("total", r_.total);
    o.Set("logits", tensor_to_js(env, r_.logits));
    o.Set("tokenCe", tensor_to_js(env, r_.token_ce));
    if (o_.grads) {
      Napi::Object g = Napi::Object::New(env);
      for (auto& kv : r_.grads) g.Set(kv.first, tensor_to_js(env, kv.second));
      o.Set("grads", g);
    }
    if (!o_.attention_layers.empty()) {
      Napi::Object a = Napi::Object::New(env);
      for (auto& kv : r_.attention) a.Set(std::to_string(kv.first), tensor_to_js(env, kv.second));
      o.Set("attention", a);
    }
    return o;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  JsBatch b_;
  eye::InspectOptions o_;
  int threads_;
  eye::InspectResult r_;
};

// dispose(): frees the weights once no call holds the model (the lock is taken here, off the JS
// thread; the disposed flag was already set on it, so nothing new starts meanwhile).
class DisposeWorker : public PromiseWorker {
 public:
  DisposeWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h) : PromiseWorker(env), h_(std::move(h)) {}
  void Run() override {
    eye::CausalLM old{nullptr};
    {
      std::lock_guard<std::mutex> lk(h_->mu);
      std::swap(old, h_->model);
    }
    // `old` is released here, outside the lock: a Trainer built on this model may still hold the
    // weights (they are freed with it).
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
};

// A base parameter by HF name or an adapter tensor by PEFT name.
torch::Tensor find_tensor(eye::CausalLMImpl& m, const std::string& name) {
  auto params = m.named_parameters(true);  // find() points into this dict: keep it alive
  if (auto* p = params.find(name)) return *p;
  for (auto& kv : m.lora_tensors())
    if (kv.first == name) return kv.second;
  eye::fail(eye::ErrorCode::Argument, "no parameter or adapter tensor named \"" + name + "\"");
}

}  // namespace

Napi::Function ModelWrap::Init(Napi::Env env) {
  Napi::Function f = DefineClass(env, "Model",
                                 {InstanceMethod("load", &ModelWrap::Load), InstanceMethod("init", &ModelWrap::InitWeights),
                                  InstanceMethod("save", &ModelWrap::Save), InstanceMethod("forward", &ModelWrap::Forward),
                                  InstanceMethod("info", &ModelWrap::Info),
                                  InstanceMethod("getParameter", &ModelWrap::GetParameter),
                                  InstanceMethod("setParameter", &ModelWrap::SetParameter),
                                  InstanceMethod("dispose", &ModelWrap::Dispose),
                                  InstanceMethod("addLora", &ModelWrap::AddLora),
                                  InstanceMethod("loadAdapter", &ModelWrap::LoadAdapter),
                                  InstanceMethod("saveAdapter", &ModelWrap::SaveAdapter),
                                  InstanceMethod("mergeLora", &ModelWrap::MergeLora),
                                  InstanceMethod("loraInfo", &ModelWrap::LoraInfo),
                                  InstanceMethod("setAdaptersEnabled", &ModelWrap::SetAdaptersEnabled),
                                  InstanceMethod("generate", &ModelWrap::Generate),
                                  InstanceAccessor("disposed", &ModelWrap::IsDisposed, nullptr)});
  g_ctor = new Napi::FunctionReference(Napi::Persistent(f));
  return f;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info), h_(std::make_shared<eye::ModelHandle>()) {}

ModelWrap* ModelWrap::Unwrap(const Napi::Value& v) {
  if (!v.IsObject() || !g_ctor || !v.As<Napi::Object>().InstanceOf(g_ctor->Value()))
    eye::fail(eye::ErrorCode::Argument, "expected a native Model");
  return Napi::ObjectWrap<ModelWrap>::Unwrap(v.As<Napi::Object>());
}

Napi::Value ModelWrap::Load(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string dir = string_arg(info, 0, "load(dir)");
    Napi::Object o = options_arg(info, 1);
    const std::string dev = string_option(o, "device", "cpu");
    const std::string dt = string_option(o, "dtype", "auto");  // "auto" = the checkpoint's dtype
    std::optional<torch::ScalarType> dtype;
    if (dt != "auto") dtype = eye::parse_dtype(dt);
    std::unique_ptr<LoadWorker> w(new LoadWorker(info.Env(), h_, dir, dtype, threads_option(o), false, 0,
                                                 eye::parse_device(dev), dev));
    w->stoppable(o);
    w->keep(info.This());
    return queue(std::move(w));
  });
}

Napi::Value ModelWrap::InitWeights(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string cfg = string_arg(info, 0, "init(configPath)");
    Napi::Object o = options_arg(info, 1);
    Napi::Value s = o.Get("seed");
    if (!s.IsNumber()) eye::fail(eye::ErrorCode::Argument, "init needs an integer option seed");
    double seed = s.As<Napi::Number>().DoubleValue();
    if (seed < 0 || seed != static_cast<double>(static_cast<uint64_t>(seed)))
      eye::fail(eye::ErrorCode::Argument, "option seed must be a non-negative integer");
    const std::string dev = string_option(o, "device", "cpu");
    std::string idt = string_option(o, "dtype", "float32");
    if (idt == "auto") idt = "float32";  // a config has no weights to take a dtype from
    std::unique_ptr<LoadWorker> w(new LoadWorker(info.Env(), h_, cfg, eye::parse_dtype(idt), threads_option(o), true,
                                                 static_cast<uint64_t>(seed), eye::parse_device(dev), dev));
    w->stoppable(o);
    w->keep(info.This());
    return queue(std::move(w));
  });
}

Napi::Value ModelWrap::Save(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string dir = string_arg(info, 0, "save(dir)");
    Napi::Object o = options_arg(info, 1);
    std::string dt = string_option(o, "dtype", "");
    if (!dt.empty()) eye::parse_dtype(dt);  // validate now, on the JS thread
    // maxShardSize: bytes or "5GB"-style (HF's max_shard_size); default transformers v5's 50GB.
    uint64_t max_shard = eye::kDefaultMaxShardSize;
    Napi::Value ms = o.Get("maxShardSize");
    if (ms.IsNumber()) {
      const double b = ms.As<Napi::Number>().DoubleValue();
      if (!(b >= 1) || b != std::floor(b) || b > 9e15) eye::fail(eye::ErrorCode::Argument, "option maxShardSize must be a positive integer number of bytes or a size like \"5GB\"");
      max_shard = static_cast<uint64_t>(b);
    } else if (ms.IsString()) {
      max_shard = eye::parse_shard_size(ms.As<Napi::String>().Utf8Value());
    } else if (!ms.IsUndefined() && !ms.IsNull()) {
      eye::fail(eye::ErrorCode::Argument, "option maxShardSize must be a number of bytes or a size like \"5GB\"");
    }
    std::unique_ptr<SaveWorker> w(new SaveWorker(info.Env(), h_, dir, dt, max_shard));
    w->stoppable(o);
    w->keep(info.This());
    return queue(std::move(w));
  });
}

Napi::Value ModelWrap::Forward(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1) eye::fail(eye::ErrorCode::Argument, "forward(batch, options?) needs a batch");
    JsBatch b = read_batch(info[0], "batch");
    Napi::Object o = options_arg(info, 1);
    eye::InspectOptions io;
    io.grads = o.Get("grads").ToBoolean().Value();
    io.normalize_by_weights = o.Get("normalizeByWeights").ToBoolean().Value();
    io.adapters_off = o.Get("adaptersOff").ToBoolean().Value();
    io.reference = o.Get("reference").ToBoolean().Value();
    Napi::Value beta = o.Get("beta");
    if (beta.IsNumber()) io.beta = beta.As<Napi::Number>().DoubleValue();
    Napi::Value gamma = o.Get("gamma");
    if (gamma.IsNumber()) io.gamma = gamma.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(io.beta) || !std::isfinite(io.gamma))
      eye::fail(eye::ErrorCode::Argument, "forward options beta and gamma must be finite numbers");
    Napi::Value layers = o.Get("attentionLayers");
    if (layers.IsArray()) {
      Napi::Array a = layers.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Value x = a.Get(i);
        if (!x.IsNumber()) eye::fail(eye::ErrorCode::Argument, "attentionLayers must hold layer numbers");
        io.attention_layers.push_back(x.As<Napi::Number>().Int64Value());
      }
    } else if (!layers.IsUndefined() && !layers.IsNull()) {
      eye::fail(eye::ErrorCode::Argument, "attentionLayers must be an array of layer numbers");
    }
    auto* w = new ForwardWorker(info.Env(), h_, b, io, threads_option(o));
    w->keep(info.This());
    w->keep(info[0]);  // the batch's TypedArrays are read off-thread without copying
    w->Queue();
    return w->promise();
  });
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lk = try_lock_model(*h_, "info()");
    return model_info(info.Env(), snapshot_info(*h_));
  });
}

Napi::Value ModelWrap::GetParameter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string name = string_arg(info, 0, "getParameter(name)");
    auto lk = try_lock_model(*h_, "getParameter()");
    return tensor_to_js(info.Env(), find_tensor(*h_->model, name));
  });
}

Napi::Value ModelWrap::SetParameter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string name = string_arg(info, 0, "setParameter(name, data)");
    if (info.Length() < 2) eye::fail(eye::ErrorCode::Argument, "setParameter(name, data) needs data");
    auto lk = try_lock_model(*h_, "setParameter()");
    torch::Tensor p = find_tensor(*h_->model, name);
    torch::Tensor src = view_typed_array(info[1], p.sizes().vec(), "setParameter data for " + name);
    if (!src.is_floating_point()) eye::fail(eye::ErrorCode::Argument, "setParameter data must be Float32Array or Float64Array");
    torch::NoGradGuard ng;
    p.copy_(src);
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    // Never waits on the JS thread: calls made from now on are refused at once, a running one
    // finishes (or is aborted by its own signal), and the worker frees the weights after it.
    // Idempotent: a second dispose() queues a worker that finds nothing left to free.
    h_->disposed = true;
    auto* w = new DisposeWorker(info.Env(), h_);
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Value ModelWrap::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), h_->disposed); }

}  // namespace eyebind
