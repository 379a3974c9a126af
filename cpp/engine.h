// The engine object the binding holds: a model plus its lock, dtype, device and thread setting.
// Every native call on a model takes the lock, so overlapping async calls never race. Long calls
// can be stopped and observed through cpp/cancel.h.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "cancel.h"
#include "checkpoint.h"
#include "cpu_allocator.h"
#include "llama.h"
#include "trainer.h"

namespace eye {

struct ModelHandle {
  CpuCacheReleaser releaser;  // first: destroyed last, after the model's tensors
  CausalLM model{nullptr};
  torch::ScalarType dtype = torch::kFloat32;
  torch::Device device = torch::kCPU;  // where parameters, buffers and batches live
  std::mutex mu;
  // Set on the JS thread the moment dispose() is called (without waiting for `mu`), so every call
  // made after it is refused; the weights are freed by a worker once a running call releases `mu`.
  std::atomic<bool> disposed{false};
};

// Threads for libtorch's intra-op pool on the calling thread (OpenMP settings are per OS thread,
// so each worker thread sets it before work). 0 = the machine's cores.
void use_threads(int threads);
int default_threads();

}  // namespace eye
