// `sodlab worker EXPERIMENT`: execute the planned runs nobody else is executing (sweep/worker.h).
// What `sodlab sweep --jobs N` starts N of, and what each Slurm array task runs (`--index i`: that
// one planned run, into its own shard database).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "core/threads.h"
#include "store/provenance.h"
#include "sweep/worker.h"
#include "sweep_args.h"
#include "train/trainer.h"

namespace sodlab::cli {
namespace {

struct WorkerArgs : SweepPlanArgs {
  std::string since;
  std::optional<std::size_t> index;
  std::string expect_run;
};

CommandRegistration registration{
    "worker", "Execute planned runs of an experiment that no other process executes (sweeps, Slurm tasks)",
    [](CLI::App& app) {
      auto a = std::make_shared<WorkerArgs>();
      add_sweep_plan_options(app, *a);
      app.add_option("--threads", a->plan.threads, "LibTorch intra-op threads (part of the run identity)")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--since", a->since,
                     "Leave runs that failed at or after this UTC time (YYYY-MM-DDTHH:MM:SS.SSSZ; "
                     "default: when this worker started)");
      app.add_option("--index", a->index, "Execute only planned run number INDEX (0-based; a Slurm array task)");
      app.add_option("--expect-run", a->expect_run,
                     "With --index: the run id planned run INDEX must have (refuses a plan that changed since "
                     "the sweep's script was written)");
      return [a] {
        if (const char* prefix = std::getenv("SODLAB_LOG_PREFIX"); prefix && *prefix) log::set_prefix(prefix);
        if (a->since.empty()) a->since = store::utc_now();
        pipeline::Plan plan = pipeline::plan(a->plan);
        if (plan.study) throw InputError(plan.experiment.source_path + ": a [study] file has no runs for a worker");
        if (a->index) {
          if (*a->index >= plan.runs.size())
            throw InputError("--index " + std::to_string(*a->index) + ": " + plan.experiment.info.name +
                             " plans " + std::to_string(plan.runs.size()) + " run(s), indices 0.." +
                             std::to_string(plan.runs.size() - 1));
          if (!a->expect_run.empty() && plan.runs[*a->index].run_id != a->expect_run)
            throw InputError("--index " + std::to_string(*a->index) + ": planned run " + plan.runs[*a->index].run_id +
                             " is not the expected " + a->expect_run + ": " + plan.experiment.source_path +
                             ", its profile, the overrides or sodlab's computing code changed since the sweep "
                             "script was written; write it again (sodlab sweep ... --launcher slurm --emit)");
          pipeline::PlannedRun one = std::move(plan.runs[*a->index]);
          plan.runs.clear();
          plan.runs.push_back(std::move(one));
        }
        store::ResultsStore db(a->db);
        if (plan.experiment.is_eval_only())
          throw InputError(plan.experiment.source_path + ": an eval-only file trains nothing; use `sodlab run`");
        pipeline::register_runs(plan, db);
        install_stop_handlers();
        try {
          const sweep::WorkerSummary s = sweep::run_worker(plan, db, a->execute, {a->since});
          if (a->index) sweep::finish_sweep(plan, db, a->execute);  // a shard of its own: evaluate here
          log::info("worker: " + std::to_string(s.completed) + " run(s) completed, " + std::to_string(s.failed) +
                    " failed");
          return s.failed ? 1 : 0;
        } catch (const train::Interrupted& e) {
          log::info(std::string("interrupted: ") + e.what());
          return stop_exit_code();
        }
      };
    }};

}  // namespace
}  // namespace sodlab::cli
