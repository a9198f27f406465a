#include "metrics/context_measure.h"

#include "core/error.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
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

// The runs of GT pixels, row by row (the order of ContextSpreads::map_on_gt). Zeros are skipped
// 8 at a time.
std::vector<GtRun> gt_runs(const cv::Mat& gt) {
  std::vector<GtRun> runs;
  for (int r = 0; r < gt.rows; ++r) {
    const std::uint8_t* g = gt.ptr<std::uint8_t>(r);
    for (int c = 0; c < gt.cols;) {
      if (c + 8 <= gt.cols) {
        std::uint64_t word;
        std::memcpy(&word, g + c, sizeof word);
        if (word == 0) {
          c += 8;
          continue;
        }
      }
      if (!g[c]) {
        ++c;
        continue;
      }
      const int start = c;
      while (c < gt.cols && g[c]) ++c;
      runs.push_back({r, start, c});
    }
  }
  return runs;
}

// The kernel of a GT given as runs (context_kernel).
cv::Mat kernel_of_runs(const std::vector<GtRun>& runs, double alpha) {
  // np.cov of the pixels' (row, col), ddof 1, from exact integer moments of the runs: n·Σxy − ΣxΣy
  // over n(n − 1), each rounded once.
  using Int = __int128;
  Int n = 0, sr = 0, sc = 0, srr = 0, src = 0, scc = 0;
  auto squares_below = [](Int k) { return k * (k + 1) * (2 * k + 1) / 6; };  // Σ c² for c < k + 1
  for (const GtRun& run : runs) {
    const Int len = run.end - run.begin, r = run.row;
    const Int cols = (run.begin + run.end - 1) * len / 2;  // Σ c over the run
    n += len, sr += r * len, sc += cols, srr += r * r * len, src += r * cols;
    scc += squares_below(run.end - 1) - squares_below(run.begin - 1);
  }
  double c00 = 0.25, c01 = 0, c11 = 0.25;
  int x_dis = 1, y_dis = 1;
  if (n > 1) {
    const double pairs = static_cast<double>(n) * static_cast<double>(n - 1);
    c00 = static_cast<double>(n * srr - sr * sr) / pairs;
    c01 = static_cast<double>(n * src - sr * sc) / pairs;
    c11 = static_cast<double>(n * scc - sc * sc) / pairs;
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

cv::Mat context_kernel(const cv::Mat& gt, double alpha) { return kernel_of_runs(gt_runs(gt), alpha); }

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

constexpr std::size_t kSpanBlock = 32;  // outputs summed side by side: enough chains to hide FMA latency

// out[t] = Σ_{i<kr, j<kc} k[i·kc + j] · src[i·stride + t + j] for t < len: the correlation of the
// rows below `src` with the kernel, each output summed as one fused multiply-add chain in
// (i, j) order. The same chain in every clone (FMA in hardware, or libm's exact fma), so the
// spreads are the same bits on every machine. Outputs go kSpanBlock at a time, the last block
// too: each row of src must be readable for len rounded up to kSpanBlock, plus kc − 1.
__attribute__((target_clones("avx512f", "fma", "default"))) void correlate_span(
    const double* __restrict src, std::size_t stride, const double* __restrict k, int kr, int kc, std::size_t len,
    double* __restrict out) {
  for (std::size_t t = 0; t < len; t += kSpanBlock) {
    double acc[kSpanBlock] = {};
    for (int i = 0; i < kr; ++i) {
      const double* row = src + static_cast<std::size_t>(i) * stride + t;
      for (int j = 0; j < kc; ++j) {
        const double kv = k[i * kc + j];
        for (std::size_t u = 0; u < kSpanBlock; ++u) acc[u] = std::fma(kv, row[u + j], acc[u]);
      }
    }
    std::copy_n(acc, std::min(kSpanBlock, len - t), out + t);
  }
}

// correlate_span for two rows at once: out_a for the rows below src, out_b for those below
// src + stride (the next output row), over the same columns. Each source row is read once for
// both (they share kr − 1 of them), so the loads per FMA halve; each output's chain is the same
// as correlate_span's (source rows ascending, then columns), so are its bits. For AVX-512 only
// (16 accumulator registers); elsewhere two correlate_span calls (the same values).
__attribute__((target("avx512f"))) void correlate_two_rows_avx512(const double* __restrict src, std::size_t stride,
                                                                  const double* __restrict k, int kr, int kc,
                                                                  std::size_t len, double* __restrict out_a,
                                                                  double* __restrict out_b) {
  for (std::size_t t = 0; t < len; t += kSpanBlock) {
    double a[kSpanBlock] = {}, b[kSpanBlock] = {};
    auto row_of = [&](int s) { return src + static_cast<std::size_t>(s) * stride + t; };
    for (int j = 0; j < kc; ++j)  // source row 0: a's kernel row 0
      for (std::size_t u = 0; u < kSpanBlock; ++u) a[u] = std::fma(k[j], row_of(0)[u + j], a[u]);
    for (int s = 1; s < kr; ++s) {  // source row s: a's kernel row s, b's kernel row s − 1
      const double* row = row_of(s);
      const double *ka = k + s * kc, *kb = ka - kc;
      for (int j = 0; j < kc; ++j)
        for (std::size_t u = 0; u < kSpanBlock; ++u) {
          const double x = row[u + j];
          a[u] = std::fma(ka[j], x, a[u]);
          b[u] = std::fma(kb[j], x, b[u]);
        }
    }
    for (int j = 0; j < kc; ++j)  // source row kr: b's kernel row kr − 1
      for (std::size_t u = 0; u < kSpanBlock; ++u) b[u] = std::fma(k[(kr - 1) * kc + j], row_of(kr)[u + j], b[u]);
    std::copy_n(a, std::min(kSpanBlock, len - t), out_a + t);
    std::copy_n(b, std::min(kSpanBlock, len - t), out_b + t);
  }
}

void correlate_two_rows(const double* src, std::size_t stride, const double* k, int kr, int kc, std::size_t len,
                        double* out_a, double* out_b) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) {
    correlate_two_rows_avx512(src, stride, k, kr, kc, len, out_a, out_b);
  } else {
    correlate_span(src, stride, k, kr, kc, len, out_a);
    correlate_span(src + stride, stride, k, kr, kc, len, out_b);
  }
}

// The map's spread at every GT pixel (ContextSpreads::map_on_gt, in the order of `runs`) from the
// map padded by the kernel's radii (`padded`: pixel (r, c)'s window starts at padded (r, c)). Rows
// go in pairs (0 and 1, 2 and 3, ...): where runs of the two rows share columns, both rows'
// spreads there come from one correlate_two_rows; the rest of each run from correlate_span.
void spread_on_runs(const cv::Mat& padded, const std::vector<GtRun>& runs, const double* k, int kr, int kc,
                    double* out) {
  const std::size_t stride = padded.step1();
  std::vector<std::size_t> offset(runs.size() + 1, 0);  // where each run's outputs start
  for (std::size_t i = 0; i < runs.size(); ++i) offset[i + 1] = offset[i] + static_cast<std::size_t>(runs[i].end - runs[i].begin);
  auto single = [&](std::size_t i, int lo, int hi) {
    const GtRun& run = runs[i];
    correlate_span(padded.ptr<double>(run.row) + lo, stride, k, kr, kc, static_cast<std::size_t>(hi - lo),
                   out + offset[i] + (lo - run.begin));
  };
  // The parts of run i that no run of [first, last) covers, each done singly.
  auto rest_single = [&](std::size_t i, std::size_t first, std::size_t last) {
    int from = runs[i].begin;
    for (std::size_t j = first; j < last && from < runs[i].end; ++j) {
      if (runs[j].end <= from) continue;
      if (runs[j].begin >= runs[i].end) break;
      if (runs[j].begin > from) single(i, from, runs[j].begin);
      from = std::max(from, runs[j].end);
    }
    if (from < runs[i].end) single(i, from, runs[i].end);
  };
  for (std::size_t a0 = 0; a0 < runs.size();) {
    const int row = runs[a0].row;
    std::size_t a1 = a0;
    while (a1 < runs.size() && runs[a1].row == row) ++a1;
    std::size_t b1 = a1;
    while (b1 < runs.size() && runs[b1].row == row + 1) ++b1;
    // Row `row` is [a0, a1), row + 1 (possibly no run) is [a1, b1): their shared columns in pairs.
    for (std::size_t i = a0, j = a1; i < a1 && j < b1;) {
      const int lo = std::max(runs[i].begin, runs[j].begin), hi = std::min(runs[i].end, runs[j].end);
      if (lo < hi)
        correlate_two_rows(padded.ptr<double>(row) + lo, stride, k, kr, kc, static_cast<std::size_t>(hi - lo),
                           out + offset[i] + (lo - runs[i].begin), out + offset[j] + (lo - runs[j].begin));
      if (runs[i].end < runs[j].end)
        ++i;
      else
        ++j;
    }
    for (std::size_t i = a0; i < a1; ++i) rest_single(i, a1, b1);
    for (std::size_t j = a1; j < b1; ++j) rest_single(j, a0, a1);
    a0 = b1;
  }
}

}  // namespace

ContextSpreads context_spreads(const cv::Mat& pred, const cv::Mat& gt, double alpha) {
  check_inputs(pred, gt, cv::Mat());
  ContextSpreads out;
  out.runs = gt_runs(gt);
  if (out.runs.empty()) return out;  // no GT: both sums are 0
  const cv::Mat kernel = kernel_of_runs(out.runs, alpha);
  const int kr = kernel.rows, kc = kernel.cols, ry = kr / 2, rx = kc / 2;
  const double* k = kernel.ptr<double>();
  const int rows = gt.rows, cols = gt.cols;

  // The map's spread on GT pixels: filter2D's correlation, the map reflected (BORDER_REFLECT_101)
  // beyond the image.
  thread_local cv::Mat reflected, zero_padded;
  // (kSpanBlock more columns on the right: correlate_span reads whole blocks; ignored values.)
  cv::copyMakeBorder(pred, reflected, ry, ry, rx, rx + static_cast<int>(kSpanBlock), cv::BORDER_REFLECT_101);
  std::size_t n_gt = 0;
  for (const GtRun& run : out.runs) n_gt += static_cast<std::size_t>(run.end - run.begin);
  out.map_on_gt.resize(n_gt);
  spread_on_runs(reflected, out.runs, k, kr, kc, out.map_on_gt.data());

  // Forward inference's numerator Σ_i map(i)·(K ⋆ reflected GT)(i). The kernel is symmetric
  // (K(e) = K(-e) bit for bit), so by moving the sum onto the GT it is Σ over every pixel x of
  // the reflected GT (the image grown by the kernel's radii) of (K ⋆ map zero-padded)(x). At GT
  // pixels at least a radius from every border that is the map's spread above; the others (within
  // a radius of a border, and the GT's reflections beyond it) are correlated with the zero-padded
  // map. So the GT's spread is never formed: PySODMetrics forms it in float32 (OpenCV's DFT), so
  // cm differs from its value by that rounding (~1e-9, src/metrics/README.md).
  std::vector<double> terms;
  terms.reserve(n_gt);
  {
    const double* o = out.map_on_gt.data();
    for (const GtRun& run : out.runs) {
      const bool inner_row = run.row >= ry && run.row < rows - ry;
      for (int c = run.begin; c < run.end; ++c, ++o)
        if (inner_row && c >= rx && c < cols - rx) terms.push_back(*o);
    }
  }
  std::vector<GtRun> frame_runs;  // in coordinates of the grown image (row + ry, column + rx)
  std::vector<int> reflect_col(static_cast<std::size_t>(cols + 2 * rx));
  for (int x = 0; x < cols + 2 * rx; ++x) reflect_col[x] = cv::borderInterpolate(x - rx, cols, cv::BORDER_REFLECT_101);
  for (int y = 0; y < rows + 2 * ry; ++y) {
    const int r = y - ry;
    const std::uint8_t* g = gt.ptr<std::uint8_t>(cv::borderInterpolate(r, rows, cv::BORDER_REFLECT_101));
    const bool inner_row = r >= ry && r < rows - ry;
    auto scan = [&](int from, int to) {  // grown-image columns [from, to)
      for (int x = from; x < to;) {
        if (!g[reflect_col[x]]) {
          ++x;
          continue;
        }
        const int start = x;
        while (x < to && g[reflect_col[x]]) ++x;
        frame_runs.push_back({y, start, x});
      }
    };
    if (inner_row && cols - rx > rx) {
      scan(0, 2 * rx);            // image columns [-rx, rx)
      scan(cols, cols + 2 * rx);  // image columns [cols - rx, cols + rx)
    } else {
      scan(0, cols + 2 * rx);
    }
  }
  if (!frame_runs.empty()) {
    cv::copyMakeBorder(pred, zero_padded, 2 * ry, 2 * ry, 2 * rx, 2 * rx + static_cast<int>(kSpanBlock),
                       cv::BORDER_CONSTANT, cv::Scalar(0));
    std::vector<double> q;
    for (const GtRun& run : frame_runs) {
      q.resize(static_cast<std::size_t>(run.end - run.begin));
      // Grown-image pixel (y, x) is padded pixel (y + ry, x + rx); its window starts ry, rx before.
      correlate_span(zero_padded.ptr<double>(run.row) + run.begin, zero_padded.step1(), k, kr, kc, q.size(), q.data());
      terms.insert(terms.end(), q.begin(), q.end());
    }
  }
  out.forward = numpy_sum(terms.data(), terms.size());
  return out;
}

double context_measure(const cv::Mat& pred, const cv::Mat& gt, double beta2, double alpha, const cv::Mat& cd) {
  return context_measure(context_spreads(pred, gt, alpha), pred, gt, beta2, cd);
}

double context_measure(const ContextSpreads& spreads, const cv::Mat& pred, const cv::Mat& gt, double beta2,
                       const cv::Mat& cd) {
  check_inputs(pred, gt, cd);
  // The spreads must be this GT's: runs of its set pixels, all of them, one spread per pixel.
  const InputError other("context_measure: spreads of another image (context_spreads)");
  std::size_t n_gt = 0;
  for (const GtRun& run : spreads.runs) {
    if (run.row < 0 || run.row >= gt.rows || run.begin < 0 || run.end > gt.cols || run.begin >= run.end) throw other;
    const std::uint8_t* g = gt.ptr<std::uint8_t>(run.row);
    if (std::find(g + run.begin, g + run.end, 0) != g + run.end) throw other;
    n_gt += static_cast<std::size_t>(run.end - run.begin);
  }
  if (n_gt != spreads.map_on_gt.size() || n_gt != static_cast<std::size_t>(cv::countNonZero(gt))) throw other;
  const std::size_t n = gt.total();
  const double* p = pred.ptr<double>();
  const double* c = cd.empty() ? nullptr : cd.ptr<double>();
  const double exp_factor = M_E / (M_E - 1);
  // Reverse deduction: off the GT each term is a zero (PySODMetrics sums them too), on it
  // e/(e−1)·(1 − exp(−spread))·weight, weight 1 (+ the camouflage degree).
  thread_local std::vector<double> reverse;
  reverse.resize(n_gt);
  std::size_t i = 0;
  for (const GtRun& run : spreads.runs) {
    const double* cd_row = c ? c + static_cast<std::size_t>(run.row) * gt.cols : nullptr;
    for (int col = run.begin; col < run.end; ++col, ++i) {
      const double weight = cd_row ? 1.0 + cd_row[col] : 1.0;
      reverse[i] = exp_factor * (1 - std::exp(-spreads.map_on_gt[i])) * weight;
    }
  }
  const double m_forward = spreads.forward / (numpy_sum(p, n) + kEps);
  const double cd_sum = c ? numpy_sum(c, n) : 0.0;
  const double w_reverse = numpy_sum(reverse.data(), n_gt) / (static_cast<double>(n_gt) + cd_sum + kEps);
  return (1 + beta2) * m_forward * w_reverse / (beta2 * m_forward + w_reverse + kEps);
}

}  // namespace sodlab::metrics
