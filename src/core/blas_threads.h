// One thread pool for the torch side: OpenBLAS's own.
//
// Debian installs the pthread build of OpenBLAS by default (libopenblas0-pthread). Its worker
// pool runs beside LibTorch's OpenMP pool, and on a machine with few cores the two fight: a
// BLAS call made while OpenMP workers still spin after a parallel region (or from inside one)
// runs many times slower (AF_β^w forward+backward 7.2 ms/image instead of 3.9 at 2 threads; a
// 2048² SGEMM at a fifth of its peak). use_one_thread_pool() leaves the parallelism to LibTorch:
// OpenBLAS runs single-threaded inside each call (SODLAB_BLAS_THREADS=N overrides, for
// measurements). Symbols are looked up at run time (dlsym): without OpenBLAS (another BLAS, or
// the OpenMP build, which shares LibTorch's pool) these are no-ops.
#pragma once

#include <string>

namespace sodlab {

struct BlasInfo {
  bool openblas = false;
  std::string config;    // openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"
  std::string parallel;  // "sequential" | "pthread" | "openmp" | "" (not OpenBLAS)
  int threads = 0;       // openblas_get_num_threads()
};

BlasInfo blas_info();
// Sets OpenBLAS's thread count; returns the previous one, or -1 without OpenBLAS.
int set_blas_threads(int threads);
// The BLAS thread count sodlab computes with: SODLAB_BLAS_THREADS, else 1. OpenBLAS's results
// differ across thread counts (measured: a 384×512 by 512×320 product is not bit-identical at 1
// and 2 threads), so it is part of every run's identity (pipeline::code_identity).
int blas_threads_policy();
// set_blas_threads(blas_threads_policy()) for the pthread build; returns the count in force (0
// without OpenBLAS, or for a build that shares LibTorch's OpenMP pool). sodlab-torch calls it at
// start, the pipeline before it trains or evaluates.
int use_one_thread_pool();

}  // namespace sodlab
