// A sweep worker: executes the planned runs of a plan that nobody else is executing, one after
// another, until none is left to take. Several workers (processes, on one machine or on cluster
// nodes sharing nothing but this plan) may work on one store: each run is claimed atomically
// (store::ResultsStore::claim_run), so none is executed twice and none is skipped.
//
// A worker passes over the plan in order and claims each run that is queued, interrupted, stale
// (its heartbeat older than the store's stale_seconds) or held by a dead process of this host;
// it leaves completed runs, runs another live process holds, and runs that failed since
// `since` (a failure is not retried by the sweep that saw it: `sodlab run` retries). After a
// pass in which it executed something it passes again (a run freed meanwhile by a dead worker
// is taken over and resumes from its checkpoint); after a pass with nothing to take it returns.
// A failed run is logged and counted, and the worker goes on with the next. SIGINT/SIGTERM:
// the current run checkpoints and is marked interrupted, and train::Interrupted propagates.
//
// Completed runs that lack an evaluation are evaluated by the sweep's final pass
// (evaluate_missing), not by the workers, so no evaluation is done twice at once.
#pragma once

#include <string>
#include <vector>

#include "pipeline/execute.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::sweep {

struct WorkerOptions {
  std::string since;  // UTC timestamp (store format): runs that failed since then are left alone
};

struct WorkerSummary {
  int completed = 0;  // runs this worker executed to completion
  int failed = 0;     // runs that failed in this worker
  std::vector<std::string> failures;  // "run_id (variant v, fold f): message"
};

WorkerSummary run_worker(const pipeline::Plan& plan, store::ResultsStore& store,
                         const pipeline::ExecuteOptions& options, const WorkerOptions& worker);

struct SweepOutcome {
  int planned = 0, completed = 0, failed = 0, queued = 0, other = 0;  // by stored status now
  int evaluated = 0;  // completed runs evaluated now on what they lacked
  std::vector<std::string> failures;  // "run_id (variant v, fold f): error"
};

// The sweep's last step, in one process: completed runs evaluated on the test sets, distortions
// and metric families the plan asks for and the store lacks; then the status of every planned run.
SweepOutcome finish_sweep(const pipeline::Plan& plan, store::ResultsStore& store,
                          const pipeline::ExecuteOptions& options);

// "run_id (variant v, fold f, seed s)" for messages.
std::string describe_run(const pipeline::PlannedRun& run);

}  // namespace sodlab::sweep
