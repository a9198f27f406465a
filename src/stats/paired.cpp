#include "stats/paired.h"

#include <cmath>
#include <map>

#include "core/error.h"

namespace sodlab::stats {

PairedComparison compare_paired(const std::vector<PairedUnit>& units, const BootstrapOptions& options) {
  if (units.empty()) throw InputError("paired comparison: no matched units");
  struct Sum {
    double value = 0, reference = 0;
    int n = 0;
  };
  std::map<std::string, Sum> by_image;  // ordered: the resamples do not depend on input order
  for (const auto& u : units) {
    if (std::isnan(u.value) || std::isnan(u.reference))
      throw InputError("paired comparison: image '" + u.cluster + "' has a NaN value");
    Sum& s = by_image[u.cluster];
    s.value += u.value;
    s.reference += u.reference;
    ++s.n;
  }
  std::vector<double> diff;
  PairedComparison c;
  for (const auto& [image, s] : by_image) {
    const double v = s.value / s.n, r = s.reference / s.n;
    c.mean += v;
    c.reference_mean += r;
    diff.push_back(v - r);
  }
  const double n = static_cast<double>(diff.size());
  c.mean /= n;
  c.reference_mean /= n;
  c.difference = 0;
  for (double d : diff) c.difference += d;
  c.difference /= n;
  c.units = static_cast<int>(units.size());
  c.images = static_cast<int>(diff.size());
  c.interval = bootstrap_mean_interval(diff, options);
  c.wilcoxon = wilcoxon_signed_rank(diff);
  c.p_holm = std::nan("");
  c.resamples = options.resamples;
  c.seed = options.seed;
  c.level = options.level;
  return c;
}

}  // namespace sodlab::stats
