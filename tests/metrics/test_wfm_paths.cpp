// The weighted F-measure's fast paths (which skip exact-zero terms, look distances up sparsely and
// filter only near the foreground) against the naive definition (full distance field, 49-tap
// filter, sums over every pixel), and the 8-bit lookup-table path against the double-map path,
// bit for bit, on maps that exercise every branch (mostly-zero backgrounds, saturated foregrounds,
// noise everywhere, constant maps, empty and full masks, thin and scattered objects).
#include <catch2/catch.hpp>

#include "core/distance_transform.h"
#include "metrics/weighted_fmeasure.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace sodlab::metrics;

namespace {

struct Case {
  int rows, cols;
  std::vector<std::uint8_t> pred, gt01;
};

Case random_case(std::mt19937& rng, int kind) {
  Case k;
  k.rows = 5 + int(rng() % 60);
  k.cols = 5 + int(rng() % 60);
  const std::size_t n = std::size_t(k.rows) * k.cols;
  k.pred.resize(n);
  k.gt01.resize(n);
  // Mask: one or two rectangles, scattered pixels, empty or full.
  std::uniform_int_distribution<int> rr(0, k.rows - 1), cc(0, k.cols - 1);
  if (kind == 0) {
    std::fill(k.gt01.begin(), k.gt01.end(), 0);
  } else if (kind == 1) {
    std::fill(k.gt01.begin(), k.gt01.end(), 1);
  } else if (kind == 2) {
    std::bernoulli_distribution bit(0.05);
    for (auto& g : k.gt01) g = bit(rng);
  } else {
    for (int box = 0; box < 1 + kind % 2; ++box) {
      int r0 = rr(rng), r1 = rr(rng), c0 = cc(rng), c1 = cc(rng);
      if (r0 > r1) std::swap(r0, r1);
      if (c0 > c1) std::swap(c0, c1);
      for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) k.gt01[std::size_t(r) * k.cols + c] = 1;
    }
  }
  // Map: exact zeros on most of the background and 255 on much of the foreground, plus noise.
  const double noise = (kind % 3 == 0) ? 1.0 : std::uniform_real_distribution<>(0.0, 0.3)(rng);
  std::bernoulli_distribution noisy(noise);
  std::uniform_int_distribution<int> value(0, 255);
  for (std::size_t i = 0; i < n; ++i) k.pred[i] = noisy(rng) ? value(rng) : (k.gt01[i] ? 255 : 0);
  if (kind == 5) std::fill(k.pred.begin(), k.pred.end(), 77);  // constant map
  return k;
}

// Margolin's definition computed naively, as PySODMetrics does: a full distance field, Et on every
// pixel, the 7x7 Gaussian as one 49-tap correlation with zero padding, sums over all pixels.
double reference_wfm(const std::vector<double>& err, const std::vector<std::uint8_t>& gt01, int rows, int cols) {
  const std::size_t n = err.size();
  std::size_t n_fg = 0;
  for (auto g : gt01) n_fg += g != 0;
  if (n_fg == 0) return 0.0;
  const auto field = sodlab::distance_to_mask(gt01.data(), rows, cols);
  std::vector<double> et(n), ea(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) et[i] = gt01[i] ? err[i] : err[field.nearest[i]];
  double k1[7], s = 0;
  for (int t = -3; t <= 3; ++t) s += k1[t + 3] = std::exp(-double(t * t) / 50.0);
  for (auto& v : k1) v /= s;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double acc = 0;
      for (int dr = -3; dr <= 3; ++dr)
        for (int dc = -3; dc <= 3; ++dc) {
          const int rr = r + dr, cc = c + dc;
          if (rr >= 0 && rr < rows && cc >= 0 && cc < cols) acc += k1[dr + 3] * k1[dc + 3] * et[std::size_t(rr) * cols + cc];
        }
      ea[std::size_t(r) * cols + c] = acc;
    }
  double sum_fg = 0, sum_bg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (gt01[i])
      sum_fg += std::min(ea[i], err[i]);
    else
      sum_bg += err[i] * (2.0 - std::exp(std::log(0.5) / 5 * field.distance[i]));
  }
  const double eps = 2.220446049250313e-16, g = double(n_fg);
  const double tpw = g - sum_fg, recall = 1.0 - sum_fg / g, precision = tpw / (tpw + sum_bg + eps);
  return 2.0 * recall * precision / (recall + precision + eps);
}

}  // namespace

TEST_CASE("weighted_fmeasure: both fast paths match the naive definition") {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 600; ++trial) {
    const Case k = random_case(rng, trial % 8);
    // The evaluator's error tables: min-max stretched values (pysodmetrics), or a table with
    // several zero-error values to take the generic branches.
    std::array<double, 256> p{}, e_fg{}, e_bg{};
    int mn = 255, mx = 0;
    for (auto v : k.pred) mn = std::min<int>(mn, v), mx = std::max<int>(mx, v);
    for (int v = 0; v < 256; ++v) {
      p[v] = mx != mn ? (v / 255.0 - mn / 255.0) / (mx / 255.0 - mn / 255.0) : v / 255.0;
      if (trial % 7 == 6) p[v] = std::min(1.0, std::max(0.0, (v - 100) / 50.0));  // clipped: many zeros
      e_fg[v] = std::fabs(p[v] - 1.0);
      e_bg[v] = std::fabs(p[v]);
    }
    std::vector<double> err(k.pred.size());
    for (std::size_t i = 0; i < err.size(); ++i) err[i] = k.gt01[i] ? e_fg[k.pred[i]] : e_bg[k.pred[i]];
    const double direct = weighted_fmeasure_from_error(err.data(), k.gt01.data(), k.rows, k.cols, 1.0);
    const double lut = weighted_fmeasure_from_lut(k.pred.data(), k.gt01.data(), k.rows, k.cols, e_fg.data(),
                                                  e_bg.data(), 1.0);
    const double reference = reference_wfm(err, k.gt01, k.rows, k.cols);
    INFO("trial " << trial << " (" << k.rows << "x" << k.cols << ")");
    REQUIRE(direct == Approx(reference).epsilon(1e-12).margin(1e-15));
    REQUIRE(lut == direct);
  }
}
