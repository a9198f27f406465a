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
// (queued if new) with a reference from this experiment/variant/profile/overrides and its
// parameters (register_runs), the rest
// executed in order; the first failure stops the plan. A completed run is not trained again
// (unless `force`): the test sets and distortions this plan asks for and the store lacks (another
// experiment trained it, with other test sets or metrics) are evaluated with its final
// checkpoint (verified against its recorded SHA-256) and recorded; the run stays 'completed'.
#pragma once

#include <string>
#include <vector>

#include "models/model.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

struct ExecuteOptions {
  std::string runs_dir = store::default_runs_dir();    // checkpoints
  std::string cache_dir = store::default_cache_dir();  // HDF5 caches (predictions: eval.save_predictions)
  bool force = false;                        // redo runs that are already completed
  bool restart = false;                      // ignore existing checkpoints (train from scratch)
  store::ClaimPolicy claim;                  // what execute() may take over (sweep workers leave
                                             // completed runs and this sweep's failures alone)
};

// busy: another live process executes it; left: the claim policy left it (completed meanwhile,
// or failed earlier in this sweep)
enum class ExecuteOutcome { completed, busy, left };

ExecuteOutcome execute(const PlannedRun& run, store::ResultsStore& store, const ExecuteOptions& options);

// One evaluation a run asks for: the maps of a test set of its data under one distortion, or
// one [eval.jacobian] estimator on the clean test set.
struct Evaluation {
  const TestSet* set = nullptr;  // points into PlannedRun::data
  config::Distortion distortion;
  std::string jacobian;          // "" = score the maps; else the estimator (distortion none)
  std::string describe() const;  // "sod [awgn_s10]", "sod [jacobian paper_code]"
};

std::vector<Evaluation> all_evaluations(const PlannedRun& run);
// Those whose metric families (under the run's convention), or whose estimator's metrics (under
// its settings label), the store lacks for run.run_id.
std::vector<Evaluation> missing_evaluations(const PlannedRun& run, store::ResultsStore& store);

// Evaluates `evaluations` with `model` and records them under `id`.
void evaluate_sets(models::SegmentationModel& model, const PlannedRun& run, const std::string& id,
                   store::ResultsStore& store, const ExecuteOptions& options,
                   const std::vector<Evaluation>& evaluations);

// Evaluates a completed run's `evaluations` with its final checkpoint (InputError, exit 2, when
// the checkpoint is not recorded, missing or altered: --force retrains).
void evaluate_completed(const PlannedRun& run, store::ResultsStore& store, const ExecuteOptions& options,
                        const std::vector<Evaluation>& evaluations);

struct RunSummary {
  int planned = 0, skipped = 0, completed = 0, busy = 0;
  int evaluated = 0;  // completed runs evaluated on test sets they lacked
  std::vector<std::string> run_ids;
};

// Registers every planned run in the store (queued if new; an eval-only plan registers none)
// with this plan's reference and its variant's parameters (store params).
void register_runs(const Plan& plan, store::ResultsStore& store);

// Logs one line per run ("[i/n] <run_id> variant=... seed=... fold=..."); with `dry_run` also
// builds every distinct model once and runs it on one input-size image, so errors that only
// construction or a forward pass reveal appear now; nothing is written: given a store (opened
// read-only), each run's line says what it holds of it, counted in skipped / evaluated.
RunSummary run_plan(const Plan& plan, store::ResultsStore* store, const ExecuteOptions& options,
                    bool dry_run = false);

}  // namespace sodlab::pipeline
