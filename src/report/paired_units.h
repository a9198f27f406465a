// The matched per-image units of one metric between two sets of runs: what a paired comparison
// (stats::compare_paired) is computed over, for paper tables (paired_cells.h) and `sodlab
// compare` (run_comparison.h).
//
// For each pair of runs (a, b), the images where both have a finite per-image value of `key`
// (dataset, distortion, metric, convention) are units (image stem, a's value × scale, b's × scale).
// A pair counts only if, for both runs, the finite per-image values average (within 1e-7,
// relative) to the run's stored dataset value: otherwise the metric is not a mean of per-image
// values (maxF of the mean F curve, the per-image "maxF" being each image's own maximum) and the
// pair is left out with `not_mean_of_images` set.
#pragma once

#include <map>
#include <tuple>
#include <string>
#include <vector>

#include "stats/paired.h"
#include "store/results_store.h"

namespace sodlab::report {

struct ResultKey {
  std::string dataset, distortion, metric, convention;
  bool operator<(const ResultKey& o) const {
    return std::tie(dataset, distortion, metric, convention) < std::tie(o.dataset, o.distortion, o.metric, o.convention);
  }
};

struct RunPair {
  store::RunRecord a, b;
};

struct MatchedUnits {
  std::vector<stats::PairedUnit> units;
  int pairs = 0;                    // run pairs the units came from
  bool not_mean_of_images = false;  // some pair had per-image values that do not average to the result
};

// Reads per-image values through a cache (one query per run and key).
class PerImageReader {
 public:
  explicit PerImageReader(store::ResultsStore& store) : store_(store) {}
  struct Column {
    std::map<std::string, double> values;  // stem → value (NaN: undefined for that image)
    bool mean_of_images = false;           // the finite values average to the stored result
  };
  const Column& column(const store::RunRecord& run, const ResultKey& key);
  MatchedUnits match(const std::vector<RunPair>& pairs, const ResultKey& key, double scale = 1.0);

 private:
  store::ResultsStore& store_;
  std::map<std::pair<std::string, ResultKey>, Column> cache_;
};

}  // namespace sodlab::report
