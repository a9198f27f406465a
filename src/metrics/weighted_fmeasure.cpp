#include "metrics/weighted_fmeasure.h"

#include "core/distance_transform.h"
#include "core/error.h"

#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace sodlab::metrics {
namespace {

constexpr double kEps = 2.220446049250313e-16;

// 1-D factor of MATLAB fspecial('gaussian', 7, 5): exp(-x²/(2σ²)), normalised so that the outer
// product sums to 1 (no entry falls under eps·max, so nothing is zeroed).
std::array<double, 7> gaussian7() {
  std::array<double, 7> g{};
  double s = 0;
  for (int k = -3; k <= 3; ++k) s += g[k + 3] = std::exp(-double(k * k) / 50.0);
  for (auto& v : g) v /= s;
  return g;
}

// exp(ln(0.5)/5 · sqrt(d2)) memoised per integer squared distance (per thread).
double decay(std::int64_t d2, double dist) {
  thread_local std::vector<double> cache;
  if (d2 >= (std::int64_t(1) << 22)) return std::exp(std::log(0.5) / 5 * dist);
  if (static_cast<std::size_t>(d2) >= cache.size()) cache.resize(static_cast<std::size_t>(d2) * 2 + 64, -1.0);
  double& v = cache[static_cast<std::size_t>(d2)];
  if (v < 0) v = std::exp(std::log(0.5) / 5 * dist);
  return v;
}

}  // namespace

double weighted_fmeasure_from_error(const double* err, const std::uint8_t* gt01, int rows, int cols,
                                    double beta2) {
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  std::size_t n_fg = 0;
  for (std::size_t i = 0; i < n; ++i) n_fg += gt01[i] != 0;
  if (n_fg == 0) return 0.0;

  // Scratch buffers reused per thread (no page-faulting allocations per image).
  thread_local DistanceField field;
  thread_local std::vector<double> et, tmp, ea;
  distance_to_mask(gt01, rows, cols, field);
  // Et: background errors taken from the nearest foreground pixel; then the separable 7x7 filter.
  et.resize(n);
  tmp.resize(n);
  ea.resize(n);
  for (std::size_t i = 0; i < n; ++i) et[i] = gt01[i] ? err[i] : err[field.nearest[i]];
  static const std::array<double, 7> g = gaussian7();
  for (int r = 0; r < rows; ++r) {
    const double* src = et.data() + static_cast<std::size_t>(r) * cols;
    double* dst = tmp.data() + static_cast<std::size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) {
      double s = 0;
      const int k0 = c - 3 < 0 ? 3 - c : 0, k1 = c + 3 >= cols ? 3 + cols - 1 - c : 6;
      for (int k = k0; k <= k1; ++k) s += g[k] * src[c + k - 3];
      dst[c] = s;
    }
  }
  for (int r = 0; r < rows; ++r) {
    double* dst = ea.data() + static_cast<std::size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) dst[c] = 0;
    for (int k = 0; k < 7; ++k) {
      const int rr = r + k - 3;
      if (rr < 0 || rr >= rows) continue;
      const double* src = tmp.data() + static_cast<std::size_t>(rr) * cols;
      for (int c = 0; c < cols; ++c) dst[c] += g[k] * src[c];
    }
  }

  double sum_fg = 0, sum_bg = 0;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * cols + c;
      if (gt01[i]) {
        sum_fg += (ea[i] < err[i]) ? ea[i] : err[i];
      } else {
        const double dist = field.distance[i];  // sqrt of an integer squared distance
        sum_bg += err[i] * (2.0 - decay(std::llround(dist * dist), dist));
      }
    }
  }
  const double g_count = static_cast<double>(n_fg);
  const double tpw = g_count - sum_fg;
  const double fpw = sum_bg;
  const double recall = 1.0 - sum_fg / g_count;
  const double precision = tpw / (tpw + fpw + kEps);
  return (1.0 + beta2) * recall * precision / (recall + beta2 * precision + kEps);
}

double weighted_fmeasure(const cv::Mat& pred, const cv::Mat& gt, double beta2) {
  if (pred.type() != CV_64FC1 || gt.type() != CV_8UC1)
    throw InputError("weighted_fmeasure: pred must be CV_64FC1 and gt CV_8UC1");
  if (pred.size() != gt.size())
    throw InputError("weighted_fmeasure: pred is " + std::to_string(pred.cols) + "x" +
                     std::to_string(pred.rows) + " but gt is " + std::to_string(gt.cols) + "x" +
                     std::to_string(gt.rows));
  const int rows = gt.rows, cols = gt.cols;
  std::vector<std::uint8_t> g(static_cast<std::size_t>(rows) * cols);
  std::vector<double> err(g.size());
  for (int r = 0; r < rows; ++r) {
    const double* p = pred.ptr<double>(r);
    const std::uint8_t* t = gt.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * cols + c;
      g[i] = t[c] != 0;
      err[i] = std::fabs(p[c] - (g[i] ? 1.0 : 0.0));
    }
  }
  return weighted_fmeasure_from_error(err.data(), g.data(), rows, cols, beta2);
}

}  // namespace sodlab::metrics
