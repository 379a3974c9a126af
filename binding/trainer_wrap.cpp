#include "trainer_wrap.h"

#include <memory>

#include "args.h"
#include "convert.h"
#include "model_wrap.h"

namespace eyebind {

namespace {

class StepWorker : public PromiseWorker {
 public:
  StepWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::shared_ptr<eye::Trainer> t, std::vector<JsBatch> b,
             int threads, bool stop)
      : PromiseWorker(env), h_(std::move(h)), t_(std::move(t)), b_(std::move(b)), threads_(threads), stop_(stop) {}
  void Run() override {
    eye::use_threads(threads_);
    std::lock_guard<std::mutex> lk(h_->mu);
    if (h_->disposed) eye::fail(eye::ErrorCode::State, "the model was disposed");
    if (!t_) eye::fail(eye::ErrorCode::State, "the trainer was disposed");
    std::vector<eye::Batch> bs;
    for (size_t i = 0; i < b_.size(); ++i)  // before anything is allocated (see check_batch_limits)
      check_batch_limits(b_[i], h_->model->config.vocab_size, position_limit(h_->model->config),
                         b_.size() == 1 ? std::string("batch") : "batch[" + std::to_string(i) + "]");
    for (auto& b : b_) bs.push_back(to_engine_batch(b, h_->device));
    r_ = t_->step(bs, stop_);  // honours abortFlag and reports micro-batches (cpp/cancel.h)
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", r_.loss);
    o.Set("sft", r_.sft);
    o.Set("pref", r_.pref);
    o.Set("ce", r_.ce);
    o.Set("prefSequences", static_cast<double>(r_.pref_sequences));
    o.Set("gradNorm", r_.grad_norm);
    o.Set("lr", r_.lr);
    o.Set("tokens", static_cast<double>(r_.tokens));
    o.Set("step", static_cast<double>(r_.step));
    if (r_.stopped) o.Set("stopped", true);
    if (t_->process_group()) {
      o.Set("commSeconds", r_.comm_s);
      o.Set("gradAllreduceSeconds", r_.grad_allreduce_s);
    }
    return o;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::shared_ptr<eye::Trainer> t_;
  std::vector<JsBatch> b_;
  int threads_;
  bool stop_;
  eye::StepResult r_;
};

class StateWorker : public PromiseWorker {
 public:
  StateWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::shared_ptr<eye::Trainer> t, std::string path, bool save,
              std::map<std::string, std::string> extra)
      : PromiseWorker(env), h_(std::move(h)), t_(std::move(t)), path_(std::move(path)), save_(save), extra_(std::move(extra)) {}
  void Run() override {
    std::lock_guard<std::mutex> lk(h_->mu);
    if (h_->disposed || !t_) eye::fail(eye::ErrorCode::State, "the model or trainer was disposed");
    if (save_) t_->save_state(path_, extra_);
    else meta_ = t_->load_state(path_);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    for (auto& kv : meta_) o.Set(kv.first, kv.second);
    return o;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::shared_ptr<eye::Trainer> t_;
  std::string path_;
  bool save_;
  std::map<std::string, std::string> extra_, meta_;
};

// dispose(): drops the optimizer state once no call holds the model (the lock is taken here, off
// the JS thread). A step still running keeps its own reference and finishes first.
class TrainerDisposeWorker : public PromiseWorker {
 public:
  TrainerDisposeWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::shared_ptr<eye::Trainer> t)
      : PromiseWorker(env), h_(std::move(h)), t_(std::move(t)) {}
  void Run() override {
    std::lock_guard<std::mutex> lk(h_->mu);
    t_.reset();
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::shared_ptr<eye::Trainer> t_;
};

}  // namespace

Napi::Value TrainerWrap::SaveState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) eye::fail(eye::ErrorCode::Argument, "saveState(path, metadata?) needs a path");
    std::map<std::string, std::string> extra;
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object m = info[1].As<Napi::Object>();
      Napi::Array keys = m.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
        extra[k] = m.Get(k).ToString().Utf8Value();
      }
    }
    auto* w = new StateWorker(info.Env(), h_, trainer_, info[0].As<Napi::String>().Utf8Value(), true, extra);
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Value TrainerWrap::LoadState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) eye::fail(eye::ErrorCode::Argument, "loadState(path) needs a path");
    auto* w = new StateWorker(info.Env(), h_, trainer_, info[0].As<Napi::String>().Utf8Value(), false, {});
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Function TrainerWrap::Init(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {InstanceMethod("step", &TrainerWrap::Step), InstanceMethod("learningRate", &TrainerWrap::LearningRate),
                      InstanceAccessor("steps", &TrainerWrap::Steps, nullptr),
                      InstanceMethod("dispose", &TrainerWrap::Dispose),
                      InstanceMethod("saveState", &TrainerWrap::SaveState),
                      InstanceMethod("loadState", &TrainerWrap::LoadState),
                      InstanceMethod("attachDistributed", &TrainerWrap::AttachDistributed)});
}

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  guard(info.Env(), [&]() {
    if (info.Length() < 1) eye::fail(eye::ErrorCode::Argument, "new Trainer(model, options) needs a model");
    ModelWrap* mw = ModelWrap::Unwrap(info[0]);
    h_ = mw->handle();
    Napi::Object o = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(info.Env());
    eye::TrainerOptions t;
    t.adamw.beta1 = number_option(o, "beta1", 0.9);
    t.adamw.beta2 = number_option(o, "beta2", 0.999);
    t.adamw.eps = number_option(o, "eps", 1e-8);
    t.adamw.weight_decay = number_option(o, "weightDecay", 0.0);
    t.schedule.lr = number_option(o, "lr", 3e-4);
    t.schedule.warmup_steps = static_cast<int64_t>(number_option(o, "warmupSteps", 0));
    t.schedule.total_steps = static_cast<int64_t>(number_option(o, "totalSteps", 0));
    t.schedule.min_lr_ratio = number_option(o, "minLrRatio", 0.0);
    Napi::Value sk = o.Get("schedule");
    if (sk.IsString()) t.schedule.kind = sk.As<Napi::String>().Utf8Value();
    if (t.schedule.kind != "constant" && t.schedule.kind != "linear" && t.schedule.kind != "cosine")
      eye::fail(eye::ErrorCode::Argument, "trainer option schedule must be constant, linear or cosine");
    if (t.schedule.lr <= 0) eye::fail(eye::ErrorCode::Argument, "trainer option lr must be positive");
    if (t.schedule.warmup_steps < 0 || t.schedule.total_steps < 0)
      eye::fail(eye::ErrorCode::Argument, "warmupSteps and totalSteps must be non-negative");
    t.max_grad_norm = number_option(o, "maxGradNorm", 1.0);
    t.normalize_by_weights = o.Get("normalizeByWeights").ToBoolean().Value();
    t.bf16_autocast = o.Get("bf16Autocast").ToBoolean().Value();
    t.gradient_checkpointing = o.Get("gradientCheckpointing").ToBoolean().Value();
    t.gamma = number_option(o, "gamma", 0.0);
    t.beta = number_option(o, "beta", 0.1);
    // number_option already refused NaN and ±Infinity for every numeric option.
    if (t.gamma < 0) eye::fail(eye::ErrorCode::Argument, "trainer option gamma must be non-negative");
    threads_ = threads_option(o);
    auto lk = try_lock_model(*h_, "new Trainer()");  // refuses a busy model rather than block the JS thread
    trainer_ = std::make_shared<eye::Trainer>(h_->model, t);
  });
}

Napi::Value TrainerWrap::Step(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1) eye::fail(eye::ErrorCode::Argument, "step(batch | batch[]) needs a batch");
    std::vector<JsBatch> bs;
    if (info[0].IsArray()) {
      Napi::Array a = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) bs.push_back(read_batch(a.Get(i), "batch[" + std::to_string(i) + "]"));
    } else {
      bs.push_back(read_batch(info[0], "batch"));
    }
    // step(batches, {stop, abortFlag, onProgress}): stop = this rank asks to stop, agreed on by all
    // ranks (see eye::Trainer::step); abortFlag stops a one-process step between micro-batches
    // (PromiseWorker::stoppable); onProgress(done, total) after each micro-batch's backward.
    Napi::Object o = options_arg(info, 1);
    const bool stop = o.Get("stop").ToBoolean().Value();
    std::unique_ptr<StepWorker> w(new StepWorker(info.Env(), h_, trainer_, std::move(bs), threads_, stop));
    w->stoppable(o);
    w->listen_progress(o, "onProgress");
    w->keep(info.This());
    w->keep(info[0]);
    return queue(std::move(w));
  });
}

Napi::Value TrainerWrap::Steps(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), trainer_ ? static_cast<double>(trainer_->steps()) : 0);
}

Napi::Value TrainerWrap::LearningRate(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!trainer_) eye::fail(eye::ErrorCode::State, "the trainer was disposed");
    double step = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : trainer_->steps();
    return Napi::Number::New(info.Env(), trainer_->options().schedule.at(static_cast<int64_t>(step)));
  });
}

Napi::Value TrainerWrap::Dispose(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    // Never waits on the JS thread: later calls see no trainer at once; the worker drops it once a
    // running call releases the model. Idempotent (a second call has nothing left to drop).
    auto* w = new TrainerDisposeWorker(info.Env(), h_, std::move(trainer_));
    trainer_.reset();
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

}  // namespace eyebind
