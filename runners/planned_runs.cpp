#include "planned_runs.h"

#include <algorithm>
#include <filesystem>

#include "config/experiment.h"
#include "core/error.h"
#include "metrics/convention.h"
#include "report/run_page.h"
#include "sweep/sweep_table.h"

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

report::PaperTable display_table(const DisplayPlan& d, store::ResultsStore& db) {
  const config::Experiment& ex = d.plan.experiment;
  // A sweep without a hand-written table: one row per point (sweep/sweep_table.h).
  const config::TableSpec spec = ex.is_sweep() ? sweep::sweep_table_spec(d.plan) : ex.table;
  if (spec.empty())
    throw InputError(ex.source_path + " has no [table] section (a [sweep] file gets one without it)");
  report::PaperTable t = report::build_table(spec, ex.info.name, ex.info.reproduces, d.request.profile, d.runs, db);
  if (ex.is_sweep()) {
    for (auto& note : sweep::identical_point_notes(d.plan, db)) t.notes.push_back(std::move(note));
    for (auto& note : sweep::collapsed_point_notes(d.plan, db)) t.notes.push_back(std::move(note));
  }
  t.overrides = pipeline::overrides_text(d.request.sets);
  return t;
}

report::FigureRequest figure_request(const DisplayPlan& d, const std::string& kind) {
  report::FigureRequest figure;
  figure.kind = kind;
  figure.runs = d.runs;
  const config::Experiment& ex = d.plan.experiment;
  for (const auto& row : ex.table.rows)
    if (!row.variant.empty()) figure.labels.push_back({row.variant, row.label});
  if (!d.plan.runs.empty()) figure.convention = d.plan.runs.front().spec.eval.convention;
  figure.title = ex.info.name + ": " + kind + (d.request.profile.empty() ? "" : " (profile " + d.request.profile + ")");
  return figure;
}

report::SweepFigureRequest sweep_figure_request(const DisplayPlan& d, const std::string& metric) {
  const config::Experiment& ex = d.plan.experiment;
  if (!ex.is_sweep()) throw InputError(ex.source_path + " is not a sweep ([sweep] section): --kind sweep draws sweeps");
  report::SweepFigureRequest r;
  r.title = ex.info.name + ": sweep" + (d.request.profile.empty() ? "" : " (profile " + d.request.profile + ")");
  r.keys = ex.sweep_keys;
  for (const auto& run : d.plan.runs) {
    auto it = std::find_if(r.points.begin(), r.points.end(), [&](const auto& p) { return p.variant == run.spec.variant; });
    if (it == r.points.end()) {
      report::SweepFigureRequest::Point p;
      p.variant = run.spec.variant;
      for (const auto& key : r.keys) {
        std::string value;
        for (const auto& [k, v] : run.spec.params)
          if (k == key) value = report::param_text(v);
        p.values.push_back(value);
      }
      r.points.push_back(std::move(p));
      it = r.points.end() - 1;
    }
    it->run_ids.push_back(run.run_id);
  }
  const config::TableSpec spec = sweep::sweep_table_spec(d.plan);
  const config::TableColumn* column = nullptr;
  for (const auto& c : spec.columns)
    if (c.source == "results" && (metric.empty() || c.metric == metric)) {
      column = &c;
      break;
    }
  if (column) {
    r.metric = {spec.store_dataset(*column), column->distortion, column->metric, column->convention};
    r.metric_label = column->label.empty() ? column->metric : column->label;
    r.higher_is_better = column->higher_is_better;
  } else if (!metric.empty() && !spec.columns.empty()) {
    // A metric the table does not show: on the first column's dataset, distortion and convention.
    const auto& c = spec.columns.front();
    r.metric = {spec.store_dataset(c), c.distortion, metric, c.convention};
    r.metric_label = metric;
    r.higher_is_better = metrics::metric_direction(metric) != metrics::Better::lower;
  } else {
    throw InputError(ex.source_path + ": no results column to draw the sweep against (pass --metric)");
  }
  return r;
}

}  // namespace sodlab::cli
