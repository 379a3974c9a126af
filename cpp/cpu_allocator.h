// A caching allocator for CPU tensors, installed as libtorch's CPU allocator the first time the
// engine runs (cpp/engine.cpp use_threads). Why: every training step allocates the same large
// activations, logits and gradients again, and fresh memory costs a page fault per 4 KiB on first
// touch — measured on the project's 2-core VM at 40 µs per page (a fresh 37 MiB logits buffer: 360 ms
// to allocate and fill, against 5 ms to refill a kept one); on bare metal ~0.5–2 µs per page.
// PyTorch's own advice for CPU training is the same cure (jemalloc/tcmalloc via LD_PRELOAD, or
// THP_MEM_ALLOC_ENABLE); a Node addon cannot preload an allocator, so the engine keeps its blocks:
//   - blocks ≥ 128 KiB are rounded up to a size class (8 classes per power of two, ≤ 12.5% slack)
//     and, when freed, kept for the next request of that class;
//   - blocks ≥ 2 MiB are 2 MiB-aligned and advised as transparent huge pages (512× fewer faults
//     where the kernel allows THP on madvise);
//   - smaller requests go to the allocator that was installed before (libtorch's default).
// The cache holds at most EYEMULATOR_CPU_CACHE_MB MiB of free blocks (default: a quarter of
// physical memory); a freed block that does not fit is returned at once. Trainer destruction and
// the native model's release empty it. EYEMULATOR_CPU_ALLOCATOR=system leaves libtorch's allocator in place.
// Contents of a reused block are whatever was there (as torch::empty promises: uninitialised).
#pragma once
#include <cstdint>

namespace eye {

// Installs the caching allocator once per process (thread-safe; later calls do nothing). Returns
// whether it is installed (false with EYEMULATOR_CPU_ALLOCATOR=system).
bool install_caching_cpu_allocator();

// Returns every cached free block to the system.
void empty_cpu_cache();

struct CpuCacheStats {
  bool installed = false;
  int64_t cached_bytes = 0;   // free blocks held for reuse
  int64_t live_bytes = 0;     // blocks handed out and not yet freed (size classes)
  int64_t hits = 0, misses = 0;  // requests served from the cache / by the system
  int64_t limit_bytes = 0;
};
CpuCacheStats cpu_cache_stats();

// Empties the cache when destroyed. Declared as the FIRST member of an object that owns tensors
// (Trainer, ModelHandle), it is destroyed last, after those tensors went back to the cache.
struct CpuCacheReleaser {
  ~CpuCacheReleaser() { empty_cpu_cache(); }
};

}  // namespace eye
