#include "metrics/weighted_fmeasure.h"

#include "core/distance_transform.h"
#include "core/error.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
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

// exp(ln(0.5)/5 · sqrt(d2)) for every integer squared distance d2 < `size`, filled on first use
// and kept per thread (a table of 2²² entries at most; larger d2 are computed directly).
class DecayTable {
 public:
  void reserve(std::int64_t max_d2) {
    const std::int64_t want = std::min<std::int64_t>(max_d2 + 1, kMaxEntries);
    if (static_cast<std::int64_t>(table_.size()) < want) table_.resize(static_cast<std::size_t>(want), -1.0);
  }
  double operator()(std::int32_t d2) {
    if (d2 >= static_cast<std::int64_t>(table_.size())) return direct(d2);
    double& v = table_[static_cast<std::size_t>(d2)];
    if (v < 0) v = direct(d2);
    return v;
  }

 private:
  static constexpr std::int64_t kMaxEntries = std::int64_t(1) << 22;
  static double direct(std::int32_t d2) { return std::exp(std::log(0.5) / 5 * std::sqrt(static_cast<double>(d2))); }
  std::vector<double> table_;
};

// The two passes of the separable 7x7 filter, summing the taps in the same order as the direct
// form. Cloned for AVX2 (picked at run time); without FMA contraction every clone gives the same
// bits.
__attribute__((target_clones("avx2", "default"))) void filter_horizontal(const double* __restrict b,
                                                                           double* __restrict dst,
                                                                           std::size_t n,
                                                                           const double* __restrict k) {
  for (std::size_t c = 0; c < n; ++c) {
    double s = k[0] * b[c];
    s += k[1] * b[c + 1];
    s += k[2] * b[c + 2];
    s += k[3] * b[c + 3];
    s += k[4] * b[c + 4];
    s += k[5] * b[c + 5];
    s += k[6] * b[c + 6];
    dst[c] = s;
  }
}
__attribute__((target_clones("avx2", "default"))) void filter_vertical(const double* const* rows,
                                                                         double* __restrict dst,
                                                                         std::size_t from, std::size_t to,
                                                                         const double* __restrict k) {
  const double* __restrict h0 = rows[0];
  const double* __restrict h1 = rows[1];
  const double* __restrict h2 = rows[2];
  const double* __restrict h3 = rows[3];
  const double* __restrict h4 = rows[4];
  const double* __restrict h5 = rows[5];
  const double* __restrict h6 = rows[6];
  for (std::size_t c = from; c < to; ++c) {
    double s = k[0] * h0[c];
    s += k[1] * h1[c];
    s += k[2] * h2[c];
    s += k[3] * h3[c];
    s += k[4] * h4[c];
    s += k[5] * h5[c];
    s += k[6] * h6[c];
    dst[c] = s;
  }
}

// Per-thread scratch buffers only grow, so that images of varying size do not zero-fill them again.
template <class T>
T* scratch(std::vector<T>& buffer, std::size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// Number of nonzero bytes, in 16-bit partial sums so that it vectorises.
std::size_t count_nonzero(const std::uint8_t* __restrict x, int n) {
  std::size_t total = 0;
  for (int start = 0; start < n; start += 32768) {
    const int end = std::min(n, start + 32768);
    std::uint16_t partial = 0;
    for (int i = start; i < end; ++i) partial = static_cast<std::uint16_t>(partial + (x[i] != 0));
    total += partial;
  }
  return total;
}

// Per-pixel access to the error map E, for the two entry points.
//   fg(i), bg(i): E of pixel i as a foreground / background pixel (fg is also asked for
//   background pixels in branch-free loops, which multiply the term by 0);
//   mark_active(offset of a row, out): out[c] = 1 where pixel c of that row is foreground with
//   E != 0, else 0; returns whether any is;
//   bg_row_may_contribute(offset of a row): false only if no background pixel of that row has
//   E != 0 (a fast pre-check; `true` is always correct).
//
// The computation skips every term that is exactly zero: background pixels with E = 0 add E·B = 0
// to FPw, foreground pixels with E = 0 add min(EA, 0) = 0 to the foreground sum (EA >= 0). Skipping
// an exact +0 leaves a floating-point sum unchanged, so the result is bit for bit that of the
// full-image computation with sums in row-major order and the separable filter (the previous
// implementation; same values on all DSS maps), and within 1e-12 of the 49-tap form
// (tests/metrics/test_wfm_paths.cpp).
template <class Access>
double weighted_fmeasure_core(const std::uint8_t* gt01, int rows, int cols, const Access& err, double beta2) {
  thread_local FeatureTransform transform;
  thread_local std::vector<std::int32_t> d2_row;
  thread_local std::vector<double> et, horizontal, padded, ea_row;
  thread_local std::vector<std::uint8_t> active, near_h, near_row, padded_mask;
  thread_local DecayTable decay;
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);

  // Foreground count; "active" foreground pixels (E != 0) and their bounding box.
  std::size_t n_fg = 0;
  scratch(active, n);
  int rmin = rows, rmax = -1, cmin = cols, cmax = -1;
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * cols;
    const std::uint8_t* g = gt01 + base;
    std::uint8_t* a = active.data() + base;
    const std::size_t row_fg = count_nonzero(g, cols);
    if (row_fg == 0) {
      std::fill_n(a, cols, std::uint8_t{0});
      continue;
    }
    n_fg += row_fg;
    if (!err.mark_active(base, a)) continue;
    rmin = std::min(rmin, r), rmax = r;
    // active bytes are 0/1: the first and last 1 via glibc's vectorised memchr/memrchr.
    const int first = static_cast<int>(static_cast<const std::uint8_t*>(std::memchr(a, 1, cols)) - a);
    const int last = static_cast<int>(static_cast<const std::uint8_t*>(memrchr(a, 1, cols)) - a);
    cmin = std::min(cmin, first), cmax = std::max(cmax, last);
  }
  if (n_fg == 0) return 0.0;

  transform.reset(gt01, rows, cols);
  scratch(d2_row, static_cast<std::size_t>(cols));
  decay.reserve(static_cast<std::int64_t>(rows - 1) * (rows - 1) + static_cast<std::int64_t>(cols - 1) * (cols - 1));

  // Background term FPw = Σ E·B, B = 2 - exp(ln(0.5)/5 · dist), over pixels with E != 0. Their
  // distances are looked up one by one, scanning outwards; a row whose lookups would cost more than
  // its full row pass gets the pass.
  double sum_bg = 0;
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * cols;
    if (!err.bg_row_may_contribute(base)) continue;
    const std::uint8_t* g = gt01 + base;
    int budget = 2 * cols + 64;  // columns the lookups of this row may still scan
    bool full_row = false;
    for (int c = 0; c < cols; ++c) {
      if (g[c]) continue;
      const double e = err.bg(base + c);
      if (e == 0) continue;
      std::int32_t d2, nearest;
      if (!full_row) {
        const int max_k = std::min(budget / 2, 64);
        if (max_k > 0 && transform.nearest_within(r, c, max_k, d2, nearest)) {
          budget -= 2 * static_cast<int>(std::sqrt(static_cast<double>(d2))) + 2;
        } else {
          transform.row(r, d2_row.data(), nullptr, c);
          full_row = true;
        }
      }
      if (full_row) d2 = d2_row[c];
      sum_bg += e * (2.0 - decay(d2));
    }
  }

  // Foreground term Σ min(EA, E) over active pixels, EA = Et filtered by the 7x7 Gaussian (zero
  // padding), Et = E on the foreground and the E of the nearest foreground pixel elsewhere. EA is
  // needed on the active bounding box, so Et on that box grown by 3 and clipped to the image (the
  // region); outside the image the filter pads with zeros, and the region's borders are image
  // borders wherever an active pixel's window reaches them.
  double sum_fg = 0;
  if (rmax >= 0) {
    const int r0 = std::max(0, rmin - 3), r1 = std::min(rows, rmax + 4);
    const int c0 = std::max(0, cmin - 3), c1 = std::min(cols, cmax + 4);
    const std::size_t hw = static_cast<std::size_t>(c1 - c0);
    const std::size_t region_rows = static_cast<std::size_t>(r1 - r0);

    // Et in the region. Only background pixels within 3 pixels (Chebyshev) of an active pixel are
    // read by the filter: they are marked by a 7x7 dilation of the active mask (a horizontal then
    // a vertical OR, over buffers with 3 zero rows / columns of padding), and their nearest
    // foreground pixel, at most √18 away, lies within 4 columns either side. The other background
    // pixels are never read and are left at 0.
    std::uint8_t* near = scratch(near_h, (region_rows + 6) * hw);
    std::fill_n(near, 3 * hw, std::uint8_t{0});
    std::fill_n(near + (region_rows + 3) * hw, 3 * hw, std::uint8_t{0});
    padded_mask.assign(hw + 6, 0);
    for (int r = r0; r < r1; ++r) {
      const std::uint8_t* a = active.data() + static_cast<std::size_t>(r) * cols;
      std::copy(a + c0, a + c1, padded_mask.begin() + 3);
      const std::uint8_t* __restrict b = padded_mask.data();
      std::uint8_t* __restrict h = near_h.data() + static_cast<std::size_t>(r - r0 + 3) * hw;
      for (std::size_t c = 0; c < hw; ++c) h[c] = b[c] | b[c + 1] | b[c + 2] | b[c + 3] | b[c + 4] | b[c + 5] | b[c + 6];
    }
    // One pass down the region, row by row: Et of row r, its horizontal filter into a ring of the
    // last 7 filtered rows, then (3 rows behind) the vertical filter of row r - 3 and its part of
    // the foreground sum. The working set stays a few rows wide instead of whole-region buffers.
    // Rows outside the region (outside the image, where an active pixel's window reaches) read as
    // zeros: adding k·0 leaves a sum unchanged, so the filter equals the direct separable form.
    static const std::array<double, 7> k = gaussian7();
    double* e = scratch(et, hw);
    double* ring = scratch(horizontal, 8 * hw);  // 7 ring rows + 1 row of zeros
    double* zeros = ring + 7 * hw;
    std::fill_n(zeros, hw, 0.0);
    auto filtered_row = [&](int q) { return q < r0 || q >= r1 ? zeros : ring + static_cast<std::size_t>((q - r0) % 7) * hw; };
    padded.assign(hw + 6, 0.0);
    scratch(near_row, hw);
    scratch(ea_row, hw);
    const std::size_t fc0 = static_cast<std::size_t>(cmin - c0), fc1 = static_cast<std::size_t>(cmax - c0) + 1;
    for (int r = r0; r < r1 + 3; ++r) {
      if (r < r1) {
        const std::uint8_t* __restrict h = near_h.data() + static_cast<std::size_t>(r - r0) * hw;
        std::uint8_t* __restrict nr = near_row.data();
        for (std::size_t c = 0; c < hw; ++c)
          nr[c] = h[c] | h[c + hw] | h[c + 2 * hw] | h[c + 3 * hw] | h[c + 4 * hw] | h[c + 5 * hw] | h[c + 6 * hw];
        const std::size_t base = static_cast<std::size_t>(r) * cols;
        const std::uint8_t* g = gt01 + base;
        for (int c = c0; c < c1; ++c) {
          if (g[c])
            e[c - c0] = err.fg(base + c);
          else if (nr[c - c0])
            e[c - c0] = err.fg(static_cast<std::size_t>(transform.nearest_in_window(r, c, 4)));
          else
            e[c - c0] = 0.0;
        }
        std::copy(e, e + hw, padded.begin() + 3);
        filter_horizontal(padded.data(), filtered_row(r), hw, k.data());
      }
      const int y = r - 3;  // all of rows y-3..y+3 are filtered now
      if (y < rmin || y > rmax) continue;
      const double* window[7];
      for (int t = 0; t < 7; ++t) window[t] = filtered_row(y - 3 + t);
      filter_vertical(window, ea_row.data(), fc0, fc1, k.data());
      const double* ea = ea_row.data();
      // Branch-free over the box: a background pixel adds min(...)·0 = +0, an inactive foreground
      // pixel min(EA, 0) = +0 (EA >= 0); adding +0 changes no bit of the sum.
      const std::size_t base = static_cast<std::size_t>(y) * cols;
      const std::uint8_t* g = gt01 + base;
      for (int c = cmin; c <= cmax; ++c) {
        const double x = ea[c - c0], v = err.fg(base + c);
        sum_fg += (x < v ? x : v) * static_cast<double>(g[c] != 0);
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

// E from a full double map.
struct ArrayError {
  const double* err;
  double fg(std::size_t i) const { return err[i]; }
  double bg(std::size_t i) const { return err[i]; }
  bool bg_row_may_contribute(std::size_t) const { return true; }
  bool mark_active(std::size_t base, std::uint8_t* out) const {
    unsigned any = 0;
    for (int c = 0; c < cols; ++c) any |= out[c] = gt01[base + c] && err[base + c] != 0;
    return any != 0;
  }
  const std::uint8_t* gt01;
  int cols;
};

// E as a function of an 8-bit map's value. When a single value has no error on the background
// (the map's minimum) or on the foreground (its maximum), the row scans compare bytes against it,
// which vectorises; maps are mostly exact zeros on the background.
struct LutError {
  LutError(const std::uint8_t* pred8, const std::uint8_t* gt01, int cols, const double* err_fg, const double* err_bg)
      : pred8(pred8), gt01(gt01), cols(cols), err_fg(err_fg), err_bg(err_bg) {
    int n_bg_zero = 0, n_fg_zero = 0;
    for (int v = 0; v < 256; ++v) {
      if (err_bg[v] == 0) bg_zero_value = v, ++n_bg_zero;
      if (err_fg[v] == 0) fg_zero_value = v, ++n_fg_zero;
    }
    if (n_bg_zero != 1) bg_zero_value = -1;
    if (n_fg_zero == 0) fg_zero_value = 256;  // matches no byte: every foreground pixel is active
    if (n_fg_zero > 1) fg_zero_value = -1;
  }
  double fg(std::size_t i) const { return err_fg[pred8[i]]; }
  double bg(std::size_t i) const { return err_bg[pred8[i]]; }
  bool mark_active(std::size_t base, std::uint8_t* __restrict out) const {
    const std::uint8_t* __restrict p = pred8 + base;
    const std::uint8_t* __restrict g = gt01 + base;
    std::uint8_t any = 0;
    if (fg_zero_value == 256) {
      for (int c = 0; c < cols; ++c) any |= out[c] = static_cast<std::uint8_t>(g[c] != 0);
    } else if (fg_zero_value >= 0) {
      const std::uint8_t z = static_cast<std::uint8_t>(fg_zero_value);
      for (int c = 0; c < cols; ++c) any |= out[c] = static_cast<std::uint8_t>((g[c] != 0) & (p[c] != z));
    } else {
      for (int c = 0; c < cols; ++c) any |= out[c] = g[c] && err_fg[p[c]] != 0;
    }
    return any != 0;
  }
  bool bg_row_may_contribute(std::size_t base) const {
    if (bg_zero_value < 0) return true;
    const std::uint8_t* __restrict p = pred8 + base;
    const std::uint8_t* __restrict g = gt01 + base;
    const std::uint8_t z = static_cast<std::uint8_t>(bg_zero_value);
    std::uint8_t any = 0;
    for (int c = 0; c < cols; ++c) any |= static_cast<std::uint8_t>((p[c] != z) & (g[c] == 0));
    return any != 0;
  }

  const std::uint8_t* pred8;
  const std::uint8_t* gt01;
  int cols;
  const double* err_fg;
  const double* err_bg;
  int bg_zero_value = -1;  // the one value with no background error, or -1
  int fg_zero_value = -1;  // the one value with no foreground error, 256 for none, -1 for several
};

}  // namespace

double weighted_fmeasure_from_error(const double* err, const std::uint8_t* gt01, int rows, int cols,
                                    double beta2) {
  return weighted_fmeasure_core(gt01, rows, cols, ArrayError{err, gt01, cols}, beta2);
}

double weighted_fmeasure_from_lut(const std::uint8_t* pred8, const std::uint8_t* gt01, int rows, int cols,
                                  const double* err_fg, const double* err_bg, double beta2) {
  return weighted_fmeasure_core(gt01, rows, cols, LutError(pred8, gt01, cols, err_fg, err_bg), beta2);
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
