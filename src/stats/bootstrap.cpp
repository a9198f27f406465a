#include "stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "stats/rng.h"

namespace sodlab::stats {
namespace {

void check(const BootstrapOptions& o) {
  if (o.resamples < 1) throw InputError("bootstrap: resamples must be at least 1, got " + std::to_string(o.resamples));
  if (!(o.level > 0 && o.level < 1)) throw InputError("bootstrap: level must lie in (0, 1), got " + std::to_string(o.level));
}

std::vector<double> mean_row(const std::vector<std::vector<double>>& rows, const std::vector<std::size_t>& idx) {
  std::vector<double> m(rows[idx.front()].size(), 0.0);
  for (std::size_t i : idx)
    for (std::size_t k = 0; k < m.size(); ++k) m[k] += rows[i][k];
  for (double& x : m) x /= static_cast<double>(idx.size());
  return m;
}

}  // namespace

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) throw InputError("quantile of an empty sample");
  const double h = q * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

Interval bootstrap_interval(std::size_t n, const std::function<double(const std::vector<std::size_t>&)>& statistic,
                            const BootstrapOptions& options) {
  check(options);
  if (n == 0) throw InputError("bootstrap over zero units");
  Rng rng(options.seed);
  std::vector<double> stats(static_cast<std::size_t>(options.resamples));
  std::vector<std::size_t> idx(n);
  for (double& s : stats) {
    for (std::size_t& i : idx) i = rng.below(n);
    s = statistic(idx);
    if (std::isnan(s)) throw InputError("bootstrap: the statistic is undefined (NaN) on a resample");
  }
  std::sort(stats.begin(), stats.end());
  const double tail = (1 - options.level) / 2;
  return {quantile_sorted(stats, tail), quantile_sorted(stats, 1 - tail)};
}

Interval bootstrap_mean_interval(const std::vector<double>& values, const BootstrapOptions& options) {
  return bootstrap_interval(
      values.size(),
      [&](const std::vector<std::size_t>& idx) {
        double s = 0;
        for (std::size_t i : idx) s += values[i];
        return s / static_cast<double>(idx.size());
      },
      options);
}

double max_of(const std::vector<double>& row) {
  if (row.empty()) return std::numeric_limits<double>::quiet_NaN();
  return *std::max_element(row.begin(), row.end());
}

DatasetDifference paired_bootstrap_dataset(const std::vector<std::vector<double>>& a,
                                           const std::vector<std::vector<double>>& b,
                                           const std::function<double(const std::vector<double>&)>& metric,
                                           const BootstrapOptions& options) {
  if (a.empty() || a.size() != b.size())
    throw InputError("paired bootstrap: " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                     " images (needs the same, non-zero number)");
  const std::size_t width = a.front().size();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != width || b[i].size() != width)
      throw InputError("paired bootstrap: image " + std::to_string(i) + "'s rows differ in length from image 0's");
  std::vector<std::size_t> all(a.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  DatasetDifference d;
  d.a = metric(mean_row(a, all));
  d.b = metric(mean_row(b, all));
  d.difference = d.a - d.b;
  d.interval = bootstrap_interval(
      a.size(), [&](const std::vector<std::size_t>& idx) { return metric(mean_row(a, idx)) - metric(mean_row(b, idx)); },
      options);
  d.images = static_cast<int>(a.size());
  d.resamples = options.resamples;
  d.seed = options.seed;
  return d;
}

}  // namespace sodlab::stats
