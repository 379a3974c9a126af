// Module entry: the native surface is small on purpose — Model, Trainer, safetensors I/O, and
// version/thread information. Everything else lives in TypeScript (src/native is its one loader).
#include <napi.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>

#include <ATen/CPUGeneratorImpl.h>

#include <cstring>

#include "checkpoint.h"
#include "convert.h"
#include "dropout.h"
#include "engine.h"
#include "model_wrap.h"
#include "safetensors.h"
#include "trainer_wrap.h"

namespace eyebind {

namespace {

Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("torch", TORCH_VERSION);
  o.Set("cuda", torch::cuda::is_available());
  o.Set("cudaBuilt", at::hasCUDA());  // the libtorch has CUDA kernels (even if no GPU is visible)
  o.Set("cudaDevices", static_cast<double>(at::hasCUDA() ? torch::cuda::device_count() : 0));
  o.Set("threads", at::get_num_threads());
  o.Set("defaultThreads", eye::default_threads());
  o.Set("parallelInfo", at::get_parallel_info());
  return o;
}

Napi::Value ReadSafetensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsString()) eye::fail(eye::ErrorCode::Argument, "readSafetensors(path) needs a path");
    eye::SafetensorsFile f(info[0].As<Napi::String>().Utf8Value());
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    Napi::Object meta = Napi::Object::New(env);
    for (auto& kv : f.metadata()) meta.Set(kv.first, kv.second);
    Napi::Object tensors = Napi::Object::New(env);
    for (auto& kv : f.entries()) {
      Napi::Object t = tensor_to_js(env, f.view(kv.first));
      t.Set("dtype", kv.second.dtype);
      tensors.Set(kv.first, t);
    }
    out.Set("metadata", meta);
    out.Set("tensors", tensors);
    return out;
  });
}

// tensorNames(configJsonText, source) → [{name, shape}]: the tensors a checkpoint of this config
// holds, in save order (cpp/checkpoint.h tensor_names); `source` names the config in errors.
Napi::Value TensorNames(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
      eye::fail(eye::ErrorCode::Argument, "tensorNames(configText, source) needs the config.json text and its name");
    const auto names = eye::tensor_names(eye::parse_config(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value()));
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", names[i].first);
      Napi::Array shape = Napi::Array::New(env, names[i].second.size());
      for (size_t j = 0; j < names[i].second.size(); ++j) shape.Set(static_cast<uint32_t>(j), static_cast<double>(names[i].second[j]));
      t.Set("shape", shape);
      out.Set(static_cast<uint32_t>(i), t);
    }
    return out;
  });
}

// writeSafetensors(path, {name: {data: TypedArray, shape: number[], dtype?: "F32"|"BF16"|…}}, metadata?)
Napi::Value WriteSafetensors(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject())
      eye::fail(eye::ErrorCode::Argument, "writeSafetensors(path, tensors, metadata?) needs a path and a tensors object");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    Napi::Object ts = info[1].As<Napi::Object>();
    std::vector<std::pair<std::string, torch::Tensor>> list;
    Napi::Array names = ts.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value v = ts.Get(name);
      if (!v.IsObject()) eye::fail(eye::ErrorCode::Argument, "tensor \"" + name + "\" must be {data, shape, dtype?}");
      Napi::Object t = v.As<Napi::Object>();
      Napi::Value sh = t.Get("shape");
      if (!sh.IsArray()) eye::fail(eye::ErrorCode::Argument, "tensor \"" + name + "\".shape must be an array");
      std::vector<int64_t> shape;
      Napi::Array sa = sh.As<Napi::Array>();
      for (uint32_t k = 0; k < sa.Length(); ++k) shape.push_back(sa.Get(k).As<Napi::Number>().Int64Value());
      torch::Tensor x = view_typed_array(t.Get("data"), shape, "tensor \"" + name + "\".data");
      Napi::Value dt = t.Get("dtype");
      if (dt.IsString())
        x = x.to(eye::dtype_from_safetensors(dt.As<Napi::String>().Utf8Value(), "tensor \"" + name + "\""));
      list.emplace_back(name, x);
    }
    std::map<std::string, std::string> meta;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object m = info[2].As<Napi::Object>();
      Napi::Array keys = m.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
        meta[k] = m.Get(k).ToString().Utf8Value();
      }
    }
    eye::write_safetensors(path, list, meta);
    return info.Env().Undefined();
  });
}

// benchMatmul(n, iters, threads, dtype?) → GFLOP/s of an n×n·n×n matmul: the machine's ceiling that
// `npm run bench` compares training steps against. Synchronous on purpose (a measurement tool).
Napi::Value BenchMatmul(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
      eye::fail(eye::ErrorCode::Argument, "benchMatmul(n, iters, threads, dtype?) needs three numbers");
    const int64_t n = info[0].As<Napi::Number>().Int64Value();
    const int iters = info[1].As<Napi::Number>().Int32Value();
    if (n < 1 || iters < 1) eye::fail(eye::ErrorCode::Argument, "benchMatmul: n and iters must be positive");
    eye::use_threads(info[2].As<Napi::Number>().Int32Value());
    auto dt = torch::kFloat32;
    if (info.Length() > 3 && info[3].IsString() && info[3].As<Napi::String>().Utf8Value() == "bfloat16") dt = torch::kBFloat16;
    torch::NoGradGuard ng;
    torch::Tensor a = torch::randn({n, n}).to(dt), b = torch::randn({n, n}).to(dt);
    torch::Tensor c = torch::matmul(a, b);  // warm-up
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) c = torch::matmul(a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return Napi::Number::New(info.Env(), 2.0 * n * n * n * iters / s / 1e9);
  });
}

Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  // Diagnostics and tests: the LoRA-dropout mask the engine draws (cpp/dropout.h) for n elements
  // with probability p from a CPU generator seeded with `seed`, on `threads` threads.
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber())
      eye::fail(eye::ErrorCode::Argument, "dropoutMask(n, p, seed, threads) needs four numbers");
    const int64_t n = info[0].As<Napi::Number>().Int64Value();
    if (n < 0 || n > (int64_t{1} << 28)) eye::fail(eye::ErrorCode::Argument, "dropoutMask: n must be in [0, 2^28]");
    const double p = info[1].As<Napi::Number>().DoubleValue();
    const int64_t seed = info[2].As<Napi::Number>().Int64Value();
    eye::use_threads(info[3].As<Napi::Number>().Int32Value());
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
    torch::Tensor m = eye::dropout_scale_mask(torch::empty({n}, torch::kFloat32), p, &gen);
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), static_cast<size_t>(n));
    if (n > 0) std::memcpy(out.Data(), m.data_ptr<float>(), static_cast<size_t>(n) * sizeof(float));
    return out;
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber()) eye::fail(eye::ErrorCode::Argument, "setThreads(n) needs a number");
    eye::use_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Model", ModelWrap::Init(env));
  exports.Set("Trainer", TrainerWrap::Init(env));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("readSafetensors", Napi::Function::New(env, ReadSafetensors));
  exports.Set("writeSafetensors", Napi::Function::New(env, WriteSafetensors));
  exports.Set("tensorNames", Napi::Function::New(env, TensorNames));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("benchMatmul", Napi::Function::New(env, BenchMatmul));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask));
  register_distributed(env, exports);
  register_kernels(env, exports);
  return exports;
}

}  // namespace eyebind

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return eyebind::Init(env, exports); }

NODE_API_MODULE(eyemulator, InitAddon)
