// The exact nearest background patch of the camouflage degree (PySODMetrics asks scikit-learn's
// brute-force search): a patch is its kNearestPatchValues 8-bit Lab values and two float
// positions; the distance is the squared difference summed in double in feature order (the Lab
// values, then the two positions), and the nearest is the patch of least distance, the first
// (lowest index) of equals: what a full scan in order returns.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sodlab::metrics {

inline constexpr int kNearestPatchSide = 7;
inline constexpr int kNearestPatchValues = kNearestPatchSide * kNearestPatchSide * 3;  // row-major, channels last

class NearestPatchSearch {
 public:
  // values: kNearestPatchValues per patch; positions: one pair per patch; n >= 1 patches.
  NearestPatchSearch(const std::uint8_t* values, const std::array<float, 2>* positions, std::size_t n);

  // The nearest patch of the query. hints (any indices; those >= n are ignored) are only where
  // the search starts: the answer does not depend on them, its speed does (good guesses, e.g. the
  // answers of the neighbouring queries).
  std::size_t nearest(const std::uint8_t* values, std::array<float, 2> position, std::array<std::size_t, 2> hints);

  // The distance of the query to patch i (as nearest compares them).
  double distance(const std::uint8_t* values, std::array<float, 2> position, std::size_t i);

 private:
  void set_query(const std::uint8_t* values, std::array<float, 2> position);
  double query_distance(std::size_t i) const;
  double with_position(std::int32_t lab_part, std::size_t i) const;
  double line_bound(std::int32_t line_part, std::size_t i) const;

  std::size_t n_;
  std::vector<std::int16_t> lab_;     // kLabStride per patch, zero padded
  std::vector<std::int16_t> lines_;   // kLineStride per patch: its rows' and columns' sums per channel
  std::vector<std::int32_t> sums_;    // 3 rows of n_: each channel's sum over the patch
  std::vector<double> p0_, p1_;       // the positions, in double
  // Per query: the coarse test's flags (zero padded), the kept patches, their line bounds and
  // squared differences.
  std::vector<std::uint8_t> keep_;
  std::vector<double> line_bounds_;
  std::vector<std::uint32_t> candidates_;
  std::vector<std::int32_t> differences_;
  std::vector<std::int16_t> q_lab_, q_lines_;
  std::array<std::int32_t, 3> q_sums_{};
  double q0_ = 0, q1_ = 0;
};

}  // namespace sodlab::metrics
