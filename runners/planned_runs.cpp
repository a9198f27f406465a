#include "planned_runs.h"

#include <filesystem>

#include "config/experiment.h"
#include "core/error.h"

namespace sodlab::cli {

void require_results_db(const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec))
    throw InputError(db_path + ": no results database (run the experiment first, or pass --db)");
}

DisplayPlan plan_for_display(pipeline::PlanRequest request, store::ResultsStore& db) {
  const std::string path = config::resolve_experiment_path(request.experiment);
  request.check_weights = false;  // showing results needs no pretrained weights
  if (request.profile.empty())
    request.profile = db.latest_completed_profile(config::load_experiment(path).info.name).value_or("");
  DisplayPlan d{pipeline::plan(request), request, {}};
  for (const auto& r : d.plan.runs) {
    report::TableRun run{r.spec.variant, r.run_id, {}};
    for (const auto& t : r.data.tests) run.datasets.push_back(t.label);
    d.runs.push_back(std::move(run));
  }
  if (d.plan.study) d.runs.push_back({"ours", d.plan.study->run_id, d.plan.study->datasets});
  return d;
}

}  // namespace sodlab::cli
