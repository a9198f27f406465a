// `sodlab run`: executes the runs of an experiment file and records them in the results store.
//
// For every run of expand(experiment) (variants × folds × seeds): resolve the datasets, compute
// run_id (config + code version + data manifest + seed); skip it if the store holds it completed
// (unless force); else record it 'running' with its provenance, train (checkpointing every epoch
// under <runs_dir>/<run_id>/, resuming from there if a previous attempt was killed), predict every
// test set × distortion, evaluate, store results/per-image values/curves/timings, and mark it
// 'completed'. With eval.save_predictions the 8-bit maps go to the prediction cache
// (<cache_dir>/predictions, keyed by run × dataset manifest × image × distortion). A failure marks the run 'failed' with its message and stops (InputError → exit 2,
// other errors → exit 1); runs already recorded are never touched.
#pragma once

#include <string>
#include <vector>

namespace sodlab::cli {

struct RunRequest {
  std::string experiment;              // path or "paper/table" name
  std::string profile;                 // "" = none
  std::vector<std::string> sets;       // --set key.path=value
  std::vector<std::string> variants;   // --variant (empty = all)
  std::string db_path;                 // results database
  std::string runs_dir = "results/runs";  // checkpoints
  std::string cache_dir = "results/cache";  // HDF5 caches (predictions when eval.save_predictions)
  bool force = false;                  // redo completed runs
  bool dry_run = false;                // print the plan only
  int threads = 0;                     // intra-op threads (0 = config / machine default)
};

struct RunSummary {
  int planned = 0, skipped = 0, completed = 0;
  std::vector<std::string> run_ids;
};

RunSummary run_experiment(const RunRequest& request);

}  // namespace sodlab::cli
