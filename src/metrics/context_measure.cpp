#include "metrics/context_measure.h"

#include "core/error.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace sodlab::metrics {
namespace {

constexpr double kEps = 2.220446049250313e-16;  // np.spacing(1)

double pairwise(const double* a, std::size_t n) {
  if (n < 8) {
    double r = 0;
    for (std::size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

// The kernel of PySODMetrics' _compute_y_params and _gaussian_kernel: rows = row offsets.
cv::Mat gaussian_kernel(const cv::Mat& gt, double alpha) {
  std::vector<cv::Point> points;
  cv::findNonZero(gt, points);
  double c00 = 0.25, c01 = 0, c11 = 0.25;
  int x_dis = 1, y_dis = 1;
  if (points.size() > 1) {
    // np.cov of (row, col): exact integer sums for the means, then the centred products (ddof 1).
    const double n = static_cast<double>(points.size());
    double sr = 0, sc = 0;
    for (const auto& p : points) sr += p.y, sc += p.x;
    const double mr = sr / n, mc = sc / n;
    double srr = 0, src = 0, scc = 0;
    for (const auto& p : points) {
      const double dr = p.y - mr, dc = p.x - mc;
      srr += dr * dr, src += dr * dc, scc += dc * dc;
    }
    const double inv = 1 / (n - 1);
    c00 = srr * inv, c01 = src * inv, c11 = scc * inv;
    if (c00 == 0) c00 = kEps;
    if (c11 == 0) c11 = kEps;
    const double total = std::sqrt(c00 + c11);
    const double total2 = total * total;
    const double sx = alpha * std::sqrt(c00) / total, sy = alpha * std::sqrt(c11) / total;
    x_dis = static_cast<int>(std::nearbyint(3 * sx));  // Python round: half to even
    y_dis = static_cast<int>(std::nearbyint(3 * sy));
    c00 = alpha * alpha * c00 / total2, c01 = alpha * alpha * c01 / total2, c11 = alpha * alpha * c11 / total2;
  }
  const double det = c00 * c11 - c01 * c01;
  const double i00 = c11 / det, i01 = -c01 / det, i11 = c00 / det;
  const double norm = 2 * M_PI * std::sqrt(det);
  cv::Mat k(2 * x_dis + 1, 2 * y_dis + 1, CV_64F);
  for (int i = 0; i < k.rows; ++i)
    for (int j = 0; j < k.cols; ++j) {
      const double x = i - x_dis, y = j - y_dis;
      const double e = x * (i00 * x + i01 * y) + y * (i01 * x + i11 * y);
      k.at<double>(i, j) = std::exp(-0.5 * e) / norm;
    }
  const double sum = numpy_sum(k.ptr<double>(), k.total());
  for (auto it = k.begin<double>(); it != k.end<double>(); ++it) *it /= sum;  // a division, as numpy
  return k;
}

}  // namespace

double numpy_sum(const double* x, std::size_t n) {
  double total = 0;
  for (std::size_t start = 0; start < n; start += 8192) total += pairwise(x + start, std::min<std::size_t>(8192, n - start));
  return total;
}

namespace {

void check_inputs(const cv::Mat& pred, const cv::Mat& gt, const cv::Mat& cd) {
  if (pred.type() != CV_64F || gt.type() != CV_8UC1 || pred.size() != gt.size() || !pred.isContinuous() ||
      !gt.isContinuous() || (!cd.empty() && (cd.type() != CV_64F || cd.size() != gt.size())))
    throw InputError("context_measure: pred CV_64F, gt CV_8UC1 (and cd CV_64F) of one size");
}

}  // namespace

ContextSpreads context_spreads(const cv::Mat& pred, const cv::Mat& gt, double alpha) {
  check_inputs(pred, gt, cv::Mat());
  const cv::Mat kernel = gaussian_kernel(gt, alpha);
  ContextSpreads out;
  cv::Mat gt32;
  gt.convertTo(gt32, CV_32F);
  cv::filter2D(gt32, out.spread_gt, CV_32F, kernel);
  cv::filter2D(pred, out.spread_pred, -1, kernel);
  return out;
}

double context_measure(const cv::Mat& pred, const cv::Mat& gt, double beta2, double alpha, const cv::Mat& cd) {
  check_inputs(pred, gt, cd);
  return context_measure(context_spreads(pred, gt, alpha), pred, gt, beta2, cd);
}

double context_measure(const ContextSpreads& spreads, const cv::Mat& pred, const cv::Mat& gt, double beta2,
                       const cv::Mat& cd) {
  check_inputs(pred, gt, cd);
  const cv::Mat& spread_gt = spreads.spread_gt;
  const cv::Mat& spread_pred = spreads.spread_pred;
  if (spread_gt.type() != CV_32F || spread_pred.type() != CV_64F || spread_gt.size() != gt.size() ||
      spread_pred.size() != gt.size() || !spread_gt.isContinuous() || !spread_pred.isContinuous())
    throw InputError("context_measure: spreads of another image (context_spreads)");
  const std::size_t n = gt.total();
  const double* p = pred.ptr<double>();
  const std::uint8_t* g8 = gt.ptr<std::uint8_t>();
  const float* sg = spread_gt.ptr<float>();
  const double* sp = spread_pred.ptr<double>();
  const double* c = cd.empty() ? nullptr : cd.ptr<double>();
  const double exp_factor = M_E / (M_E - 1);
  thread_local std::vector<double> forward, reverse, gt64;  // reused: no page faults per image
  forward.resize(n), reverse.resize(n), gt64.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double g = g8[i];
    gt64[i] = g;
    forward[i] = (p[i] > 0 ? static_cast<double>(sg[i]) : 0.0) * p[i];
    const double weight = c ? g + c[i] : g;
    // Off the GT (g = 0) the term is exp_factor·0·(1 − exp(−sp))·weight: +0 when sp >= 0
    // (exp(−sp) <= 1, weight >= 0), so exp is evaluated only on the GT and where sp < 0 (the
    // spread's round-off), which keeps even the sign of each zero.
    reverse[i] = g == 0 && sp[i] >= 0 ? 0.0 : exp_factor * g * (1 - std::exp(-1 * sp[i])) * weight;
  }
  const double* gd = gt64.data();
  const double m_forward = numpy_sum(forward.data(), n) / (numpy_sum(p, n) + kEps);
  const double cd_sum = c ? numpy_sum(c, n) : 0.0;
  const double w_reverse = numpy_sum(reverse.data(), n) / (numpy_sum(gd, n) + cd_sum + kEps);
  return (1 + beta2) * m_forward * w_reverse / (beta2 * m_forward + w_reverse + kEps);
}

}  // namespace sodlab::metrics
