// Percentile bootstrap intervals over resampled units (images), seeded.
//
// A resample draws n indices uniformly with replacement from [0, n) (stats::Rng seeded with
// `seed`, so the same inputs, seed and resamples give the same interval everywhere); the interval
// is the (1-level)/2 and (1+level)/2 quantiles of the statistic over the resamples, interpolated
// linearly between order statistics (numpy's default 'linear', Hyndman & Fan type 7), i.e.
// scipy.stats.bootstrap(method="percentile").
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace sodlab::stats {

struct BootstrapOptions {
  int resamples = 2000;    // >= 1 (InputError otherwise)
  std::uint64_t seed = 0;  // the stream of every resample
  double level = 0.95;     // in (0, 1)
};

struct Interval {
  double lo = 0, hi = 0;
  bool excludes(double v) const { return v < lo || v > hi; }
};

// q in [0, 1] of ascending `sorted` (non-empty), linear interpolation (type 7).
double quantile_sorted(const std::vector<double>& sorted, double q);

// The percentile interval of `statistic(indices)` over `options.resamples` resamples of n units
// (n >= 1). The statistic sees each resample's indices (with repeats); a NaN it returns is an
// InputError (a statistic must be defined on every resample).
Interval bootstrap_interval(std::size_t n, const std::function<double(const std::vector<std::size_t>&)>& statistic,
                            const BootstrapOptions& options);

// The same for the mean of `values` (non-empty).
Interval bootstrap_mean_interval(const std::vector<double>& values, const BootstrapOptions& options);

// A dataset-level metric computed from per-image rows (e.g. each image's 256-threshold F curve;
// maxF = the maximum of the mean curve), compared between two methods on the same images:
// `a[i]` and `b[i]` are image i's rows (equal lengths everywhere). `metric(mean row)` gives the
// dataset value. Returns metric(A) - metric(B) on all images and the percentile interval of that
// difference when the same resampled images are used for both (a paired bootstrap over images).
struct DatasetDifference {
  double a = 0, b = 0, difference = 0;  // on every image
  Interval interval;
  int images = 0, resamples = 0;
  std::uint64_t seed = 0;
};
DatasetDifference paired_bootstrap_dataset(const std::vector<std::vector<double>>& a,
                                           const std::vector<std::vector<double>>& b,
                                           const std::function<double(const std::vector<double>&)>& metric,
                                           const BootstrapOptions& options);

// The maximum of a row (maxF from the mean F curve); NaN for an empty row.
double max_of(const std::vector<double>& row);

}  // namespace sodlab::stats
