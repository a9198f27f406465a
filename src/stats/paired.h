// Paired comparison of a method against a reference over matched per-image units.
//
// A unit is one test image evaluated by both (in a table: the same fold, seed and image stem in a
// run of the row and the run of the reference with that fold and seed). Units of the same image
// (several seeds) are not independent, so the resampling and test unit is the image (`cluster`):
// its difference is the mean of its units' differences (row - reference). Then
// - difference: the mean over images of those differences;
// - interval: the percentile bootstrap interval of that mean, resampling images (bootstrap.h);
// - wilcoxon: the signed-rank test of the per-image differences (wilcoxon.h);
// - p_holm: left NaN here; the caller adjusts the p-values of a family of comparisons (holm.h).
// With one unit per image (one run per row) this is the plain paired test over images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stats/bootstrap.h"
#include "stats/wilcoxon.h"

namespace sodlab::stats {

struct PairedUnit {
  std::string cluster;  // the image (e.g. "<dataset>/<stem>"); units of one cluster are averaged
  double value = 0;     // the method's value
  double reference = 0; // the reference's value on the same unit
};

struct PairedComparison {
  int units = 0, images = 0;
  double mean = 0, reference_mean = 0;  // over images (each image's mean over its units)
  double difference = 0;                // mean - reference_mean
  Interval interval;                    // of `difference`
  WilcoxonResult wilcoxon;
  double p_holm = 0;                    // set by the caller (NaN until then)
  int resamples = 0;
  std::uint64_t seed = 0;
  double level = 0.95;
  // The interval lies entirely above or below 0.
  bool significant() const { return interval.excludes(0.0); }
};

// InputError when `units` is empty or holds a NaN value.
PairedComparison compare_paired(const std::vector<PairedUnit>& units, const BootstrapOptions& options);

}  // namespace sodlab::stats
