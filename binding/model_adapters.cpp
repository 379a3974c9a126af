// ModelWrap: LoRA adapters (attach, PEFT load/save, merge, switch). Generation is in
// model_generate.cpp; the argument readers in args.cpp. loadAdapter, saveAdapter and mergeLora are
// workers (off the JS thread); addLora, loraInfo and setAdaptersEnabled are synchronous and refuse
// a model busy with a running call (try_lock_model).
#include <memory>

#include "args.h"
#include "checkpoint.h"
#include "config.h"
#include "convert.h"
#include "lora.h"
#include "model_wrap.h"
#include "peft.h"

namespace eyebind {

namespace {

Napi::Array string_array(Napi::Env env, const std::vector<std::string>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), v[i]);
  return a;
}

// The adapter as LoraInfo (src/model/model.ts): the configuration, and per adapted module its
// path, r, alpha and scaling as PEFT resolves them. Read under the model's lock (snapshot_lora) and
// turned into JS without it (lora_info), so a worker's Result never waits for the lock on the JS thread.
struct LoraSnapshot {
  bool present = false;
  eye::LoraConfig config;
  std::vector<eye::LoraTarget> targets;
  double parameters = 0;
  std::vector<std::string> tensors;
  bool enabled = false;
};

LoraSnapshot snapshot_lora(eye::CausalLMImpl& m) {
  LoraSnapshot s;
  if (!m.has_lora()) return s;
  s.present = true;
  s.config = m.lora_config();
  s.targets = eye::resolve_lora_targets(s.config, m.lora_module_paths());
  for (auto& kv : m.lora_tensors()) {
    s.parameters += static_cast<double>(kv.second.numel());
    s.tensors.push_back(kv.first);
  }
  s.enabled = m.lora_enabled;
  return s;
}

Napi::Value lora_info(Napi::Env env, const LoraSnapshot& s) {
  if (!s.present) return env.Null();
  const auto& lc = s.config;
  Napi::Object o = Napi::Object::New(env);
  o.Set("r", static_cast<double>(lc.r));
  o.Set("alpha", lc.alpha);
  o.Set("dropout", lc.dropout);
  o.Set("targetModules", string_array(env, lc.target_regex.empty() ? lc.target_modules : std::vector<std::string>{lc.target_regex}));
  o.Set("targetRegex", lc.target_regex.empty() ? env.Null() : Napi::String::New(env, lc.target_regex));
  o.Set("useRslora", lc.use_rslora);
  Napi::Array mods = Napi::Array::New(env, s.targets.size());
  for (size_t i = 0; i < s.targets.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("path", s.targets[i].path);
    t.Set("r", static_cast<double>(s.targets[i].r));
    t.Set("alpha", s.targets[i].alpha);
    t.Set("scaling", s.targets[i].scaling);
    mods.Set(static_cast<uint32_t>(i), t);
  }
  o.Set("modules", mods);
  o.Set("parameters", s.parameters);
  o.Set("tensors", string_array(env, s.tensors));
  o.Set("enabled", s.enabled);
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
  enum class Op { Load, Save, Merge };
  AdapterWorker(Napi::Env env, std::shared_ptr<eye::ModelHandle> h, Op op, std::string dir, std::string base)
      : PromiseWorker(env), h_(std::move(h)), op_(op), dir_(std::move(dir)), base_(std::move(base)) {}
  void Run() override {
    auto lk = lock_model(*h_);
    if (op_ == Op::Load) {
      if (h_->model->has_lora()) eye::fail(eye::ErrorCode::State, "the model already has an adapter (load adapters into a fresh model)");
      eye::load_adapter(*h_->model, dir_);
    } else if (op_ == Op::Save) {
      eye::save_adapter(*h_->model, dir_, base_);
    } else {
      if (!h_->model->has_lora()) eye::fail(eye::ErrorCode::State, "the model has no LoRA adapter to merge");
      h_->model->merge_lora();
    }
    lora_ = snapshot_lora(*h_->model);
  }
  Napi::Value Result(Napi::Env env) override { return op_ == Op::Merge ? env.Undefined() : lora_info(env, lora_); }

 private:
  std::shared_ptr<eye::ModelHandle> h_;
  Op op_;
  std::string dir_, base_;
  LoraSnapshot lora_;
};

}  // namespace

Napi::Value ModelWrap::AddLora(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = options_arg(info, 0);
    auto lk = try_lock_model(*h_, "addLora()");
    eye::LoraConfig lc;
    lc.source = "addLora options";
    lc.r = static_cast<int64_t>(number_option(o, "r", 8));
    lc.alpha = number_option(o, "alpha", 16);
    lc.dropout = number_option(o, "dropout", 0.0);
    lc.seed = static_cast<uint64_t>(number_option(o, "seed", 0));
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
    h_->model->add_lora(lc);
    return lora_info(info.Env(), snapshot_lora(*h_->model));
  });
}

Napi::Value ModelWrap::LoadAdapter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::unique_ptr<AdapterWorker> w(new AdapterWorker(info.Env(), h_, AdapterWorker::Op::Load, string_arg(info, 0, "loadAdapter(dir)"), ""));
    w->stoppable(options_arg(info, 1));
    w->keep(info.This());
    return queue(std::move(w));
  });
}

Napi::Value ModelWrap::SaveAdapter(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    std::string dir = string_arg(info, 0, "saveAdapter(dir)");
    Napi::Object o = options_arg(info, 1);
    Napi::Value b = o.Get("baseModel");
    std::unique_ptr<AdapterWorker> w(
        new AdapterWorker(info.Env(), h_, AdapterWorker::Op::Save, dir, b.IsString() ? b.As<Napi::String>().Utf8Value() : ""));
    w->stoppable(o);
    w->keep(info.This());
    return queue(std::move(w));
  });
}

Napi::Value ModelWrap::MergeLora(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    // Off the JS thread: the float64 products of every adapted module take a while on a large
    // model, and a running call may hold the lock.
    auto* w = new AdapterWorker(info.Env(), h_, AdapterWorker::Op::Merge, "", "");
    w->keep(info.This());
    w->Queue();
    return w->promise();
  });
}

Napi::Value ModelWrap::LoraInfo(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lk = try_lock_model(*h_, "loraInfo()");
    return lora_info(info.Env(), snapshot_lora(*h_->model));
  });
}

Napi::Value ModelWrap::SetAdaptersEnabled(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsBoolean()) eye::fail(eye::ErrorCode::Argument, "setAdaptersEnabled(bool)");
    auto lk = try_lock_model(*h_, "setAdaptersEnabled()");
    h_->model->lora_enabled = info[0].As<Napi::Boolean>().Value();
    return info.Env().Undefined();
  });
}

}  // namespace eyebind
