// Executing one planned run: train (with checkpoints and exact resume), evaluate every test set
// under every distortion, and record it all in the store.
//
// execute() claims the run in the store (atomically, with this process as owner and a
// heartbeat: a run another live process executes is skipped, never trained twice), records its
// provenance (code version, host, CPU, threads, library versions, the canonical resolved config,
// the overrides), checks that every test image decodes, trains with checkpoints under
// <runs_dir>/<run_id>/, evaluates and records, then marks the run 'completed'.
//
// Checkpoints are trusted only through the store: the SHA-256 of each new checkpoint (and of the
// one it replaces) is recorded before the file is renamed into place. A resume reads a
// checkpoint only if its hash is recorded for this run; a file the store has no record of (the
// database was deleted or replaced) is ignored and removed, said so, and training starts from
// scratch; a file whose hash differs from the record is refused (InputError, exit 2: delete it,
// or --restart). `restart` ignores existing checkpoints.
//
// --force on a completed run retrains from scratch as a separate attempt (<run_id>~redo, its own
// checkpoint folder); the old results stay until the attempt has completed, then are replaced in
// one transaction (ResultsStore::promote_attempt). A failed attempt leaves the old rows and stays
// in the store, marked failed, as a record of the attempt.
//
// SIGINT/SIGTERM (core/stop_signal.h): training stops at the next batch, the run is marked
// 'interrupted' at once and train::Interrupted propagates. Any other exception marks the run
// 'failed' with its message (without C++ backtraces) and is rethrown (InputError → exit 2,
// others → 1); rows of other runs are never touched.
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
  bool restart = false;                      // ignore existing checkpoints (train from scratch)
};

enum class ExecuteOutcome { completed, busy };  // busy: another live process executes it

ExecuteOutcome execute(const PlannedRun& run, store::ResultsStore& store, const ExecuteOptions& options);

struct RunSummary {
  int planned = 0, skipped = 0, completed = 0, busy = 0;
  std::vector<std::string> run_ids;
};

// Logs one line per run ("[i/n] <run_id> variant=... seed=... fold=..."); with `dry_run` also
// builds every distinct model once and runs it on one input-size image, so errors that only
// construction or a forward pass reveal appear now; the store is not touched (pass nullptr).
RunSummary run_plan(const Plan& plan, store::ResultsStore* store, const ExecuteOptions& options,
                    bool dry_run = false);

}  // namespace sodlab::pipeline
