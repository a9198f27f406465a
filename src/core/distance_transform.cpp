// Maurer, Qi & Raghavan (PAMI 2003) exact Euclidean feature transform in 2-D, with scipy's
// tie-breaking (see distance_transform.h).
#include "core/distance_transform.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace sodlab {

DistanceField distance_to_mask(const std::uint8_t* mask, int rows, int cols) {
  DistanceField out;
  distance_to_mask(mask, rows, cols, out);
  return out;
}

void distance_to_mask(const std::uint8_t* mask, int rows, int cols, DistanceField& out) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("distance_to_mask: negative size");
  out.rows = rows;
  out.cols = cols;
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  out.distance.assign(n, std::numeric_limits<double>::infinity());
  out.nearest.assign(n, -1);
  if (n == 0) return;

  // Pass 1, along each column: nearest target row (ties: the smaller row). -1 = none in column.
  thread_local std::vector<std::int32_t> col_row;  // scratch, reused across calls
  col_row.assign(n, -1);
  {
    std::vector<std::int32_t> last(cols, -1);  // last target row seen above (inclusive)
    for (int r = 0; r < rows; ++r) {
      const std::uint8_t* m = mask + static_cast<std::size_t>(r) * cols;
      std::int32_t* out_row = col_row.data() + static_cast<std::size_t>(r) * cols;
      for (int c = 0; c < cols; ++c) {
        if (m[c]) last[c] = r;
        out_row[c] = last[c];
      }
    }
    std::vector<std::int32_t> next(cols, -1);  // next target row below (inclusive)
    for (int r = rows - 1; r >= 0; --r) {
      const std::uint8_t* m = mask + static_cast<std::size_t>(r) * cols;
      std::int32_t* out_row = col_row.data() + static_cast<std::size_t>(r) * cols;
      for (int c = 0; c < cols; ++c) {
        if (m[c]) next[c] = r;
        const std::int32_t above = out_row[c];
        if (next[c] >= 0 && (above < 0 || next[c] - r < r - above)) out_row[c] = next[c];
      }
    }
  }

  // Pass 2, along each row: lower envelope of the candidates (column c, row col_row) with
  // Maurer's removal test, then a left-to-right sweep keeping the earlier candidate on ties.
  std::vector<std::int32_t> g(cols);
  for (int r = 0; r < rows; ++r) {
    const std::int32_t* fr = col_row.data() + static_cast<std::size_t>(r) * cols;
    int l = -1;
    for (int c = 0; c < cols; ++c) {
      if (fr[c] < 0) continue;
      const std::int64_t w = static_cast<std::int64_t>(fr[c]) - r;
      const std::int64_t wR = w * w;
      while (l >= 1) {
        const std::int64_t c1 = g[l], c2 = g[l - 1];
        const std::int64_t a = c1 - c2, b = c - c1, cc = a + b;
        const std::int64_t u = static_cast<std::int64_t>(fr[c2]) - r;
        const std::int64_t v = static_cast<std::int64_t>(fr[c1]) - r;
        if (cc * (v * v) - b * (u * u) - a * wR - a * b * cc <= 0) break;
        --l;
      }
      g[++l] = c;
    }
    if (l < 0) continue;
    const int maxl = l;
    l = 0;
    auto dist2 = [&](int cand, int c) {
      const std::int64_t dr = static_cast<std::int64_t>(fr[cand]) - r;
      const std::int64_t dc = static_cast<std::int64_t>(cand) - c;
      return dr * dr + dc * dc;
    };
    const std::size_t base = static_cast<std::size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) {
      std::int64_t d1 = dist2(g[l], c);
      while (l < maxl) {
        const std::int64_t d2 = dist2(g[l + 1], c);
        if (d1 <= d2) break;
        d1 = d2;
        ++l;
      }
      out.nearest[base + c] = fr[g[l]] * cols + g[l];
      out.distance[base + c] = std::sqrt(static_cast<double>(d1));
    }
  }
}

}  // namespace sodlab
