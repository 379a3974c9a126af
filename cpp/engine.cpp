#include "engine.h"

#include "cpu_allocator.h"

#include <thread>

namespace eye {

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void use_threads(int threads) {
  install_caching_cpu_allocator();  // every native call passes here first; once per process
  const int n = threads > 0 ? threads : default_threads();
  if (at::get_num_threads() != n) at::set_num_threads(n);
}

}  // namespace eye
