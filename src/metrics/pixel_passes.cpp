#include "metrics/pixel_passes.h"

#include <algorithm>
#include <cstring>

namespace sodlab::metrics {
namespace {

// o[c] = t[c] >= cut; returns the count of ones. Plain loops that the compiler vectorises for
// the widest unit the machine has (the same integers on every machine).
__attribute__((target_clones("avx2", "default"))) std::uint32_t threshold_row(const std::uint8_t* __restrict t,
                                                                              std::uint8_t* __restrict o, int n,
                                                                              std::uint8_t cut) {
  std::uint32_t count = 0;
  for (int c = 0; c < n; ++c) {
    const std::uint8_t f = t[c] >= cut;
    o[c] = f;
    count += f;
  }
  return count;
}

// Σ c·o[c] over a 0/1 row, in 32-bit sums over chunks of at most 65535 columns (Σ of column
// offsets < 2³²), so that the loop vectorises for any width.
__attribute__((target_clones("avx2", "default"))) std::int64_t column_sum(const std::uint8_t* __restrict o, int n) {
  std::int64_t sum = 0;
  for (int start = 0; start < n; start += 65535) {
    const int end = std::min(n, start + 65535);
    std::uint32_t count = 0, offsets = 0;
    for (int c = start; c < end; ++c) {
      count += o[c];
      offsets += o[c] * static_cast<std::uint32_t>(c - start);
    }
    sum += offsets + static_cast<std::int64_t>(start) * count;
  }
  return sum;
}

__attribute__((target_clones("avx2", "default"))) void range_of_row(const std::uint8_t* __restrict p, int n,
                                                                    std::uint8_t& lo, std::uint8_t& hi) {
  std::uint8_t a = lo, b = hi;
  for (int c = 0; c < n; ++c) a = std::min(a, p[c]), b = std::max(b, p[c]);
  lo = a, hi = b;
}

// Counts of (class, value) pairs in kCopies interleaved copies, [copy][class·256 + value]: pixel
// c of a group of 8 goes to copy c, so that runs of equal pixels do not serialise on one counter.
constexpr int kCopies = 8;
using Lanes = std::array<std::array<std::uint32_t, 512>, kCopies>;

// Counts the pixels from..to-1 of one row, 8 at a time. 8 pixels of one value and one class (the
// flat areas of a map) are one addition.
void count_span(Lanes& lanes, const std::uint8_t* t, const std::uint8_t* p, int from, int to) {
  constexpr std::uint64_t kEveryByte = 0x0101010101010101ULL;
  int c = from;
  for (; c + 8 <= to; c += 8) {
    std::uint64_t tw, pw;
    std::memcpy(&tw, t + c, 8);
    std::memcpy(&pw, p + c, 8);
    if (tw == (tw & 0xff) * kEveryByte && pw == (pw & 0xff) * kEveryByte) {
      lanes[0][(tw & 0xff) * 256 + (pw & 0xff)] += 8;
      continue;
    }
    std::uint8_t tv[8], pv[8];
    std::memcpy(tv, t + c, 8);
    std::memcpy(pv, p + c, 8);
    for (int k = 0; k < 8; ++k) ++lanes[k][tv[k] * 256 + pv[k]];
  }
  for (; c < to; ++c) ++lanes[c & 7][t[c] * 256 + p[c]];
}

}  // namespace

MaskSums binarize_mask(const cv::Mat& gt, int cut, bool with_centroid, std::uint8_t* g) {
  MaskSums s;
  const int rows = gt.rows, cols = gt.cols;
  for (int r = 0; r < rows; ++r) {
    std::uint8_t* o = g + static_cast<std::size_t>(r) * cols;
    const std::int64_t row_fg = threshold_row(gt.ptr<std::uint8_t>(r), o, cols, static_cast<std::uint8_t>(cut));
    s.n_fg += row_fg;
    if (with_centroid && row_fg > 0) {
      s.sum_r += row_fg * r;
      s.sum_c += column_sum(o, cols);
    }
  }
  return s;
}

ValueRange value_range(const cv::Mat& pred) {
  std::uint8_t lo = 255, hi = 0;
  for (int r = 0; r < pred.rows; ++r) range_of_row(pred.ptr<std::uint8_t>(r), pred.cols, lo, hi);
  return {lo, hi};
}

std::array<ValueHistogram, 8> class_histograms(const cv::Mat& pred, const std::uint8_t* g, int cy, int cx) {
  thread_local std::array<Lanes, 4> counts;
  const bool split = cy > 0 || cx > 0;  // else quadrant 3 only
  for (int q = split ? 0 : 3; q < 4; ++q)
    for (auto& lane : counts[q]) lane.fill(0);
  const int rows = pred.rows, cols = pred.cols;
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* p = pred.ptr<std::uint8_t>(r);
    const std::uint8_t* t = g + static_cast<std::size_t>(r) * cols;
    const int q = r < cy ? 0 : 2;
    if (cx > 0) count_span(counts[q], t, p, 0, cx);
    count_span(counts[q + 1], t, p, cx, cols);
  }
  std::array<ValueHistogram, 8> h{};
  for (int q = split ? 0 : 3; q < 4; ++q)
    for (int cls = 0; cls < 2; ++cls)
      for (int v = 0; v < 256; ++v) {
        std::int64_t total = 0;
        for (const auto& lane : counts[q]) total += lane[cls * 256 + v];
        h[q * 2 + cls][v] = total;
      }
  return h;
}

}  // namespace sodlab::metrics
