// Comparing methods on datasets (`sodlab eval` with several --pred / --gt): one row per method,
// one column per dataset × metric, the top three of each column marked as PySODEvalToolkit does
// (Markdown: **best**, _second_, <u>third</u>; LaTeX booktabs: \textbf, \underline, \textit).
// MAE is lower-is-better, every other metric higher-is-better; equal values share a rank; a
// missing value prints "–" and is not ranked.
#pragma once

#include <map>
#include <set>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace sodlab::report {

struct MethodTable {
  std::string title;
  std::vector<std::string> methods, datasets, metrics;  // row and column order
  std::map<std::tuple<std::string, std::string, std::string>, double> values;  // (method, dataset, metric)
  int digits = 3;
  // (method, dataset) → "150 of 300 masks": evaluated on the matched images only; its cells
  // carry "†" and the note under the table says on how many.
  std::map<std::pair<std::string, std::string>, std::string> partial;
  // Metrics where lower is better (↓, ranked ascending); the caller fills it from the metric
  // registry (metrics::metric_direction), which this module does not include.
  std::set<std::string> lower_is_better;

  std::optional<double> value(const std::string& method, const std::string& dataset, const std::string& metric) const;
};

// Rank (1 = best) of each method's value in one column; 0 = no value.
std::vector<int> column_ranks(const MethodTable& t, const std::string& dataset, const std::string& metric);

std::string render_methods_markdown(const MethodTable& t);
std::string render_methods_latex(const MethodTable& t);

}  // namespace sodlab::report
