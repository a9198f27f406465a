// `sodlab compare A B`: two runs, or two sets of runs (a variant's folds and seeds), side by side.
//
// Pairs: two single runs are one pair; otherwise A's and B's runs are matched by (fold, seed)
// (InputError when none match). For every result key (dataset, distortion, metric, convention)
// both sides have (n_images left out): each side's mean over its runs in pairs, and where the metric is a
// mean of per-image values (paired_units.h) the paired statistics of A − B over images
// (stats::compare_paired; p-values Holm-adjusted over the keys) and per-image wins / losses /
// ties of A (an image's value averaged over its pairs; better = the registry's direction, passed
// in as `direction`; equal values tie). The config difference and the provenance difference are
// those of the first pair. `top` lists the `top_n` images where A and B differ most on `top_key`
// (the first key with per-image values unless named), by |A − B|, then by stem.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/config_diff.h"
#include "report/gnuplot.h"
#include "report/paired_units.h"
#include "stats/paired.h"

namespace sodlab::report {

struct ComparisonSide {
  std::string label;                    // as given on the command line
  std::vector<store::RunRecord> runs;   // completed runs
  std::vector<std::string> tags;        // union of the runs' tags
  std::vector<std::string> notes;       // the runs' notes ("<run>: text")
};

struct MetricComparison {
  ResultKey key;
  int direction = 1;                    // +1 higher is better, -1 lower, 0 neither
  double a = 0, b = 0;                  // means over each side's runs in pairs of the stored value
  int a_runs = 0, b_runs = 0;
  std::optional<stats::PairedComparison> paired;  // A − B over images
  int pairs = 0;                        // run pairs with per-image values
  int wins = 0, losses = 0, ties = 0;   // images where A is better / worse / equal
  std::string why;                      // why there are no paired statistics ("" = there are)
};

struct Disagreement {
  std::string image;
  double a = 0, b = 0;
};

struct CompareOptions {
  int resamples = 2000;
  std::uint64_t seed = 0;
  int top_n = 10;
  std::string top_metric;               // "" = the first key with per-image values
  std::function<int(const std::string& metric)> direction;  // required
};

struct Comparison {
  ComparisonSide a, b;
  std::vector<RunPair> pairs;
  std::vector<KeyDifference> config, provenance;
  std::vector<MetricComparison> metrics;
  std::optional<ResultKey> top_key;
  std::vector<Disagreement> top;
  int resamples = 0;
  std::uint64_t seed = 0;
};

Comparison compare_runs(store::ResultsStore& store, ComparisonSide a, ComparisonSide b, const CompareOptions& options);

std::string render_comparison_markdown(const Comparison& c);
// Long CSV: section,key,a,b,... one header per section block (config, provenance, metric, image).
std::string render_comparison_csv(const Comparison& c);
std::string render_comparison_json(const Comparison& c);

// Per-image scatter of one metric (x = B, y = A, the diagonal drawn), gnuplot; `metric` = a key's
// metric name (its first dataset/distortion/convention with per-image values); InputError when
// the comparison has no per-image values of it.
Rendered render_comparison_scatter(store::ResultsStore& store, const Comparison& c, const std::string& metric,
                                   const std::string& dir, const std::string& name, const std::string& format);

}  // namespace sodlab::report
