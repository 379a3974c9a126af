// ModelWrap::generate: greedy/beam decoding as an AsyncWorker that locks the model while it runs
// and streams each step's tokens to an optional onToken callback through a thread-safe function.
#include "args.h"
#include "convert.h"
#include "generate.h"
#include "model_wrap.h"

namespace eyebind {

namespace {

class GenerateWorker : public PromiseWorker {
 public:
  GenerateWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::vector<std::vector<int64_t>> prompts,
                 eye::GenerateOptions o, int threads, Napi::Function on_token)
      : PromiseWorker(env), h_(std::move(h)), prompts_(std::move(prompts)), o_(std::move(o)), threads_(threads) {
    if (!on_token.IsEmpty()) {
      tsfn_ = Napi::ThreadSafeFunction::New(env, on_token, "eyemulator.generate.onToken", 0, 1);
      has_tsfn_ = true;
    }
  }
  ~GenerateWorker() override {
    if (has_tsfn_) tsfn_.Release();
  }
  void Run() override {
    eye::use_threads(threads_);
    auto lk = lock_model(*h_);
    eye::StepCallback cb;
    if (has_tsfn_) {
      cb = [this](int64_t step, const std::vector<int64_t>& toks) {
        auto* data = new std::pair<int64_t, std::vector<int64_t>>(step, toks);
        tsfn_.BlockingCall(data, [](Napi::Env env, Napi::Function fn, std::pair<int64_t, std::vector<int64_t>>* d) {
          Napi::Array a = Napi::Array::New(env, d->second.size());
          for (size_t i = 0; i < d->second.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(d->second[i]));
          fn.Call({Napi::Number::New(env, static_cast<double>(d->first)), a});
          delete d;
        });
        return true;
      };
    }
    out_ = eye::generate(h_->model, prompts_, o_, cb);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array arr = Napi::Array::New(env, out_.size());
    for (size_t i = 0; i < out_.size(); ++i) {
      const auto& g = out_[i];
      Napi::Object o = Napi::Object::New(env);
      Napi::Int32Array t = Napi::Int32Array::New(env, g.tokens.size());
      for (size_t k = 0; k < g.tokens.size(); ++k) t[k] = static_cast<int32_t>(g.tokens[k]);
      Napi::Float64Array lp = Napi::Float64Array::New(env, g.logprobs.size());
      for (size_t k = 0; k < g.logprobs.size(); ++k) lp[k] = g.logprobs[k];
      o.Set("tokens", t);
      o.Set("logprobs", lp);
      o.Set("finish", g.finish);
      if (!g.attention.empty()) {
        Napi::Object a = Napi::Object::New(env);
        for (auto& kv : g.attention) a.Set(std::to_string(kv.first), tensor_to_js(env, kv.second));
        o.Set("attention", a);
      }
      arr.Set(static_cast<uint32_t>(i), o);
    }
    return arr;
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  std::vector<std::vector<int64_t>> prompts_;
  eye::GenerateOptions o_;
  int threads_;
  Napi::ThreadSafeFunction tsfn_;
  bool has_tsfn_ = false;
  std::vector<eye::Generation> out_;
};

}  // namespace

Napi::Value ModelWrap::Generate(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsArray()) eye::fail(eye::ErrorCode::Argument, "generate(prompts, options) needs an array of token-id arrays");
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<std::vector<int64_t>> prompts;
    for (uint32_t i = 0; i < a.Length(); ++i) prompts.push_back(int_list(a.Get(i), "prompts[" + std::to_string(i) + "]"));
    Napi::Object o = options_arg(info, 1);
    eye::GenerateOptions go;
    go.max_new_tokens = static_cast<int64_t>(number_option(o, "maxNewTokens", 128));
    go.eos_ids = int_list(o.Get("eosIds"), "eosIds");
    go.pad_id = static_cast<int64_t>(number_option(o, "padId", 0));
    go.num_beams = static_cast<int64_t>(number_option(o, "beams", 1));
    go.length_penalty = number_option(o, "lengthPenalty", 1.0);
    Napi::Value uc = o.Get("useCache");
    go.use_cache = uc.IsUndefined() || uc.IsNull() ? true : uc.ToBoolean().Value();
    go.attention_layers = int_list(o.Get("attentionLayers"), "attentionLayers");
    Napi::Value cb = o.Get("onToken");
    Napi::Function fn;
    if (cb.IsFunction()) fn = cb.As<Napi::Function>();
    else if (!cb.IsUndefined() && !cb.IsNull()) eye::fail(eye::ErrorCode::Argument, "onToken must be a function");
    auto* w = new GenerateWorker(info.Env(), h_, std::move(prompts), go, threads_option(o), fn);
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

}  // namespace eyebind
