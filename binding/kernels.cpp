// Diagnostics for the engine's fused CPU kernels, so that tests can check them against independent
// re-computations: crossEntropyRows runs cpp/cross_entropy.h's forward and backward on given rows.
#include <cmath>
#include <cstring>

#include "convert.h"
#include "cpu_allocator.h"
#include "cross_entropy.h"
#include "engine.h"

namespace eyebind {

namespace {

Napi::Value CrossEntropyRows(const Napi::CallbackInfo& info) {
  // crossEntropyRows(logits: Float32Array | Float64Array, n, v, target: Int32Array, grad: same type
  // as logits, [n], threads) → { ce: [n], dlogits: [n·v] } (synchronous; for tests).
  return guard(info.Env(), [&]() -> Napi::Value {
    const char* usage = "crossEntropyRows(logits, n, v, target, grad, threads): logits and grad Float32Array or Float64Array, target Int32Array";
    if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsTypedArray() ||
        !info[4].IsTypedArray() || !info[5].IsNumber())
      eye::fail(eye::ErrorCode::Argument, usage);
    const int64_t n = info[1].As<Napi::Number>().Int64Value(), v = info[2].As<Napi::Number>().Int64Value();
    if (n < 0 || v < 1 || n > (int64_t{1} << 20) || v > (int64_t{1} << 20) || n * v > (int64_t{1} << 26))
      eye::fail(eye::ErrorCode::Argument, "crossEntropyRows: need 0 ≤ n, 1 ≤ v, n·v ≤ 2^26");
    auto logits = info[0].As<Napi::TypedArray>(), grad = info[4].As<Napi::TypedArray>();
    auto target = info[3].As<Napi::TypedArray>();
    const auto type = logits.TypedArrayType();
    if ((type != napi_float32_array && type != napi_float64_array) || grad.TypedArrayType() != type ||
        target.TypedArrayType() != napi_int32_array)
      eye::fail(eye::ErrorCode::Argument, usage);
    if (static_cast<int64_t>(logits.ElementLength()) != n * v || static_cast<int64_t>(grad.ElementLength()) != n ||
        static_cast<int64_t>(target.ElementLength()) != n)
      eye::fail(eye::ErrorCode::Argument, "crossEntropyRows: logits must hold n·v values, target and grad n");
    eye::use_threads(info[5].As<Napi::Number>().Int32Value());
    const auto dt = type == napi_float32_array ? torch::kFloat32 : torch::kFloat64;
    const size_t es = type == napi_float32_array ? 4 : 8;
    auto bytes = [](const Napi::TypedArray& a) {
      return static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    };
    torch::Tensor x = torch::from_blob(bytes(logits), {n, v}, dt).clone().requires_grad_(true);
    torch::Tensor t = torch::from_blob(bytes(target), {n}, torch::kInt32).to(torch::kInt64);
    torch::Tensor g = torch::from_blob(bytes(grad), {n}, dt).clone();
    torch::AutoGradMode on(true);
    torch::Tensor ce = eye::cross_entropy_rows(x, t);
    if (n > 0) ce.backward(g);
    Napi::Object out = Napi::Object::New(info.Env());
    auto copy_out = [&](const torch::Tensor& src) -> Napi::Value {
      const torch::Tensor c = src.contiguous();
      if (type == napi_float32_array) {
        auto a = Napi::Float32Array::New(info.Env(), static_cast<size_t>(c.numel()));
        if (c.numel()) std::memcpy(a.Data(), c.data_ptr(), static_cast<size_t>(c.numel()) * es);
        return a;
      }
      auto a = Napi::Float64Array::New(info.Env(), static_cast<size_t>(c.numel()));
      if (c.numel()) std::memcpy(a.Data(), c.data_ptr(), static_cast<size_t>(c.numel()) * es);
      return a;
    };
    out.Set("ce", copy_out(ce.detach()));
    out.Set("dlogits", copy_out(n > 0 ? x.grad() : torch::zeros({0}, dt)));
    return out;
  });
}

Napi::Value CpuCacheStats(const Napi::CallbackInfo& info) {
  // cpuCacheStats() → the caching CPU allocator's counters (cpp/cpu_allocator.h).
  return guard(info.Env(), [&]() -> Napi::Value {
    eye::install_caching_cpu_allocator();
    const eye::CpuCacheStats s = eye::cpu_cache_stats();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("installed", s.installed);
    o.Set("cachedBytes", static_cast<double>(s.cached_bytes));
    o.Set("liveBytes", static_cast<double>(s.live_bytes));
    o.Set("hits", static_cast<double>(s.hits));
    o.Set("misses", static_cast<double>(s.misses));
    o.Set("limitBytes", static_cast<double>(s.limit_bytes));
    return o;
  });
}

}  // namespace

void register_kernels(Napi::Env env, Napi::Object exports) {
  exports.Set("crossEntropyRows", Napi::Function::New(env, CrossEntropyRows));
  exports.Set("cpuCacheStats", Napi::Function::New(env, CpuCacheStats));
}

}  // namespace eyebind
