#include "core/blas_threads.h"

#include <dlfcn.h>

#include <cstdlib>

#include "core/threads.h"

namespace sodlab {
namespace {

template <typename F>
F symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

BlasInfo blas_info() {
  BlasInfo info;
  const auto config = symbol<char* (*)()>("openblas_get_config");
  const auto parallel = symbol<int (*)()>("openblas_get_parallel");
  const auto threads = symbol<int (*)()>("openblas_get_num_threads");
  if (!config || !parallel || !threads) return info;
  info.openblas = true;
  info.config = config();
  const int p = parallel();
  info.parallel = p == 0 ? "sequential" : p == 1 ? "pthread" : p == 2 ? "openmp" : "unknown";
  info.threads = threads();
  return info;
}

int set_blas_threads(int threads) {
  const auto get = symbol<int (*)()>("openblas_get_num_threads");
  const auto set = symbol<void (*)(int)>("openblas_set_num_threads");
  if (!get || !set) return -1;
  const int previous = get();
  set(threads);
  return previous;
}

int blas_threads_policy() {
  const char* env = std::getenv("SODLAB_BLAS_THREADS");
  return env && *env ? resolve_threads(std::atoi(env)) : 1;
}

int use_one_thread_pool() {
  const BlasInfo info = blas_info();
  if (!info.openblas || info.parallel != "pthread") return 0;
  const int threads = blas_threads_policy();
  set_blas_threads(threads);
  return threads;
}

}  // namespace sodlab
