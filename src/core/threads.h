// Thread-count policy: every parallel part of sodlab asks here how many threads to use.
// Resolution order: explicit request (>0) > SODLAB_THREADS environment variable > all cores.
#pragma once

namespace sodlab {

int hardware_threads();             // std::thread::hardware_concurrency(), at least 1
// requested 0 means "default"; requested < 0 or above kMaxThreads (here or in SODLAB_THREADS) is
// an InputError (a mistyped 100000 would start that many threads and hang the machine).
int resolve_threads(int requested);
inline constexpr int kMaxThreads = 1024;

// Runs fn(i) for i in [0, n) on `threads` worker threads (dynamic scheduling, one index at a
// time). The first exception thrown by fn is rethrown in the caller after all workers stop.
template <typename Fn>
void parallel_for(int n, int threads, Fn&& fn);

}  // namespace sodlab

#include "core/threads_impl.h"
