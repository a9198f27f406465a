// One trained run named on the command line, planned as the run was: by run id (the store's
// reference to it gives the experiment, variant, profile and overrides; its record the fold, seed,
// threads and device) or by experiment (+ --profile/--set) with --variant/--fold/--seed narrowing
// the plan's runs to one. What `sodlab predict` (and any command that loads a trained model)
// starts from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::cli {

struct RunSelector {
  std::string target;             // a run id in the store, or an experiment (file or name)
  pipeline::PlanRequest request;  // profile, sets, variants (at most one), threads, device
  std::optional<int> fold;
  std::optional<std::int64_t> seed;
};

struct SelectedRun {
  pipeline::Plan plan;
  std::size_t index = 0;    // the selected run in plan.runs
  std::string recorded_id;  // the stored run whose checkpoint and results are meant: the planned id,
                            // or the id given when the code changed since (the plan's id differs)
  const pipeline::PlannedRun& run() const { return plan.runs.at(index); }
};

// InputError (exit 2): a target that is neither a stored run id nor an experiment; a selection
// matching no run or several (the candidates listed with the options that pick one); a run the
// store does not hold as completed (with the `sodlab run` command that trains it).
SelectedRun select_run(RunSelector selector, store::ResultsStore& db);

}  // namespace sodlab::cli
