#include "sweep/sweep_table.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/names.h"
#include "data/transforms.h"
#include "metrics/convention.h"
#include "pipeline/specs.h"

namespace sodlab::sweep {

config::TableSpec sweep_table_spec(const pipeline::Plan& plan) {
  const config::Experiment& ex = plan.experiment;
  config::TableSpec t = ex.table;
  if (!t.rows.empty()) return t;
  if (t.title.empty())
    t.title = ex.sweep_keys.empty() ? "Sweep of the variants" : "Sweep over " + join_names(ex.sweep_keys, ", ");
  if (t.columns.empty() && !plan.runs.empty()) {
    std::vector<std::string> datasets;
    for (const auto& run : plan.runs)
      for (const auto& set : run.data.tests)
        if (std::find(datasets.begin(), datasets.end(), set.label) == datasets.end()) datasets.push_back(set.label);
    const config::RunSpec& spec = plan.runs.front().spec;
    const metrics::MetricSelection selection = metrics::MetricSelection::from_names(spec.eval.metrics);
    for (const auto& dataset : datasets)
      for (const auto& distortion : spec.data.distortions) {
        const std::string d = pipeline::distortion_spec(distortion).label();
        for (const auto& family : metrics::metric_family_registry().entries()) {
          if (!selection.has(family.name)) continue;
          config::TableColumn c;
          c.dataset = dataset;
          c.metric = family.keys.front().name;
          c.distortion = d;
          c.convention = spec.eval.convention;
          c.label = c.metric + (d == "none" ? "" : " " + d);  // the header adds the dataset
          c.higher_is_better = metrics::metric_direction(c.metric) != metrics::Better::lower;
          t.columns.push_back(std::move(c));
        }
      }
  }
  if (!t.reference.empty() && t.reference != "none" &&
      std::find(ex.variant_names.begin(), ex.variant_names.end(), t.reference) == ex.variant_names.end())
    throw InputError(ex.source_path + ": table.reference '" + t.reference + "' is not a point of this sweep (points: " +
                     join_names(ex.variant_names, ", ") + ")");
  for (const auto& v : ex.variant_names) {
    config::TableRow row;
    row.variant = v;
    row.label = v.empty() ? "base" : v;
    row.published.assign(t.columns.size(), std::nullopt);
    row.published_notes.assign(t.columns.size(), "");
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> identical_point_notes(const pipeline::Plan& plan, store::ResultsStore& db) {
  // Per variant: its runs in plan order (fold → seed) and, per run, its results as exact bits.
  std::map<std::string, std::vector<const pipeline::PlannedRun*>> by_variant;
  for (const auto& run : plan.runs) by_variant[run.spec.variant].push_back(&run);
  std::map<std::string, std::string> signature;  // variant → results signature ("" = incomplete)
  for (const auto& [variant, runs] : by_variant) {
    std::string sig;
    bool complete = true;
    for (const auto* run : runs) {
      const auto stored = db.find_run(run->run_id);
      if (!stored || stored->status != store::kStatusCompleted) {
        complete = false;
        break;
      }
      auto rows = db.results(run->run_id);
      if (rows.empty()) {
        complete = false;
        break;
      }
      std::vector<std::string> cells;
      for (const auto& r : rows) {
        char bits[sizeof(double)];
        std::memcpy(bits, &r.value, sizeof bits);
        cells.push_back(r.dataset + "\t" + r.distortion + "\t" + r.metric + "\t" + r.convention + "\t" +
                        std::string(bits, sizeof bits));
      }
      std::sort(cells.begin(), cells.end());
      sig += "\n#run\n";
      for (const auto& c : cells) sig += c + "\n";
    }
    if (complete) signature[variant] = sig;
  }
  std::map<std::string, std::vector<std::string>> groups;  // signature → variants (plan order)
  for (const auto& v : plan.experiment.variant_names)
    if (auto it = signature.find(v); it != signature.end()) groups[it->second].push_back(v);
  std::vector<std::string> notes;
  for (const auto& v : plan.experiment.variant_names) {
    auto it = signature.find(v);
    if (it == signature.end()) continue;
    auto& group = groups[it->second];
    if (group.size() < 2 || group.front() != v) continue;
    // Points that share their run ids are one model (e.g. they differ only in what is evaluated).
    std::vector<std::string> ids;
    for (const auto& name : group) {
      std::string joined;
      for (const auto* run : by_variant[name]) joined += run->run_id;
      ids.push_back(joined);
    }
    std::sort(ids.begin(), ids.end());
    if (std::unique(ids.begin(), ids.end()) - ids.begin() < 2) continue;
    notes.push_back("Points " + join_names(group, ", ") +
                    " gave bit-identical results (every metric of every run): what they differ in may "
                    "not reach the computation, or their training collapsed to the same output (e.g. a "
                    "constant map: AUROC 0.5).");
  }
  return notes;
}

std::vector<std::string> collapsed_point_notes(const pipeline::Plan& plan, store::ResultsStore& db) {
  std::map<std::string, std::pair<int, int>> by_variant;  // variant → (completed runs, of them AUROC 0.5)
  for (const auto& run : plan.runs) {
    const auto stored = db.find_run(run.run_id);
    if (!stored || stored->status != store::kStatusCompleted) continue;
    bool half = false;
    for (const auto& r : db.results(run.run_id))
      if (r.metric == "AUROC" && r.value > 0.5 - 1e-9 && r.value < 0.5 + 1e-9) half = true;
    auto& [completed, collapsed] = by_variant[run.spec.variant];
    ++completed;
    collapsed += half;
  }
  std::vector<std::string> points;
  for (const auto& v : plan.experiment.variant_names)
    if (auto it = by_variant.find(v); it != by_variant.end() && it->second.second == it->second.first) points.push_back(v);
  if (points.empty()) return {};
  return {"Point" + std::string(points.size() > 1 ? "s " : " ") + join_names(points, ", ") +
          " collapsed: AUROC 0.5 on every run (constant maps); " +
          "the metrics that reward a constant map (MAE on mostly-background images) rank it high for nothing."};
}

}  // namespace sodlab::sweep
