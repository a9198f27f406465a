// Maurer, Qi & Raghavan (PAMI 2003) exact Euclidean feature transform in 2-D, with scipy's
// tie-breaking (see distance_transform.h).
#include "core/distance_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace sodlab {

void FeatureTransform::reset(const std::uint8_t* mask, int rows, int cols) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("distance transform: negative size");
  if (static_cast<std::int64_t>(rows) * rows + static_cast<std::int64_t>(cols) * cols >=
      (std::int64_t(1) << 31))
    throw std::invalid_argument("distance transform: " + std::to_string(rows) + "x" +
                                std::to_string(cols) + " is too large (rows² + cols² must be < 2³¹)");
  rows_ = rows;
  cols_ = cols;
  const std::size_t ncols = static_cast<std::size_t>(cols);
  envelope_col_.resize(ncols);
  envelope_h_.resize(ncols);
  top_.assign(ncols, -1);
  bottom_.assign(ncols, -1);
  // Rows holding targets: [first_row_, last_row_]. Above them every column's nearest target is its
  // first target, below them its last, so only the rows in between are stored.
  first_row_ = rows, last_row_ = -1;
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* m = mask + static_cast<std::size_t>(r) * cols;
    std::uint8_t any = 0;  // a byte accumulator, so that the loop vectorises
    for (int c = 0; c < cols; ++c) any |= m[c];
    if (any != 0) first_row_ = std::min(first_row_, r), last_row_ = r;
  }
  has_targets_ = last_row_ >= 0;
  if (!has_targets_) return;
  column_nearest_row_.resize(static_cast<std::size_t>(last_row_ - first_row_ + 1) * ncols);

  // Downward sweep: the last target row at or above r in each column (-1 = none).
  for (int r = first_row_; r <= last_row_; ++r) {
    const std::uint8_t* m = mask + static_cast<std::size_t>(r) * cols;
    std::int32_t* o = column_nearest_row_.data() + static_cast<std::size_t>(r - first_row_) * ncols;
    if (r == first_row_) {
      for (int c = 0; c < cols; ++c) o[c] = m[c] ? r : -1;
    } else {
      const std::int32_t* above = o - cols;
      for (int c = 0; c < cols; ++c) {
        const std::int32_t a = above[c];  // loaded unconditionally so that the loop vectorises
        o[c] = m[c] ? r : a;
      }
    }
  }
  std::copy_n(column_nearest_row_.data() + static_cast<std::size_t>(last_row_ - first_row_) * ncols, ncols,
              bottom_.begin());
  // Upward sweep: replace it by the first target row below when that one is strictly nearer
  // (ties keep the smaller row). Written with sentinels instead of branches so that it vectorises:
  // "none below" is kFar, and "none above" counts as a distance of kFar - rows, which loses
  // against any real row below and wins against "none below" (leaving -1).
  constexpr std::int32_t kFar = std::int32_t(1) << 30;
  below_.assign(ncols, kFar);
  std::int32_t* below = below_.data();
  for (int r = last_row_; r >= first_row_; --r) {
    const std::uint8_t* m = mask + static_cast<std::size_t>(r) * cols;
    std::int32_t* o = column_nearest_row_.data() + static_cast<std::size_t>(r - first_row_) * ncols;
    for (int c = 0; c < cols; ++c) {
      const std::int32_t next = m[c] ? r : below[c];
      below[c] = next;
      const std::int32_t up = o[c];
      const std::int32_t up_distance = up < 0 ? kFar - rows : r - up;
      o[c] = next - r < up_distance ? next : up;
    }
  }
  for (int c = 0; c < cols; ++c) top_[c] = below[c] == kFar ? -1 : below[c];
}

void FeatureTransform::row(int r, std::int32_t* squared_distance, std::int32_t* nearest, int from, int to) {
  const int cols = cols_;
  if (to < 0) to = cols;
  if (!has_targets_) {
    for (int c = from; c < to; ++c) {
      squared_distance[c] = -1;
      if (nearest) nearest[c] = -1;
    }
    return;
  }
  const std::int32_t* fr = candidate_rows(r);
  std::int32_t* g = envelope_col_.data();
  std::int64_t* h = envelope_h_.data();
  // Lower envelope of the candidates (column c, row fr[c]) with Maurer's removal test.
  int l = -1;
  for (int c = 0; c < cols; ++c) {
    if (fr[c] < 0) continue;
    const std::int64_t w = static_cast<std::int64_t>(fr[c]) - r;
    const std::int64_t wR = w * w;
    while (l >= 1) {
      const std::int64_t a = g[l] - g[l - 1], b = c - g[l], cc = a + b;
      if (cc * h[l] - b * h[l - 1] - a * wR - a * b * cc <= 0) break;
      --l;
    }
    ++l;
    g[l] = c;
    h[l] = wR;
  }
  // Left-to-right sweep; on equal distance the earlier candidate stays.
  const int maxl = l;
  l = 0;
  for (int c = from; c < to; ++c) {
    std::int64_t dc = g[l] - c;
    std::int64_t d1 = h[l] + dc * dc;
    while (l < maxl) {
      const std::int64_t dn = g[l + 1] - c;
      const std::int64_t d2 = h[l + 1] + dn * dn;
      if (d1 <= d2) break;
      d1 = d2;
      ++l;
    }
    squared_distance[c] = static_cast<std::int32_t>(d1);
    if (nearest) nearest[c] = fr[g[l]] * cols + g[l];
  }
}

DistanceField distance_to_mask(const std::uint8_t* mask, int rows, int cols) {
  DistanceField out;
  distance_to_mask(mask, rows, cols, out);
  return out;
}

void distance_to_mask(const std::uint8_t* mask, int rows, int cols, DistanceField& out) {
  thread_local FeatureTransform ft;
  ft.reset(mask, rows, cols);
  out.rows = rows;
  out.cols = cols;
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  out.distance.resize(n);
  out.nearest.resize(n);
  std::vector<std::int32_t> d2(static_cast<std::size_t>(cols));
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * cols;
    ft.row(r, d2.data(), out.nearest.data() + base);
    for (int c = 0; c < cols; ++c)
      out.distance[base + c] =
          d2[c] < 0 ? std::numeric_limits<double>::infinity() : std::sqrt(static_cast<double>(d2[c]));
  }
}

}  // namespace sodlab
