// The runs a display command (`sodlab table`, `sodlab plot`) shows: the experiment planned as
// `sodlab run` would plan it (same profile, --set overrides and threads; the profile defaults to
// that of the experiment's latest completed run in the store), as report::TableRun rows.
#pragma once

#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "report/paper_table.h"
#include "store/results_store.h"

namespace sodlab::cli {

struct DisplayPlan {
  pipeline::Plan plan;
  pipeline::PlanRequest request;      // with the profile resolved
  std::vector<report::TableRun> runs;  // planned runs (and a study's one run)
};

DisplayPlan plan_for_display(pipeline::PlanRequest request, store::ResultsStore& db);

// InputError when `db_path` is not a file (nothing has been run into it): check before opening
// the store read-only.
void require_results_db(const std::string& db_path);

}  // namespace sodlab::cli
