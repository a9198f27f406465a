#include "stats/holm.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace sodlab::stats {

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<double> out(p.size(), std::nan(""));
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) idx.push_back(i);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  const double m = static_cast<double>(idx.size());
  double running = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(k)) * p[idx[k]]));
    out[idx[k]] = running;
  }
  return out;
}

}  // namespace sodlab::stats
