// `sodlab sweep --jobs N`: N worker processes (`sodlab worker`, sweep/worker.h) on this machine,
// supervised until every one has ended.
//
// Each worker gets SODLAB_THREADS = its share of the cores (so its data loaders stay within it as
// well as LibTorch's --threads) and a log prefix "[worker k] ". Workers run in their own process
// group: Ctrl-C reaches only the supervisor, which forwards one SIGTERM to each worker (each
// checkpoints its run and marks it interrupted) and waits for them. A worker that dies by a
// signal (killed, crashed) has its runs marked interrupted at once
// (ResultsStore::mark_owner_interrupted) and is replaced, at most `max_restarts` times in all;
// the replacement takes the runs over and resumes them from their checkpoints.
#pragma once

#include <string>
#include <vector>

#include "store/results_store.h"

namespace sodlab::sweep {

struct PoolOptions {
  int jobs = 1;
  int threads_per_worker = 1;
  std::string executable;                 // the sodlab executable that has `worker`
  std::vector<std::string> worker_args;   // arguments after "worker"
  int max_restarts = 0;                   // replacements of workers that died by a signal
};

struct PoolResult {
  int started = 0;         // worker processes started (replacements included)
  int died = 0;            // ended by a signal they did not ask for
  int failed = 0;          // exited with a status other than 0 (some run failed, or bad input)
  int stop_signal = 0;     // SIGINT/SIGTERM received by the supervisor (0 = none)
};

PoolResult run_local_pool(const PoolOptions& options, store::ResultsStore& store);

}  // namespace sodlab::sweep
