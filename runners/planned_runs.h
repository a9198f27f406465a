// The runs a display command (`sodlab table`, `sodlab plot`) shows: the experiment planned as
// `sodlab run` would plan it (same profile, --set overrides and threads; the profile defaults to
// that of the experiment's latest completed run in the store), as report::TableRun rows.
#pragma once

#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "report/figure.h"
#include "report/paper_table.h"
#include "report/sweep_figure.h"
#include "store/results_store.h"

namespace sodlab::cli {

struct DisplayPlan {
  pipeline::Plan plan;
  pipeline::PlanRequest request;      // with the profile resolved
  std::vector<report::TableRun> runs;  // planned runs (and a study's one run)
};

DisplayPlan plan_for_display(pipeline::PlanRequest request, store::ResultsStore& db);

// The table `sodlab table` shows for it: the [table] spec, or a sweep's one row per point with
// its notes on bit-identical points, with the overrides labelled. InputError when the file has
// no table.
report::PaperTable display_table(const DisplayPlan& d, store::ResultsStore& db);

// What `sodlab plot --kind KIND` draws for it: the planned runs, the table's row labels as
// legend, the runs' convention and a title naming the profile (distortion options left default).
report::FigureRequest figure_request(const DisplayPlan& d, const std::string& kind);

// What `sodlab plot --kind sweep` (and the report's sweep section) draws: every point of a sweep
// file with its swept values and planned runs, against `metric` ("" = the first results column of
// the sweep's table: its headline metric); its direction from the table column, else the metric
// registry. InputError for a file without [sweep] or a metric no column names.
report::SweepFigureRequest sweep_figure_request(const DisplayPlan& d, const std::string& metric);

// InputError when `db_path` is not a file (nothing has been run into it): check before opening
// the store read-only.
void require_results_db(const std::string& db_path);

}  // namespace sodlab::cli
