#include "report/paired_cells.h"

#include <cmath>
#include <map>
#include <tuple>

#include "report/paired_units.h"
#include "stats/holm.h"
#include "store/results_store.h"

namespace sodlab::report {

void add_paired_statistics(PaperTable& t, const config::TableSpec& spec, const std::vector<TableRun>& runs,
                           store::ResultsStore& store) {
  t.unpaired_why.assign(t.columns.size(), "");
  for (std::size_t r = 0; r < spec.rows.size(); ++r) {
    t.rows[r].reference = spec.reference_of(spec.rows[r]);
    t.paired = t.paired || !t.rows[r].reference.empty();
  }
  if (!t.paired) return;
  t.resamples = spec.resamples;
  t.bootstrap_seed = spec.bootstrap_seed;
  const stats::BootstrapOptions options{spec.resamples, spec.bootstrap_seed, 0.95};

  // Completed runs per variant, by (fold, seed).
  std::map<std::string, std::map<std::pair<int, std::int64_t>, store::RunRecord>> completed;
  for (const auto& run : runs) {
    const auto record = store.find_run(run.run_id);
    if (record && record->status == store::kStatusCompleted)
      completed[run.variant].emplace(std::make_pair(record->fold, record->seed), *record);
  }
  std::map<std::string, std::size_t> row_of_variant;
  for (std::size_t r = 0; r < t.rows.size(); ++r)
    if (!t.rows[r].variant.empty()) row_of_variant.emplace(t.rows[r].variant, r);

  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const config::TableColumn& c = t.columns[i];
    if (c.source != "results") {
      t.unpaired_why[i] = "a timing, not a per-image value";
      continue;
    }
    if (i < t.in_profile.size() && !t.in_profile[i]) continue;
    PerImageReader reader(store);
    const ResultKey key{t.store_datasets[i], c.distortion, c.metric, c.convention};
    bool not_per_image = false;
    std::vector<double> p(t.rows.size(), std::nan(""));
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      Row& row = t.rows[r];
      if (row.reference.empty()) continue;
      std::vector<RunPair> pairs;
      for (const auto& [fold_seed, run] : completed[row.variant]) {
        const auto ref = completed[row.reference].find(fold_seed);
        if (ref != completed[row.reference].end()) pairs.push_back({run, ref->second});
      }
      const MatchedUnits matched = reader.match(pairs, key, c.scale);
      not_per_image = not_per_image || matched.not_mean_of_images;
      const auto& units = matched.units;
      const int pairs_used = matched.pairs;
      if (units.empty()) continue;
      Cell& cell = row.cells[i];
      cell.paired = stats::compare_paired(units, options);
      cell.paired_runs = pairs_used;
      p[r] = cell.paired->wilcoxon.p;
      if (const auto ref_row = row_of_variant.find(row.reference); ref_row != row_of_variant.end())
        t.rows[ref_row->second].cells[i].is_reference = true;
    }
    const std::vector<double> adjusted = stats::holm_adjust(p);
    for (std::size_t r = 0; r < t.rows.size(); ++r)
      if (t.rows[r].cells[i].paired) t.rows[r].cells[i].paired->p_holm = adjusted[r];
    bool any = false;
    for (const Row& row : t.rows) any = any || row.cells[i].paired.has_value();
    if (not_per_image)
      t.unpaired_why[i] = "its per-image values do not average to it (a dataset-level metric; the per-image "
                          "curves it is computed from are not stored)";
    else if (!any)
      t.unpaired_why[i] = "no per-image values of matched runs (same fold and seed) in the store";
  }
}

}  // namespace sodlab::report
