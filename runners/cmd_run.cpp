// `sodlab run EXPERIMENT.toml`: train, evaluate and record every run of an experiment.
#include <iostream>

#include "command.h"
#include "run_experiment.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

CommandRegistration registration{
    "run", "Train and evaluate the runs of an experiment file; record them in the store",
    [](CLI::App& app) {
      auto request = std::make_shared<RunRequest>();
      request->db_path = store::default_db_path();
      app.add_option("experiment", request->experiment,
                     "Experiment file, or a name such as kolkin2017/table4")
          ->required();
      app.add_option("--profile,-p", request->profile, "Profile overlay: paper, small, smoke, ...");
      app.add_option("--set,-s", request->sets, "Override a config key: key.path=value (repeatable)");
      app.add_option("--variant", request->variants, "Run only these variants (repeatable)");
      app.add_option("--db", request->db_path, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--runs-dir", request->runs_dir, "Checkpoint directory (default results/runs)");
      app.add_option("--cache-dir", request->cache_dir, "Cache directory (default results/cache)");
      app.add_option("--threads", request->threads, "LibTorch intra-op threads (default: all cores)");
      app.add_flag("--force", request->force, "Redo runs that are already completed");
      app.add_flag("--dry-run", request->dry_run, "Print the plan (runs and their ids) only");
      return [request] {
        const RunSummary s = run_experiment(*request);
        std::cerr << s.planned << " run(s) planned, " << s.completed << " completed now, "
                  << s.skipped << " already in the store\n";
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
