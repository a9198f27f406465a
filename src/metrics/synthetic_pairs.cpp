#include "metrics/synthetic_pairs.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace sodlab::metrics {
namespace {

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double uniform(std::uint64_t& s) { return (splitmix(s) >> 11) * (1.0 / 9007199254740992.0); }

}  // namespace

SyntheticPair synthetic_pair(int index, int rows, int cols) {
  std::uint64_t s = 0x5EED0000ull + static_cast<std::uint64_t>(index) * 7919u;
  SyntheticPair out;
  char name[32];
  std::snprintf(name, sizeof name, "%04d", index);
  out.stem = name;
  out.gt = cv::Mat::zeros(rows, cols, CV_8UC1);
  out.pred = cv::Mat::zeros(rows, cols, CV_8UC1);
  struct Ellipse { double cy, cx, ry, rx; };
  const int n_obj = index == 0 ? 0 : 1 + static_cast<int>(uniform(s) * 3);
  Ellipse e[3];
  for (int k = 0; k < n_obj; ++k)
    e[k] = {rows * (0.2 + 0.6 * uniform(s)), cols * (0.2 + 0.6 * uniform(s)),
            rows * (0.08 + 0.2 * uniform(s)), cols * (0.08 + 0.2 * uniform(s))};
  // Prediction quality varies per pair: shift, edge softness, noise, contrast.
  const double dy = (uniform(s) - 0.5) * 0.1 * rows, dx = (uniform(s) - 0.5) * 0.1 * cols;
  const double soft = 0.05 + 0.4 * uniform(s), noise = 60 * uniform(s);
  const double lo = 40 * uniform(s), hi = 255 - 60 * uniform(s);
  for (int r = 0; r < rows; ++r) {
    std::uint8_t* g = out.gt.ptr<std::uint8_t>(r);
    std::uint8_t* p = out.pred.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) {
      double inside = 0, soft_in = 0;
      for (int k = 0; k < n_obj; ++k) {
        const double a = (r - e[k].cy) / e[k].ry, b = (c - e[k].cx) / e[k].rx;
        if (a * a + b * b <= 1) inside = 1;
        const double a2 = (r + dy - e[k].cy) / e[k].ry, b2 = (c + dx - e[k].cx) / e[k].rx;
        const double d = std::sqrt(a2 * a2 + b2 * b2);
        soft_in = std::max(soft_in, 1 / (1 + std::exp((d - 1) / soft * 4)));
      }
      g[c] = inside ? 255 : 0;
      const double v = lo + (hi - lo) * soft_in + noise * (uniform(s) - 0.5);
      p[c] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
  }
  return out;
}

}  // namespace sodlab::metrics
