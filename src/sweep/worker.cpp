#include "sweep/worker.h"

#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "core/timer.h"
#include "train/trainer.h"

namespace sodlab::sweep {

std::string describe_run(const pipeline::PlannedRun& run) {
  const config::RunSpec& s = run.spec;
  return run.run_id + " (variant " + (s.variant.empty() ? "-" : s.variant) +
         (s.fold >= 0 ? ", fold " + std::to_string(s.fold) : "") + ", seed " + std::to_string(s.seed) + ")";
}

WorkerSummary run_worker(const pipeline::Plan& plan, store::ResultsStore& db,
                         const pipeline::ExecuteOptions& options, const WorkerOptions& worker) {
  pipeline::ExecuteOptions execute_options = options;
  execute_options.force = false;  // a sweep never redoes completed runs (`sodlab run --force` does)
  execute_options.claim.take_completed = false;
  execute_options.claim.keep_failed_since = worker.since;
  WorkerSummary summary;
  for (bool progress = true; progress;) {
    progress = false;
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const pipeline::PlannedRun& run = plan.runs[i];
      if (stop_requested()) throw train::Interrupted("stopped by a signal before run " + run.run_id);
      if (auto stored = db.find_run(run.run_id)) {
        if (stored->status == store::kStatusCompleted) continue;
        // Another live process executes it (a stale heartbeat reads as interrupted; a dead owner
        // of this host is taken over by the claim).
        if (stored->status == store::kStatusRunning && stored->owner != store::process_owner() &&
            !store::owner_is_dead(stored->owner))
          continue;
      }
      log::info("[" + std::to_string(i + 1) + "/" + std::to_string(plan.runs.size()) + "] " + describe_run(run));
      Timer timer;
      try {
        const pipeline::ExecuteOutcome outcome = pipeline::execute(run, db, execute_options);
        if (outcome != pipeline::ExecuteOutcome::completed) continue;
        ++summary.completed;
        log::info("  completed in " + std::to_string(static_cast<int>(timer.seconds())) + " s");
      } catch (const train::Interrupted&) {
        throw;
      } catch (const std::exception& e) {  // recorded as failed by execute(); go on with the next
        ++summary.failed;
        summary.failures.push_back(describe_run(run) + ": " + e.what());
        log::error("run " + describe_run(run) + " failed: " + e.what());
      }
      progress = true;
    }
  }
  return summary;
}

SweepOutcome finish_sweep(const pipeline::Plan& plan, store::ResultsStore& db,
                          const pipeline::ExecuteOptions& options) {
  SweepOutcome out;
  out.planned = static_cast<int>(plan.runs.size());
  for (const pipeline::PlannedRun& run : plan.runs) {
    auto stored = db.find_run(run.run_id);
    if (stored && stored->status == store::kStatusCompleted) {
      const auto missing = pipeline::missing_evaluations(run, db);
      if (!missing.empty()) {
        pipeline::evaluate_completed(run, db, options, missing);
        ++out.evaluated;
      }
      ++out.completed;
    } else if (stored && stored->status == store::kStatusFailed) {
      ++out.failed;
      out.failures.push_back(describe_run(run) + ": " + stored->error);
    } else if (!stored || stored->status == store::kStatusQueued) {
      ++out.queued;
    } else {
      ++out.other;
    }
  }
  return out;
}

}  // namespace sodlab::sweep
