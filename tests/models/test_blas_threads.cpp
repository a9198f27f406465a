// One thread pool on the torch side (core/blas_threads.h): OpenBLAS single-threaded inside
// LibTorch's parallel work, overridable.
#include <torch/torch.h>

#include <cstdlib>

#include "core/blas_threads.h"

#include <catch2/catch.hpp>

#include "support/shared_data.h"

using namespace sodlab;

TEST_CASE("one thread pool: OpenBLAS runs single-threaded inside LibTorch's parallel work") {
  const BlasInfo info = blas_info();
  if (!info.openblas) SODLAB_SKIP("LibTorch does not use OpenBLAS here (nothing to configure)");
  INFO(info.config << " " << info.parallel);
  if (info.parallel != "pthread") {
    CHECK(use_one_thread_pool() == 0);  // sequential or OpenMP build: already one pool
    return;
  }
  setenv("SODLAB_BLAS_THREADS", "2", 1);
  CHECK(use_one_thread_pool() == 2);
  CHECK(blas_info().threads == 2);
  unsetenv("SODLAB_BLAS_THREADS");
  CHECK(use_one_thread_pool() == 1);
  CHECK(blas_info().threads == 1);
  // Results depend on the BLAS thread count (hence blas_threads_policy() in every run id); the
  // policy's count is the one in force after use_one_thread_pool().
  CHECK(blas_threads_policy() == 1);
  set_blas_threads(2);
  CHECK(set_blas_threads(1) == 2);  // returns the previous count
}
