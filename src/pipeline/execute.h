// Executing one planned run: train (with checkpoints and exact resume), evaluate every test set
// under every distortion, and record it all in the store.
//
// execute() records the run 'running' with its provenance (code version, host, CPU, threads,
// library versions, the canonical resolved config, the overrides) and a heartbeat, trains with
// checkpoints under <runs_dir>/<run_id>/ (resuming from there after a kill), evaluates and
// records, then marks the run 'completed'. Any exception marks it 'failed' with its message and
// is rethrown (InputError → exit 2, others → 1); rows of other runs are never touched.
//
// run_plan() is what `sodlab run` does with a plan: every planned run is registered in the store
// (queued if new) with a reference from this experiment/variant/profile/overrides, completed runs
// are skipped unless `force`, the rest executed in order; the first failure stops the plan.
#pragma once

#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

struct ExecuteOptions {
  std::string runs_dir = "results/runs";     // checkpoints
  std::string cache_dir = "results/cache";   // HDF5 caches (predictions: eval.save_predictions)
  bool force = false;                        // redo runs that are already completed
};

void execute(const PlannedRun& run, store::ResultsStore& store, const ExecuteOptions& options);

struct RunSummary {
  int planned = 0, skipped = 0, completed = 0;
  std::vector<std::string> run_ids;
};

// Logs one line per run ("[i/n] <run_id> variant=... seed=... fold=..."); with `dry_run` only
// logs (the store is not touched; pass nullptr).
RunSummary run_plan(const Plan& plan, store::ResultsStore* store, const ExecuteOptions& options,
                    bool dry_run = false);

}  // namespace sodlab::pipeline
