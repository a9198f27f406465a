// Exact Euclidean distance transform with nearest-pixel indices.
//
// Contract: like scipy.ndimage.distance_transform_edt(mask == 0, return_indices=True) and MATLAB
// bwdist(mask). mask: rows*cols bytes, row-major, nonzero = target pixel. O(rows*cols) time.
// Ties (several target pixels at the same distance) are broken exactly as scipy's Maurer
// feature transform does (first along columns: the smaller row; then along rows, Maurer's
// lower-envelope removal test and the earlier column on equal distance), so nearest[] matches
// scipy index for index. rows, cols >= 0 with rows² + cols² < 2³¹ (else std::invalid_argument);
// a null mask is allowed only when rows*cols == 0.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace sodlab {

// The transform one row at a time, for callers that consume each row at once (the weighted
// F-measure streams it into its sums without storing a full-image field).
//   FeatureTransform ft;              // reusable: keeps its buffers between images
//   ft.reset(mask, rows, cols);       // column pass, O(rows*cols)
//   ft.row(r, d2, nearest);           // row pass for row r, O(cols); rows in any order
class FeatureTransform {
 public:
  // Runs the column pass. The mask must stay alive and unchanged until the last row() call.
  void reset(const std::uint8_t* mask, int rows, int cols);
  bool has_targets() const { return has_targets_; }
  // For each column c of row r in [from, to) (to = -1: all columns): the squared distance to the
  // nearest target and its row-major linear index (r*cols + c itself on targets); -1 in both when
  // the mask has no target. nearest may be null when only distances are wanted.
  void row(int r, std::int32_t* squared_distance, std::int32_t* nearest, int from = 0, int to = -1);
  // The same answer for the single pixel (r, c), found by scanning columns outwards from c: the
  // row pass picks, among the columns' candidates, the smallest squared distance and on ties the
  // leftmost column (tested against row() on random masks). Costs O(distance) instead of
  // O(cols); gives up (returns false) if the answer is not settled within max_k columns either side.
  bool nearest_within(int r, int c, int max_k, std::int32_t& squared_distance, std::int32_t& nearest) const;
  // Linear index of the nearest target of (r, c) when the caller knows it lies at most `radius`
  // columns away (e.g. a target within Chebyshev distance d gives radius floor(d·√2)): the leftmost
  // minimum over those columns, which is row()'s answer.
  std::int32_t nearest_in_window(int r, int c, int radius) const;

 private:
  // Row r's candidates: for each column, the row of its nearest target (-1: none in the column).
  const std::int32_t* candidate_rows(int r) const {
    if (r < first_row_) return top_.data();
    if (r > last_row_) return bottom_.data();
    return column_nearest_row_.data() + static_cast<std::size_t>(r - first_row_) * cols_;
  }

  int rows_ = 0, cols_ = 0;
  bool has_targets_ = false;
  int first_row_ = 0, last_row_ = -1;             // rows that hold targets
  std::vector<std::int32_t> column_nearest_row_;  // rows first..last × cols: candidate rows
  std::vector<std::int32_t> top_, bottom_;        // cols: first / last target row of each column
  std::vector<std::int32_t> below_;               // cols: scratch of the column pass
  std::vector<std::int32_t> envelope_col_;        // cols: lower-envelope stack of the row pass
  std::vector<std::int64_t> envelope_h_;          // cols: squared vertical distance of each entry
};

inline std::int32_t FeatureTransform::nearest_in_window(int r, int c, int radius) const {
  const std::int32_t* fr = candidate_rows(r);
  const int lo = c - radius < 0 ? 0 : c - radius, hi = c + radius >= cols_ ? cols_ - 1 : c + radius;
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  int best_col = -1;
  for (int col = lo; col <= hi; ++col) {
    if (fr[col] < 0) continue;
    const std::int64_t dv = fr[col] - r, dc = col - c, d = dv * dv + dc * dc;
    if (d < best) best = d, best_col = col;  // strict: the leftmost of equals stays
  }
  return best_col < 0 ? -1 : fr[best_col] * cols_ + best_col;
}

inline bool FeatureTransform::nearest_within(int r, int c, int max_k, std::int32_t& squared_distance,
                                             std::int32_t& nearest) const {
  const std::int32_t* fr = candidate_rows(r);
  std::int64_t best = -1;
  int best_col = -1;
  auto consider = [&](int col, std::int64_t k2) {
    if (fr[col] < 0) return;
    const std::int64_t dv = fr[col] - r, d = dv * dv + k2;
    if (best < 0 || d < best || (d == best && col < best_col)) best = d, best_col = col;
  };
  for (int k = 0; k <= max_k; ++k) {
    const std::int64_t k2 = static_cast<std::int64_t>(k) * k;
    if (best >= 0 && k2 > best) break;
    if (c - k < 0 && c + k >= cols_) {
      if (best < 0) return false;  // no target anywhere in this row's columns
      break;
    }
    if (c - k >= 0) consider(c - k, k2);
    if (k > 0 && c + k < cols_) consider(c + k, k2);
    if (k == max_k && !(best >= 0 && (k + 1) * (k + 1) > best)) return false;
  }
  squared_distance = static_cast<std::int32_t>(best);
  nearest = fr[best_col] * cols_ + best_col;
  return true;
}

// distance[i]: distance from pixel i to the nearest target pixel (0 on targets); nearest[i]:
// row-major linear index of that pixel (i itself on targets). No target pixel at all:
// distance = +inf, nearest = -1 everywhere.
struct DistanceField {
  int rows = 0, cols = 0;
  std::vector<double> distance;
  std::vector<std::int32_t> nearest;
};

DistanceField distance_to_mask(const std::uint8_t* mask, int rows, int cols);
// Same, writing into `out` and reusing its storage (no allocation when called repeatedly).
void distance_to_mask(const std::uint8_t* mask, int rows, int cols, DistanceField& out);

}  // namespace sodlab
