// `sodlab eval --db`: a method's maps evaluated on datasets, recorded in the results store beside
// trained runs. One run per method (experiment `--experiment`, default "eval"; variant = the
// method's name; status completed), its id a hash of the experiment, the method's name and where
// its maps and the masks are, so evaluating the same maps again replaces that run's rows. Results,
// per-image values and curves are keyed like a trained run's (dataset, distortion "none", metric,
// convention); the run's config_toml records the folders, name rules, convention, normalisation
// and metrics. Results of `--no-normalize` are stored under the convention
// "<convention>/no-normalize" (store_convention), so they never mix with the stretched ones.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/method_layout.h"
#include "metrics/evaluator.h"
#include "store/results_store.h"

namespace sodlab::cli {

struct EvalRecord {
  std::string experiment = "eval";
  std::string method;
  std::vector<std::pair<std::string, config::FolderRule>> maps;   // dataset → maps
  std::vector<std::pair<std::string, config::FolderRule>> masks;  // dataset → masks
  std::string convention, metrics;
  bool normalize = true;
  int threads = 0;
};

// The convention column of the store for a result: its convention, "/no-normalize" appended when
// the maps were not stretched.
std::string store_convention(const metrics::EvaluationResult& result);

// Starts the method's run (status running, provenance) and returns its id.
std::string begin_eval_run(store::ResultsStore& db, const EvalRecord& record);
// Adds one dataset's evaluation to the run.
void record_eval_result(store::ResultsStore& db, const std::string& run_id, const std::string& dataset,
                        const metrics::EvaluationResult& result, double seconds);

}  // namespace sodlab::cli
