#include "metrics/multiscale_iou.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sodlab::metrics {
namespace {

constexpr int kLevels = 10;         // cells of 2^0 .. 2^9 pixels (PySODMetrics' num_levels = 10)
constexpr int kTop = kLevels - 1;   // the largest cell is 2^kTop
constexpr int kWords = (kMsiouThresholds + 63) / 64;
using Bits = std::array<std::uint64_t, kWords>;  // bit t: an edge at threshold t

// Sets thresholds lo..hi (inclusive, 0 <= lo <= hi <= 256).
void set_range(Bits& b, int lo, int hi) {
  for (int w = lo >> 6; w <= hi >> 6; ++w) {
    const int a = std::max(lo - 64 * w, 0), z = std::min(hi - 64 * w, 63);
    b[w] |= (~0ULL >> (63 - z)) & (~0ULL << a);
  }
}

void or_into(Bits& into, const Bits& b) {
  for (int w = 0; w < kWords; ++w) into[w] |= b[w];
}

// A non-negative integer rounded to IEEE half precision (nearest, ties to even; inf from 65520).
double to_half(double x) {
  if (x >= 65520) return std::numeric_limits<double>::infinity();
  if (x < 2048) return x;  // 11 significant bits: exact
  int e = 0;
  std::frexp(x, &e);  // x = m·2^e, m in [0.5, 1): the half's spacing is 2^(e - 11)
  const double spacing = std::ldexp(1.0, e - 11);
  return std::nearbyint(x / spacing) * spacing;  // default rounding mode: ties to even
}

// numpy's sum of a float16 array of 0/1 (PySODMetrics' edge maps are float16, the dtype of
// np.hypot on booleans): exact within each block of 8192 elements (the reduction's buffer size,
// row-major order), the running total rounded to float16 after each block. Exact below 2048.
class Float16Count {
 public:
  void add(bool one) {
    block_ += one;
    if (++in_block_ == 8192) flush();
  }
  double total() {
    flush();
    return total_;
  }

 private:
  void flush() {
    total_ = to_half(total_ + static_cast<double>(block_));
    block_ = 0, in_block_ = 0;
  }
  double total_ = 0;
  std::int64_t block_ = 0, in_block_ = 0;
};

// Per level: per threshold the cells that are both prediction and GT edges, and the number of GT
// edge cells as PySODMetrics sums it (Float16Count).
struct BoxCounts {
  std::array<std::array<std::int64_t, kMsiouThresholds>, kLevels> both{};
  std::array<double, kLevels> gt_sum{};
  void add(int level, const Bits& b) {
    for (int w = 0; w < kWords; ++w)
      for (std::uint64_t x = b[w]; x; x &= x - 1) ++both[level][64 * w + __builtin_ctzll(x)];
  }
};

// One level's grid of cells. Padding at the top and left (PySODMetrics' shrink_by_grid) aligns
// every grid to the bottom-right corner, so the cells nest: with P = the padding of the largest
// grid, row r lies in absolute cell (r + P) >> k at level k, whose parent is that index >> 1.
struct Grid {
  int base_r = 0, base_c = 0, rows = 0, cols = 0;
  std::vector<Bits> pred;
  std::vector<std::uint8_t> gt;
  Grid(int level, int image_rows, int image_cols, int pad_r, int pad_c) {
    base_r = pad_r >> level, base_c = pad_c >> level;
    rows = ((image_rows - 1 + pad_r) >> level) - base_r + 1;
    cols = ((image_cols - 1 + pad_c) >> level) - base_c + 1;
    pred.assign(static_cast<std::size_t>(rows) * cols, Bits{});
    gt.assign(static_cast<std::size_t>(rows) * cols, 0);
  }
  std::size_t at(int abs_r, int abs_c) const {
    return static_cast<std::size_t>(abs_r - base_r) * cols + (abs_c - base_c);
  }
};

BoxCounts box_counts(const std::uint8_t* bins, const std::uint8_t* gt_in, int rows, int cols) {
  // Padded copies: outside the image the map is below every threshold (-1) and the GT 0.
  const int w = cols + 2;
  std::vector<std::int16_t> q(static_cast<std::size_t>(rows + 2) * w, -1);
  std::vector<std::uint8_t> g(q.size(), 0);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const std::size_t i = static_cast<std::size_t>(r + 1) * w + c + 1, j = static_cast<std::size_t>(r) * cols + c;
      q[i] = bins[j];
      g[i] = gt_in[j] != 0;
    }
  const int span = 1 << kTop;
  const int pad_r = (span - rows % span) % span, pad_c = (span - cols % span) % span;

  BoxCounts out;
  Float16Count gt_cells;
  Grid level(1, rows, cols, pad_r, pad_c);
  // The 8 neighbours with their weights in the row Sobel (sx: row below minus row above,
  // smoothed 1 2 1) and the column Sobel (sy).
  struct Neighbour {
    std::ptrdiff_t offset;
    int wx, wy;
  };
  const Neighbour around[8] = {{-w - 1, -1, -1}, {-w, -2, 0}, {-w + 1, -1, 1}, {-1, 0, -2},
                               {1, 0, 2},        {w - 1, 1, -1}, {w, 2, 0},    {w + 1, 1, 1}};
  struct Value {
    int v, wx, wy;
  };
  for (int r = 0; r < rows; ++r) {
    const int ar = (r + pad_r) >> 1;
    for (int c = 0; c < cols; ++c) {
      const std::ptrdiff_t i = static_cast<std::ptrdiff_t>(r + 1) * w + c + 1;
      Bits b{};
      bool any = false;  // b holds a threshold
      int gx = 0, gy = 0;
      Value n[8];
      bool flat = true;
      for (int k = 0; k < 8; ++k) {
        const Neighbour& a = around[k];
        n[k] = {q[i + a.offset], a.wx, a.wy};
        flat &= n[k].v == n[0].v;
        gx += a.wx * g[i + a.offset], gy += a.wy * g[i + a.offset];
      }
      const bool gt_edge = gx != 0 || gy != 0;
      if (!flat) {
        // Thresholds from high to low switch the neighbours on in descending value: between two
        // consecutive distinct values the Sobel responses are constant.
        for (int k = 1; k < 8; ++k)
          for (int j = k; j > 0 && n[j].v > n[j - 1].v; --j) std::swap(n[j], n[j - 1]);
        int sx = 0, sy = 0;
        for (int k = 0; k < 8;) {
          const int v = n[k].v;
          for (; k < 8 && n[k].v == v; ++k) sx += n[k].wx, sy += n[k].wy;
          const int below = k < 8 ? n[k].v : -1;
          if ((sx != 0 || sy != 0) && v >= 0) set_range(b, below + 1, v), any = true;  // t in (below, v]
        }
      }
      gt_cells.add(gt_edge);
      const std::size_t cell = level.at(ar, (c + pad_c) >> 1);
      level.gt[cell] |= gt_edge;
      if (!any) continue;  // no edge at any threshold: nothing to count or merge
      if (gt_edge) out.add(0, b);
      or_into(level.pred[cell], b);
    }
  }
  out.gt_sum[0] = gt_cells.total();
  for (int k = 1; k <= kTop; ++k) {
    Float16Count cells;  // over the padded grid, row-major, as numpy sums the shrunk map
    for (std::size_t i = 0; i < level.gt.size(); ++i) {
      cells.add(level.gt[i]);
      if (level.gt[i]) out.add(k, level.pred[i]);
    }
    out.gt_sum[k] = cells.total();
    if (k == kTop) break;
    Grid parent(k + 1, rows, cols, pad_r, pad_c);
    for (int r = 0; r < level.rows; ++r)
      for (int c = 0; c < level.cols; ++c) {
        const std::size_t from = static_cast<std::size_t>(r) * level.cols + c;
        const std::size_t to = parent.at((r + level.base_r) >> 1, (c + level.base_c) >> 1);
        or_into(parent.pred[to], level.pred[from]);
        parent.gt[to] |= level.gt[from];
      }
    level = std::move(parent);
  }
  return out;
}

// np.trapz(ratios, dx = 1/9): the terms dx·(y[i+1] + y[i])/2 summed in numpy's pairwise order
// for 9 values (8 partial sums paired, then the ninth).
double trapezoid(const std::array<double, kLevels>& y) {
  const double dx = 1.0 / (kLevels - 1);
  std::array<double, kLevels - 1> a{};
  for (int i = 0; i + 1 < kLevels; ++i) a[i] = dx * (y[i + 1] + y[i]) / 2.0;
  return (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) + a[8];
}

double msiou_at(const BoxCounts& counts, int t) {
  std::array<double, kLevels> ratios{};
  for (int k = 0; k < kLevels; ++k)
    ratios[k] = static_cast<double>(counts.both[k][t] + 1) / (counts.gt_sum[k] + 1);
  return trapezoid(ratios);
}

}  // namespace

MsiouCurve msiou_curve(const std::uint8_t* bins, const std::uint8_t* gt, int rows, int cols) {
  const BoxCounts counts = box_counts(bins, gt, rows, cols);
  MsiouCurve out{};
  for (int t = 0; t < kMsiouThresholds; ++t) out[t] = msiou_at(counts, t);
  return out;
}

std::vector<double> msiou_of_thresholds(const std::uint8_t* bins, const std::uint8_t* gt, int rows, int cols,
                                        const std::vector<int>& thresholds) {
  const BoxCounts counts = box_counts(bins, gt, rows, cols);
  std::vector<double> out;
  for (const int t : thresholds) out.push_back(msiou_at(counts, std::clamp(t, 0, kMsiouThresholds - 1)));
  return out;
}

double msiou_binary(const std::uint8_t* pred, const std::uint8_t* gt, int rows, int cols) {
  std::vector<std::uint8_t> bins(static_cast<std::size_t>(rows) * cols);
  for (std::size_t i = 0; i < bins.size(); ++i) bins[i] = pred[i] != 0;
  return msiou_at(box_counts(bins.data(), gt, rows, cols), 1);  // bin >= 1: the prediction itself
}

void MsiouAccumulator::add(const MsiouCurve& curve) {
  for (int t = 0; t < kMsiouThresholds; ++t) sums_[t].add(curve[t]);
}

void MsiouAccumulator::result(std::int64_t n_images, std::map<std::string, double>& dataset,
                              std::map<std::string, std::vector<double>>& curves) const {
  std::vector<double> mean(kMsiouThresholds);
  double sum = 0, mx = -std::numeric_limits<double>::infinity();
  for (int t = 0; t < kMsiouThresholds; ++t) {
    mean[t] = sums_[t].value() / static_cast<double>(n_images);
    sum += mean[t];
    mx = std::max(mx, mean[t]);
  }
  dataset["meanmsiou"] = sum / kMsiouThresholds;
  dataset["maxmsiou"] = mx;
  mean.pop_back();  // curves hold thresholds 0..255, as every other curve
  curves["curve_msiou"] = std::move(mean);
}

}  // namespace sodlab::metrics
