// NearestPatchSearch (the camouflage degree's pruned exact search) against a full scan in order
// (the distance summed in double in feature order, the first of equal distances kept), on random
// patches: values over the whole 8-bit range, over {0, 1} and a handful of distinct patches
// (many exact ties, in values and positions), positions on a coarse grid and in float; every
// pair of hints, including none, the last patch and the answer.
#include <catch2/catch.hpp>

#include "metrics/nearest_patch.h"

#include <limits>
#include <random>
#include <vector>

using namespace sodlab::metrics;

namespace {

// The distance as the definition sums it: in double, in feature order.
double scan_distance(const std::vector<std::uint8_t>& values, const std::vector<std::array<float, 2>>& positions,
                     const std::uint8_t* q, std::array<float, 2> qp, std::size_t i) {
  double d = 0;
  for (int k = 0; k < kNearestPatchValues; ++k) {
    const double t = double(q[k]) - double(values[i * kNearestPatchValues + k]);
    d += t * t;
  }
  for (int k = 0; k < 2; ++k) {
    const double t = double(qp[k]) - double(positions[i][k]);
    d += t * t;
  }
  return d;
}

std::size_t full_scan(const std::vector<std::uint8_t>& values, const std::vector<std::array<float, 2>>& positions,
                      const std::uint8_t* q, std::array<float, 2> qp) {
  std::size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const double d = scan_distance(values, positions, q, qp, i);
    if (d < best_d) best_d = d, best = i;
  }
  return best;
}

struct Case {
  int max_value, distinct_patches, n, queries;
  bool grid;
};

}  // namespace

TEST_CASE("NearestPatchSearch finds the full scan's patch, ties to the first", "[metrics][ccm]") {
  std::mt19937_64 rng(42);
  for (const Case c : {Case{255, 0, 300, 60, false}, Case{1, 0, 200, 60, true}, Case{255, 4, 100, 60, true},
                       Case{3, 0, 500, 40, false}, Case{255, 0, 1, 10, false}, Case{30, 0, 9, 30, true},
                       Case{255, 3, 17, 30, false}}) {
    std::uniform_int_distribution<int> value(0, c.max_value), grid(-2, 2), pick(0, std::max(c.distinct_patches - 1, 0));
    std::uniform_real_distribution<float> coordinate(-40, 40);
    auto position = [&] {
      return c.grid ? std::array<float, 2>{float(grid(rng)) * 20, float(grid(rng)) * 20}
                    : std::array<float, 2>{coordinate(rng), coordinate(rng)};
    };
    std::vector<std::uint8_t> distinct(std::max(c.distinct_patches, 1) * kNearestPatchValues);
    for (auto& v : distinct) v = value(rng);
    auto patch_into = [&](std::uint8_t* out) {
      if (c.distinct_patches == 0)
        for (int k = 0; k < kNearestPatchValues; ++k) out[k] = value(rng);
      else
        std::copy_n(&distinct[pick(rng) * kNearestPatchValues], kNearestPatchValues, out);
    };
    std::vector<std::uint8_t> values(c.n * kNearestPatchValues);
    std::vector<std::array<float, 2>> positions(c.n);
    for (int i = 0; i < c.n; ++i) patch_into(&values[i * kNearestPatchValues]), positions[i] = position();
    NearestPatchSearch search(values.data(), positions.data(), c.n);
    std::vector<std::uint8_t> q(kNearestPatchValues);
    for (int k = 0; k < c.queries; ++k) {
      if (k % 3 == 0 && c.n > 1) {  // a query equal to a patch: distance 0, perhaps shared
        const int i = std::uniform_int_distribution<int>(0, c.n - 1)(rng);
        std::copy_n(&values[i * kNearestPatchValues], kNearestPatchValues, q.data());
      } else {
        patch_into(q.data());
      }
      const std::array<float, 2> qp = position();
      const std::size_t want = full_scan(values, positions, q.data(), qp);
      INFO("case n " << c.n << " max " << c.max_value << " query " << k);
      for (std::size_t hint = 0; hint < std::size_t(c.n) + 2; hint += std::max(1, c.n / 7))
        REQUIRE(search.nearest(q.data(), qp, {hint, std::size_t(c.n) - 1 - std::min<std::size_t>(hint, c.n - 1)}) == want);
      const std::size_t none = std::numeric_limits<std::size_t>::max();
      REQUIRE(search.nearest(q.data(), qp, {none, none}) == want);
      REQUIRE(search.nearest(q.data(), qp, {std::size_t(c.n) - 1, none}) == want);
      REQUIRE(search.nearest(q.data(), qp, {none, want}) == want);
      CHECK(search.distance(q.data(), qp, want) == scan_distance(values, positions, q.data(), qp, want));
    }
  }
}
