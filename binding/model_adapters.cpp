// ModelWrap: LoRA adapters (attach, PEFT load/save, merge, switch) and generation.
#include <atomic>

#include "checkpoint.h"
#include "config.h"
#include "lora.h"
#include "convert.h"
#include "generate.h"
#include "model_wrap.h"
#include "peft.h"

namespace eyebind {

namespace {

std::unique_lock<std::mutex> lock_model(eye::ModelHandle& h) {
  std::unique_lock<std::mutex> lk(h.mu);
  if (h.disposed) eye::fail(eye::ErrorCode::State, "the model was disposed");
  if (!h.model) eye::fail(eye::ErrorCode::State, "the model holds no weights yet (call load or init first)");
  return lk;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) eye::fail(eye::ErrorCode::Argument, std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Object options(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsObject() ? info[i].As<Napi::Object>() : Napi::Object::New(info.Env());
}

double number(const Napi::Object& o, const char* k, double def) {
  Napi::Value v = o.Get(k);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + k + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
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

Napi::Array string_array(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), v[i]);
  return a;
}

// The adapter as LoraInfo (src/model/model.ts): the configuration, and per adapted module its
// path, r, alpha and scaling as PEFT resolves them.
Napi::Value lora_info(Napi::Env env, eye::CausalLMImpl& m) {
  if (!m.has_lora()) return env.Null();
  const auto& lc = m.lora_config();
  Napi::Object o = Napi::Object::New(env);
  o.Set("r", static_cast<double>(lc.r));
  o.Set("alpha", lc.alpha);
  o.Set("dropout", lc.dropout);
  o.Set("targetModules", string_array(env, lc.target_regex.empty() ? lc.target_modules : std::vector<std::string>{lc.target_regex}));
  o.Set("targetRegex", lc.target_regex.empty() ? env.Null() : Napi::String::New(env, lc.target_regex));
  o.Set("useRslora", lc.use_rslora);
  const auto targets = eye::resolve_lora_targets(lc, m.lora_module_paths());
  Napi::Array mods = Napi::Array::New(env, targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("path", targets[i].path);
    t.Set("r", static_cast<double>(targets[i].r));
    t.Set("alpha", targets[i].alpha);
    t.Set("scaling", targets[i].scaling);
    mods.Set(static_cast<uint32_t>(i), t);
  }
  o.Set("modules", mods);
  double n = 0;
  Napi::Array names = Napi::Array::New(env, m.lora_tensors().size());
  uint32_t k = 0;
  for (auto& kv : m.lora_tensors()) {
    n += static_cast<double>(kv.second.numel());
    names.Set(k++, kv.first);
  }
  o.Set("parameters", n);
  o.Set("tensors", names);
  o.Set("enabled", m.lora_enabled);
  return o;
}

// A list of strings, or one string (regex form), as PEFT's target_modules / exclude_modules.
void names_or_regex(const Napi::Object& o, const char* key, std::vector<std::string>& list, std::string& regex) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return;
  if (v.IsString()) {
    regex = v.As<Napi::String>().Utf8Value();
    if (regex.empty()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + " is an empty string");
    return;
  }
  if (!v.IsArray()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + " must be an array of module names or a regex string");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsString()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + " must hold strings");
    list.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
}

class AdapterWorker : public PromiseWorker {
 public:
  enum class Op { Load, Save };
  AdapterWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, Op op, std::string dir, std::string base)
      : PromiseWorker(env), h_(std::move(h)), op_(op), dir_(std::move(dir)), base_(std::move(base)) {}
  void Run() override {
    auto lk = lock_model(*h_);
    if (op_ == Op::Load) {
      if (h_->model->has_lora()) eye::fail(eye::ErrorCode::State, "the model already has an adapter (load adapters into a fresh model)");
      eye::load_adapter(*h_->model, dir_);
    } else {
      eye::save_adapter(*h_->model, dir_, base_);
    }
  }
  Napi::Value Result(Napi::Env env) override {
    std::lock_guard<std::mutex> lk(h_->mu);
    return h_->model ? lora_info(env, *h_->model) : env.Null();
  }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  Op op_;
  std::string dir_, base_;
};

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

Napi::Value ModelWrap::AddLora(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = options(info, 0);
    auto lk = lock_model(*h_);
    eye::LoraConfig lc;
    lc.source = "addLora options";
    lc.r = static_cast<int64_t>(number(o, "r", 8));
    lc.alpha = number(o, "alpha", 16);
    lc.dropout = number(o, "dropout", 0.0);
    lc.seed = static_cast<uint64_t>(number(o, "seed", 0));
    if (lc.r < 1) eye::fail(eye::ErrorCode::Argument, "LoRA rank r must be at least 1");
    if (lc.dropout < 0 || lc.dropout >= 1) eye::fail(eye::ErrorCode::Argument, "LoRA dropout must be in [0, 1)");
    names_or_regex(o, "targetModules", lc.target_modules, lc.target_regex);
    names_or_regex(o, "excludeModules", lc.exclude_modules, lc.exclude_regex);
    if (lc.target_modules.empty() && lc.target_regex.empty()) {
      // PEFT's per-family default (LoraConfig without target_modules).
      lc.target_modules = eye::default_lora_targets(h_->model->config);
      if (lc.target_modules.empty())
        eye::fail(eye::ErrorCode::Argument, "PEFT has no default LoRA target modules for model_type \"" + h_->model->config.model_type +
                                                "\": pass targetModules (e.g. \"all-linear\")");
    }
    Napi::Value ltt = o.Get("layersToTransform");
    if (ltt.IsNumber()) lc.layers_to_transform.push_back(ltt.As<Napi::Number>().Int64Value());
    else lc.layers_to_transform = int_list(ltt, "option layersToTransform");
    Napi::Value lp = o.Get("layersPattern");
    if (lp.IsString()) lc.layers_pattern.push_back(lp.As<Napi::String>().Utf8Value());
    else if (!lp.IsUndefined() && !lp.IsNull()) {
      std::string unused;
      names_or_regex(o, "layersPattern", lc.layers_pattern, unused);
    }
    for (const char* key : {"rankPattern", "alphaPattern"}) {
      Napi::Value v = o.Get(key);
      if (v.IsUndefined() || v.IsNull()) continue;
      if (!v.IsObject() || v.IsArray()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + " must be an object {pattern: value}");
      Napi::Object po = v.As<Napi::Object>();
      Napi::Array keys = po.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        const std::string k = keys.Get(i).ToString().Utf8Value();
        Napi::Value x = po.Get(k);
        if (!x.IsNumber()) eye::fail(eye::ErrorCode::Argument, std::string("option ") + key + "[\"" + k + "\"] must be a number");
        if (std::string(key) == "rankPattern") lc.rank_pattern.emplace_back(k, x.As<Napi::Number>().Int64Value());
        else lc.alpha_pattern.emplace_back(k, x.As<Napi::Number>().DoubleValue());
      }
    }
    Napi::Value rs = o.Get("useRslora");
    if (!rs.IsUndefined() && !rs.IsNull()) {
      if (!rs.IsBoolean()) eye::fail(eye::ErrorCode::Argument, "option useRslora must be a boolean");
      lc.use_rslora = rs.As<Napi::Boolean>().Value();
    }
    if (h_->model->has_lora()) eye::fail(eye::ErrorCode::State, "the model already has a LoRA adapter");
    h_->model->add_lora(lc);
    return lora_info(info.Env(), *h_->model);
  });
}

Napi::Value ModelWrap::LoadAdapter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto* w = new AdapterWorker(info.Env(), h_, AdapterWorker::Op::Load, string_arg(info, 0, "loadAdapter(dir)"), "");
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Value ModelWrap::SaveAdapter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string dir = string_arg(info, 0, "saveAdapter(dir)");
    Napi::Object o = options(info, 1);
    Napi::Value b = o.Get("baseModel");
    auto* w = new AdapterWorker(info.Env(), h_, AdapterWorker::Op::Save, dir, b.IsString() ? b.As<Napi::String>().Utf8Value() : "");
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Value ModelWrap::MergeLora(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lk = lock_model(*h_);
    if (!h_->model->has_lora()) eye::fail(eye::ErrorCode::State, "the model has no LoRA adapter to merge");
    h_->model->merge_lora();
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::LoraInfo(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lk = lock_model(*h_);
    return lora_info(info.Env(), *h_->model);
  });
}

Napi::Value ModelWrap::SetAdaptersEnabled(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsBoolean()) eye::fail(eye::ErrorCode::Argument, "setAdaptersEnabled(bool)");
    auto lk = lock_model(*h_);
    h_->model->lora_enabled = info[0].As<Napi::Boolean>().Value();
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::Generate(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsArray()) eye::fail(eye::ErrorCode::Argument, "generate(prompts, options) needs an array of token-id arrays");
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<std::vector<int64_t>> prompts;
    for (uint32_t i = 0; i < a.Length(); ++i) prompts.push_back(int_list(a.Get(i), "prompts[" + std::to_string(i) + "]"));
    Napi::Object o = options(info, 1);
    eye::GenerateOptions go;
    go.max_new_tokens = static_cast<int64_t>(number(o, "maxNewTokens", 128));
    go.eos_ids = int_list(o.Get("eosIds"), "eosIds");
    go.pad_id = static_cast<int64_t>(number(o, "padId", 0));
    go.num_beams = static_cast<int64_t>(number(o, "beams", 1));
    go.length_penalty = number(o, "lengthPenalty", 1.0);
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
