#include "metrics/nearest_patch.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sodlab::metrics {
namespace {

constexpr int kSide = kNearestPatchSide, kPixels = kSide * kSide;
constexpr double kPerPixel = 1.0 / kPixels;  // rounded: within 1.2e-16 relative
constexpr int kLabStride = 160;  // a patch's Lab values, zero padded
// A patch's line sums: each row's and each column's 7 values of one channel (3·7 + 3·7), padded.
constexpr int kLineStride = 48, kColumnSums = 24;  // row sums at 0.., column sums at kColumnSums..
// Bounds are lowered by this relative margin: the roundings of a distance and of a bound (a few
// additions and a multiplication by kPerPixel of non-negative doubles) are below 1e-15 relative,
// so a lowered bound stays at or below the distance as computed.
constexpr double kBoundMargin = 1 - 1e-12;
constexpr std::size_t kKeepWord = 8;  // coarse-test flags read 8 at a time, to skip runs of rejects

// 16 int16 and 16 int32 values as one vector (GCC/Clang vector extensions: split or scalarised
// where the target has no such registers, the same integers everywhere).
constexpr int kLanes = 16;
typedef std::int16_t Int16Lanes __attribute__((vector_size(2 * kLanes)));
typedef std::int32_t Int32Lanes __attribute__((vector_size(4 * kLanes)));
typedef std::int32_t Int32Half __attribute__((vector_size(2 * kLanes)));
typedef std::int32_t Int32Quarter __attribute__((vector_size(kLanes)));

// The sum of the lanes, halving the vector (the compilers' own lane-by-lane sum is far longer).
__attribute__((always_inline)) inline std::int32_t lane_sum(const Int32Lanes& lanes) {
  Int32Half lo, hi;
  std::memcpy(&lo, &lanes, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&lanes) + sizeof lo, sizeof hi);
  lo += hi;
  Int32Quarter a, b;
  std::memcpy(&a, &lo, sizeof a);
  std::memcpy(&b, reinterpret_cast<const char*>(&lo) + sizeof a, sizeof b);
  a += b;
  return (a[0] + a[1]) + (a[2] + a[3]);
}
// out[j] = Σ_k (q[k] − b[k])² over the kStride int16 values of patch candidates[j] (kStride per
// patch from `values`), j < m: the Lab values (at most 147·255² < 2^24) or the line sums (at most
// 42·1785² < 2^28), exact in int32. kStride: a multiple of kLanes.
template <int kStride>
__attribute__((always_inline)) inline void squared_differences(const std::int16_t* __restrict q,
                                                               const std::int16_t* __restrict values,
                                                               const std::uint32_t* __restrict candidates,
                                                               std::size_t m, std::int32_t* __restrict out) {
  static_assert(kStride % kLanes == 0);
  for (std::size_t j = 0; j < m; ++j) {
    const std::int16_t* b = values + static_cast<std::size_t>(candidates[j]) * kStride;
    Int32Lanes lanes = {};
    for (int k = 0; k < kStride; k += kLanes) {
      Int16Lanes x, y;
      std::memcpy(&x, q + k, sizeof x);
      std::memcpy(&y, b + k, sizeof y);
      const Int32Lanes t = __builtin_convertvector(x - y, Int32Lanes);  // |x − y| <= 1785: no int16 overflow
      lanes += t * t;
    }
    out[j] = lane_sum(lanes);
  }
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void lab_differences(
    const std::int16_t* q, const std::int16_t* values, const std::uint32_t* candidates, std::size_t m,
    std::int32_t* out) {
  squared_differences<kLabStride>(q, values, candidates, m, out);
}
__attribute__((target_clones("avx512f", "avx2", "default"))) void line_differences(
    const std::int16_t* q, const std::int16_t* values, const std::uint32_t* candidates, std::size_t m,
    std::int32_t* out) {
  squared_differences<kLineStride>(q, values, candidates, m, out);
}

// The coarse bound of a patch: Σ over a channel's 49 values of (q − b)² >= (Σ q − Σ b)²/49
// (Cauchy-Schwarz), so the Lab part of a distance is at least Σ_c (q_c − sums_c[i])²/49 (below
// 3·12495² < 2^31), and the distance at least that plus the positional terms; lowered by
// kBoundMargin. keep[i] = whether patch i's coarse bound is at most `threshold`, i < n.
__attribute__((target_clones("avx512f", "avx2", "default"))) void coarse_test(
    const std::int32_t* __restrict s0, const std::int32_t* __restrict s1, const std::int32_t* __restrict s2,
    const std::int32_t* q, const double* __restrict p0, const double* __restrict p1, double q0, double q1,
    std::size_t n, double threshold, std::uint8_t* __restrict keep) {
  const std::int32_t qs0 = q[0], qs1 = q[1], qs2 = q[2];
  for (std::size_t i = 0; i < n; ++i) {
    const std::int32_t u0 = qs0 - s0[i], u1 = qs1 - s1[i], u2 = qs2 - s2[i];
    const double t0 = q0 - p0[i], t1 = q1 - p1[i];
    keep[i] = (static_cast<double>(u0 * u0 + u1 * u1 + u2 * u2) * kPerPixel + t0 * t0 + t1 * t1) * kBoundMargin <= threshold;
  }
}

// The Lab values of a patch as int16, its line sums (kLineStride) and channel sums. (Row by row:
// a row's 21 values added lane by lane into the column sums, and summed per channel.)
void describe(const std::uint8_t* values, std::int16_t* lab, std::int16_t* lines, std::int32_t* sums) {
  constexpr int kRowValues = kSide * 3;
  std::int16_t columns[kRowValues] = {};
  std::fill_n(lab + kNearestPatchValues, kLabStride - kNearestPatchValues, 0);
  std::fill_n(lines, kLineStride, 0);
  for (int row = 0; row < kSide; ++row) {
    const std::uint8_t* v = values + row * kRowValues;
    std::int16_t row_sum[3] = {};
    for (int k = 0; k < kRowValues; ++k) {
      lab[row * kRowValues + k] = v[k];
      columns[k] += v[k];
      row_sum[k % 3] += v[k];
    }
    for (int c = 0; c < 3; ++c) lines[row * 3 + c] = row_sum[c];
  }
  for (int c = 0; c < 3; ++c) sums[c] = 0;
  for (int k = 0; k < kRowValues; ++k) {
    lines[kColumnSums + k] = columns[k];
    sums[k % 3] += columns[k];
  }
}

}  // namespace

NearestPatchSearch::NearestPatchSearch(const std::uint8_t* values, const std::array<float, 2>* positions,
                                       std::size_t n)
    : n_(n),
      lab_(n * kLabStride),
      lines_(n * kLineStride),
      sums_(3 * n),
      p0_(n),
      p1_(n),
      keep_((n + kKeepWord - 1) / kKeepWord * kKeepWord, 0),
      line_bounds_(n),
      candidates_(keep_.size()),
      differences_(n),
      q_lab_(kLabStride),
      q_lines_(kLineStride) {
  for (std::size_t i = 0; i < n; ++i) {
    std::array<std::int32_t, 3> sums{};
    describe(values + i * kNearestPatchValues, &lab_[i * kLabStride], &lines_[i * kLineStride], sums.data());
    for (int c = 0; c < 3; ++c) sums_[c * n + i] = sums[c];
    p0_[i] = positions[i][0], p1_[i] = positions[i][1];
  }
}

void NearestPatchSearch::set_query(const std::uint8_t* values, std::array<float, 2> position) {
  describe(values, q_lab_.data(), q_lines_.data(), q_sums_.data());
  q0_ = position[0], q1_ = position[1];
}

// The Lab part summed in integers: every partial sum of squared differences of 8-bit values is an
// integer below 2^24, exact in double in any order, so this is bit for bit the sequential double
// sum in feature order.
double NearestPatchSearch::with_position(std::int32_t lab_part, std::size_t i) const {
  double d = static_cast<double>(lab_part);
  const double t0 = q0_ - p0_[i], t1 = q1_ - p1_[i];
  d += t0 * t0;
  d += t1 * t1;
  return d;
}

double NearestPatchSearch::query_distance(std::size_t i) const {
  const std::uint32_t candidate = static_cast<std::uint32_t>(i);
  std::int32_t lab_part = 0;
  lab_differences(q_lab_.data(), lab_.data(), &candidate, 1, &lab_part);
  return with_position(lab_part, i);
}

double NearestPatchSearch::distance(const std::uint8_t* values, std::array<float, 2> position, std::size_t i) {
  set_query(values, position);
  return query_distance(i);
}

// The line bound of candidate j (patch i): per channel, the squared differences x over the 7x7
// pixels split as in a two-way analysis of variance, Σ x² >= Σ_rows R²/7 + Σ_columns C²/7 − T²/49
// (R, C, T: the differences' row, column and total sums; the rest, the interaction, is a sum of
// squares), so the Lab part is at least (7·Σ (R² + C²) − Σ_channels T²)/49, an integer over 49.
double NearestPatchSearch::line_bound(std::int32_t line_part, std::size_t i) const {
  std::int32_t totals = 0;
  for (int c = 0; c < 3; ++c) {
    const std::int32_t u = q_sums_[c] - sums_[c * n_ + i];
    totals += u * u;
  }
  const double t0 = q0_ - p0_[i], t1 = q1_ - p1_[i];
  return (static_cast<double>(7 * line_part - totals) * kPerPixel + t0 * t0 + t1 * t1) * kBoundMargin;
}

// A threshold (the least distance of the hints, or patch 0's; so at least the least distance)
// keeps the patches whose bounds do not exceed it: the coarse bound, then the line bound, the
// threshold lowered in between to the distance of the patch of least line bound. Bounds never
// exceed distances, so every patch of least distance is kept (and the patch giving the
// threshold: never none); the kept ones get their exact distance, in index order, and the first
// of least distance wins, as in the full scan.
std::size_t NearestPatchSearch::nearest(const std::uint8_t* values, std::array<float, 2> position,
                                        std::array<std::size_t, 2> hints) {
  set_query(values, position);
  double threshold = std::numeric_limits<double>::infinity();
  for (const std::size_t hint : hints)
    if (hint < n_) threshold = std::min(threshold, query_distance(hint));
  if (threshold == std::numeric_limits<double>::infinity()) threshold = query_distance(0);
  coarse_test(&sums_[0], &sums_[n_], &sums_[2 * n_], q_sums_.data(), p0_.data(), p1_.data(), q0_, q1_, n_, threshold,
              keep_.data());
  std::size_t m = 0;
  for (std::size_t start = 0; start < n_; start += kKeepWord) {  // keep_ is zero padded to whole words
    std::uint64_t any;
    std::memcpy(&any, &keep_[start], sizeof any);
    if (any == 0) continue;
    for (std::size_t i = start; i < start + kKeepWord; ++i) {  // branch-free compaction, in order
      candidates_[m] = static_cast<std::uint32_t>(i);
      m += keep_[i];
    }
  }
  line_differences(q_lines_.data(), lines_.data(), candidates_.data(), m, differences_.data());
  for (std::size_t j = 0; j < m; ++j) line_bounds_[j] = line_bound(differences_[j], candidates_[j]);
  const auto least = std::min_element(line_bounds_.begin(), line_bounds_.begin() + m) - line_bounds_.begin();
  threshold = std::min(threshold, query_distance(candidates_[least]));
  std::size_t kept = 0;
  for (std::size_t j = 0; j < m; ++j) {
    candidates_[kept] = candidates_[j];
    kept += line_bounds_[j] <= threshold;
  }
  lab_differences(q_lab_.data(), lab_.data(), candidates_.data(), kept, differences_.data());
  std::size_t best = candidates_[0];
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < kept; ++j) {
    const double d = with_position(differences_[j], candidates_[j]);
    if (d < best_d) best_d = d, best = candidates_[j];
  }
  return best;
}

}  // namespace sodlab::metrics
