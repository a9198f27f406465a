// The [table] section of an experiment file: the paper table the experiment reproduces.
//
//   [table]
//   title = "Table 4: objective function comparison"
//   columns = [ { dataset = "msra-b", metric = "auroc", label = "AUROC" },
//               { dataset = "msra-b", metric = "fbeta_w", label = "F_1^w", digits = 3 } ]
//   [[table.rows]]
//   variant = "proposed"            # a variant of this file: our value is computed from the store
//   label = "Proposed"
//   published = [0.988, 0.856]      # the paper's value per column; "-" (or nan) = not published
//   [[table.rows]]
//   label = "DCL [16]"              # no variant: a published-only baseline
//   published = [0.968, "-"]
//
// Under a profile whose test sets differ from the paper's, `table.datasets = { msra-b =
// "synthetic" }` maps a column's dataset to the dataset name looked up in the store; a column
// whose dataset the profile does not evaluate prints "not run in this profile".
//
// More column keys: source = "timing" reads the run's timings instead of its results (metric
// "train_hours", "train_s_per_epoch" or "test_s_per_image" on the column's dataset); scale
// multiplies our values (e.g. 100 for a percentage the paper prints ×100); notation = "sci"
// prints 1.36E-08 (Jacobian statistics); published_on names
// the paper's hardware for timing columns; note adds a footnote to the column. A published
// value may carry a footnote: published = [{ value = 0.984, note = "..." }, ...]; a row may have
// note = "..."; [table] notes = ["...", ...] are printed under the table.
//
// Paired statistics (src/stats, report/paired_cells.h): `reference = "szn_ce"` names the variant
// of a row that every other row is compared with, image by image (a row may set its own
// `reference = "<variant>"`, or `reference = "none"` for no comparison); `resamples = 2000` and
// `bootstrap_seed = 0` set the bootstrap. A reference must be the variant of a row of the table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sodlab::config {

struct TableColumn {
  std::string dataset;      // results.dataset (the paper's dataset name), required
  std::string metric;       // results.metric, required
  std::string convention;   // results.convention; default eval.convention
  std::string distortion;   // results.distortion label; default "none"
  std::string label;        // header text; default "<metric>"
  int digits = 3;           // decimals when rendering (0..10)
  std::string notation = "fixed";  // "fixed" | "sci" (1.36E-08: `digits` decimals of the mantissa)
  bool higher_is_better = true;  // "better" = "higher" | "lower"; for a key of the metric registry
                                 // pipeline::plan sets the registry's direction (a "better" that
                                 // contradicts it is an error), so no file repeats it
  bool better_given = false;     // the column wrote "better"
  std::string where;        // "file:line:column" of the column (metric, dataset and convention
                            // names are checked against the runs by pipeline::plan)
  std::string source = "results";  // "results" | "timing"
  double scale = 1.0;       // our values × scale (published values are as printed)
  std::string published_on; // hardware of the published timing ("" = not a timing)
  std::string note;         // footnote of the column
};

struct TableRow {
  std::string label;                          // required
  std::string variant;                        // "" = published-only baseline
  std::vector<std::optional<double>> published;  // one per column (nullopt = not published)
  std::vector<std::string> published_notes;      // one per column ("" = none)
  std::string note;                              // footnote of the row
  std::optional<std::string> reference;          // the row's own reference variant ("none" = none)
};

struct TableSpec {
  std::string title;
  std::string caption;
  std::vector<TableColumn> columns;
  std::vector<TableRow> rows;
  std::map<std::string, std::string> datasets;  // column dataset → dataset in the store
  std::vector<std::string> notes;               // printed under the table
  std::string reference;           // variant of the reference row ("" = no paired statistics)
  int resamples = 2000;            // bootstrap resamples of the paired statistics
  std::uint64_t bootstrap_seed = 0;
  std::string layout = "methods";  // Markdown: one row per method ("methods") or, for wide
                                   // tables, one row per column ("metrics", the paper's layout)
  // Dataset name looked up in the store for a column (after the `datasets` mapping).
  std::string store_dataset(const TableColumn& c) const {
    auto it = datasets.find(c.dataset);
    return it == datasets.end() ? c.dataset : it->second;
  }
  bool empty() const { return columns.empty(); }
  // The variant a row is compared with: its own reference, else the table's; "" = none (also
  // for the reference row itself and for published-only rows).
  std::string reference_of(const TableRow& r) const {
    std::string ref = r.reference ? *r.reference : reference;
    if (ref == "none" || r.variant.empty() || ref == r.variant) return "";
    return ref;
  }
};

}  // namespace sodlab::config
