#include "cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace eye {

namespace {

constexpr size_t kMinCached = size_t{128} << 10;  // below: glibc's heap serves it without faults
constexpr size_t kHugePage = size_t{2} << 20;

// 8 size classes per power of two: n rounded up to a multiple of 2^(⌊log2 n⌋ − 3), at least 4 KiB.
size_t size_class(size_t n) {
  const int lg = 63 - __builtin_clzll(static_cast<unsigned long long>(n));
  const size_t step = size_t{1} << std::max(lg - 3, 12);
  return (n + step - 1) / step * step;
}

int64_t default_limit() {
  if (const char* mb = std::getenv("EYEMULATOR_CPU_CACHE_MB")) {
    char* end = nullptr;
    const long long v = std::strtoll(mb, &end, 10);
    if (end != mb && *end == '\0' && v >= 0) return static_cast<int64_t>(v) << 20;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{1} << 30;
  return static_cast<int64_t>(pages) * page / 4;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class → blocks
  std::unordered_map<void*, size_t> live;                      // handed-out block → size class
  int64_t cached = 0, live_bytes = 0, hits = 0, misses = 0, limit = 0;
  c10::Allocator* base = nullptr;  // serves blocks < kMinCached; its raw_deleter must exist (checked at install)

  void* fresh(size_t cls) {
    void* p = nullptr;
    if (posix_memalign(&p, cls >= kHugePage ? kHugePage : 64, cls) != 0) return nullptr;
#ifdef MADV_HUGEPAGE
    if (cls >= kHugePage) madvise(p, cls, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    return p;
  }

  void* take(size_t cls) {
    {
      std::lock_guard<std::mutex> lk(mu);
      auto it = free_blocks.find(cls);
      if (it != free_blocks.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached -= static_cast<int64_t>(cls);
        live[p] = cls;
        live_bytes += static_cast<int64_t>(cls);
        ++hits;
        return p;
      }
    }
    void* p = fresh(cls);
    if (!p) {
      release_all();  // the cached blocks may be what stands between us and the request
      p = fresh(cls);
    }
    if (!p) return nullptr;
    std::lock_guard<std::mutex> lk(mu);
    live[p] = cls;
    live_bytes += static_cast<int64_t>(cls);
    ++misses;
    return p;
  }

  void give_back(void* p) {
    size_t cls = 0;
    {
      std::lock_guard<std::mutex> lk(mu);
      auto it = live.find(p);
      if (it != live.end()) {
        cls = it->second;
        live.erase(it);
        live_bytes -= static_cast<int64_t>(cls);
        if (cached + static_cast<int64_t>(cls) <= limit) {
          free_blocks[cls].push_back(p);
          cached += static_cast<int64_t>(cls);
          return;
        }
      }
    }
    if (cls > 0) {
      std::free(p);
      return;
    }
    // Not one of our blocks: a small block that raw_allocate took from the base allocator
    // (oneDNN allocates through the raw interface) — the base's own deleter frees it.
    base->raw_deleter()(p);
  }

  void release_all() {
    std::vector<void*> out;
    {
      std::lock_guard<std::mutex> lk(mu);
      for (auto& kv : free_blocks) out.insert(out.end(), kv.second.begin(), kv.second.end());
      free_blocks.clear();
      cached = 0;
    }
    for (void* p : out) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: tensors may be freed during process exit
  return *c;
}

void free_block(void* p) { cache().give_back(p); }

c10::DataPtr allocate_block(size_t n) {
  Cache& c = cache();
  if (n < kMinCached) return c.base->allocate(n);
  void* p = c.take(size_class(n));
  if (!p) throw std::bad_alloc();  // libtorch turns it into its out-of-memory error
  return {p, p, &free_block, c10::Device(c10::DeviceType::CPU)};
}

// c10::Allocator::allocate became non-const in libtorch 2.3 (and copy_data appeared beside it):
// pick the override that matches the headers we build against.
template <typename A>
constexpr bool const_allocate = std::is_same_v<decltype(&A::allocate), c10::DataPtr (A::*)(size_t) const>;

template <bool Const, typename A = c10::Allocator>
struct AllocatorBase;
template <typename A>
struct AllocatorBase<true, A> : A {
  c10::DataPtr allocate(size_t n) const override { return allocate_block(n); }
};
template <typename A>
struct AllocatorBase<false, A> : A {
  c10::DataPtr allocate(size_t n) override { return allocate_block(n); }
};

struct CachingCpuAllocator final : AllocatorBase<const_allocate<c10::Allocator>> {
  // The raw interface (raw_allocate / raw_deallocate, used by oneDNN): one deleter for both kinds
  // of block — ours go back to the cache, small ones to the base allocator.
  c10::DeleterFnPtr raw_deleter() const override { return &free_block; }
  // Overrides the pure virtual of libtorch >= 2.3; a plain member before that.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
};

std::atomic<bool> g_installed{false};

}  // namespace

bool install_caching_cpu_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* mode = std::getenv("EYEMULATOR_CPU_ALLOCATOR");
    if (mode && std::string(mode) == "system") return;
    Cache& c = cache();
    c.base = c10::GetCPUAllocator();
    if (!c.base || !c.base->raw_deleter()) return;  // cannot serve raw_deallocate of small blocks: keep libtorch's
    c.limit = default_limit();
    static CachingCpuAllocator alloc;
    c10::SetCPUAllocator(&alloc, /*priority=*/1);  // above libtorch's default (0)
    g_installed = true;
  });
  return g_installed;
}

void empty_cpu_cache() {
  if (g_installed) cache().release_all();
}

CpuCacheStats cpu_cache_stats() {
  CpuCacheStats s;
  s.installed = g_installed;
  if (!s.installed) return s;
  Cache& c = cache();
  std::lock_guard<std::mutex> lk(c.mu);
  s.cached_bytes = c.cached;
  s.live_bytes = c.live_bytes;
  s.hits = c.hits;
  s.misses = c.misses;
  s.limit_bytes = c.limit;
  return s;
}

}  // namespace eye
