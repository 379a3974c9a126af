// ModelWrap::generate: greedy/beam decoding as an AsyncWorker that locks the model while it runs,
// streams each step's tokens to an optional onToken listener (PromiseWorker::listen: a thread-safe
// function, then an argument-less end call) and stops at the next decoding step once its abortFlag
// is set (PromiseWorker::stoppable).
#include "args.h"
#include "convert.h"
#include "generate.h"
#include "model_wrap.h"

namespace eyebind {

namespace {

class GenerateWorker : public PromiseWorker {
 public:
  GenerateWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, std::vector<std::vector<int64_t>> prompts,
                 eye::GenerateOptions o, int threads)
      : PromiseWorker(env), h_(std::move(h)), prompts_(std::move(prompts)), o_(std::move(o)), threads_(threads) {}
  void Run() override {
    eye::use_threads(threads_);
    auto lk = lock_model(*h_);
    eye::StepCallback cb;
    if (listening()) {
      cb = [this](int64_t step, const std::vector<int64_t>& toks) {
        emit([step, toks](Napi::Env env) -> std::vector<napi_value> {
          Napi::Array a = Napi::Array::New(env, toks.size());
          for (size_t i = 0; i < toks.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(toks[i]));
          return {Napi::Number::New(env, static_cast<double>(step)), a};
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
    std::unique_ptr<GenerateWorker> w(new GenerateWorker(info.Env(), h_, std::move(prompts), go, threads_option(o)));
    w->listen(o.Get("onToken"), "onToken");  // (step, tokens) per greedy decoding step, then the end marker
    w->stoppable(o);
    w->keep(info.This());
    return queue(std::move(w));
  });
}

}  // namespace eyebind
