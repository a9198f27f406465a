// Exact Euclidean distance transform with nearest-pixel indices.
//
// Contract: like scipy.ndimage.distance_transform_edt(mask == 0, return_indices=True) and MATLAB
// bwdist(mask). mask: rows*cols bytes, row-major, nonzero = target pixel. O(rows*cols) time.
// Ties (several target pixels at the same distance) are broken exactly as scipy's Maurer
// feature transform does (first along columns: the smaller row; then along rows, Maurer's
// lower-envelope removal test and the earlier column on equal distance), so nearest[] matches
// scipy index for index. rows, cols >= 0; a null mask is allowed only when rows*cols == 0.
#pragma once

#include <cstdint>
#include <vector>

namespace sodlab {

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
