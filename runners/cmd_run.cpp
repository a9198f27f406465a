// `sodlab run EXPERIMENT`: plan the experiment's runs, execute those the store does not hold.
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/stop_signal.h"
#include "pipeline/execute.h"
#include "pipeline/plan.h"
#include "pipeline/rehearsal.h"
#include "store/results_store.h"
#include "train/trainer.h"

namespace sodlab::cli {
namespace {

struct RunArgs {
  pipeline::PlanRequest plan;
  pipeline::ExecuteOptions execute;
  std::string db = store::default_db_path();
  bool dry_run = false;
};

CommandRegistration registration{
    "run", "Train and evaluate the runs of an experiment file; record them in the store",
    [](CLI::App& app) {
      auto a = std::make_shared<RunArgs>();
      app.add_option("experiment", a->plan.experiment,
                     "Experiment file, or a name such as kolkin2017/table4")
          ->required();
      app.add_option("--profile,-p", a->plan.profile, "Profile overlay: paper, small, smoke, ...");
      app.add_option("--set,-s", a->plan.sets, "Override a config key: key.path=value (repeatable)");
      app.add_option("--variant", a->plan.variants, "Run only these variants (repeatable)");
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--runs-dir", a->execute.runs_dir, "Checkpoint directory (default results/runs)");
      app.add_option("--cache-dir", a->execute.cache_dir, "Cache directory (default results/cache)");
      app.add_option("--threads", a->plan.threads,
                     "LibTorch intra-op threads (default: train.threads, $SODLAB_THREADS or all "
                     "cores); part of the run identity")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--device", a->plan.device, "auto | cpu | cuda | cuda:N (default: train.device, auto = a GPU when there is one); its kind is part of the run identity");
      app.add_flag("--force", a->execute.force,
                   "Retrain runs from scratch, completed ones included (their results are replaced "
                   "only when the redo completes)");
      app.add_flag("--restart", a->execute.restart,
                   "Ignore existing checkpoints of unfinished runs and train them from scratch");
      app.add_flag("--rehearse{2}", a->plan.rehearse,
                   "A dress rehearsal of the protocol (--rehearse=N: N images per test set, default 2; one "
                   "batch of training images, one step per stage), then its measured speed and memory "
                   "and the projected time and disk of the real protocol on this device; recorded as "
                   "runs of their own (overrides 'rehearse=N'), never in a table")
          ->check(CLI::Range(1, 10000));
      app.add_flag("--dry-run", a->dry_run,
                   "Plan and validate every run (names, options, data), print the runs and their ids");
      return [a] {
        if (a->plan.rehearse > 0) a->execute.force = true;  // a rehearsal measures: it always runs
        const pipeline::Plan plan = pipeline::plan(a->plan);
        std::unique_ptr<store::ResultsStore> db;
        std::string store_note;  // a dry run's word on the store
        if (!a->dry_run) {
          db = std::make_unique<store::ResultsStore>(a->db);
        } else if (std::error_code ec; std::filesystem::exists(a->db, ec)) {
          try {  // read-only: a dry run writes nothing
            db = std::make_unique<store::ResultsStore>(a->db, store::OpenMode::read_only);
          } catch (const InputError& e) {
            store_note = " (the store cannot be read: " + std::string(e.what()) + ")";
          }
        } else {
          store_note = " (no results store at " + a->db + " yet)";
        }
        install_stop_handlers();  // SIGINT/SIGTERM: checkpoint kept, run marked interrupted now
        try {
          const pipeline::RunSummary s = pipeline::run_plan(plan, db.get(), a->execute, a->dry_run);
          std::cerr << s.planned << " run(s) planned, " << s.completed << " completed now, "
                    << s.skipped << " already in the store"
                    << (s.evaluated ? ", " + std::to_string(s.evaluated) +
                                          " trained earlier and evaluated now on the test sets they lacked"
                                    : "")
                    << (s.busy ? ", " + std::to_string(s.busy) + " being executed by another process" : "")
                    << (a->dry_run ? ", dry run: nothing executed" + store_note : "") << "\n";
          if (a->plan.rehearse > 0 && !a->dry_run)
            std::cout << pipeline::format_rehearsal(plan, pipeline::project_rehearsal(plan, *db));
        } catch (const train::Interrupted& e) {
          std::cerr << "interrupted: " << e.what() << " (run it again to resume)\n";
          return stop_exit_code();
        }
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
