// distance_to_mask against brute force on random masks, plus hand-derived tie cases of scipy's
// Maurer feature transform.
#include <catch2/catch.hpp>

#include "core/distance_transform.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

using sodlab::distance_to_mask;

namespace {

void check_against_brute_force(const std::vector<std::uint8_t>& mask, int rows, int cols) {
  const auto field = distance_to_mask(mask.data(), rows, cols);
  REQUIRE(field.rows == rows);
  REQUIRE(field.cols == cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      long best = -1;
      for (int rr = 0; rr < rows; ++rr)
        for (int cc = 0; cc < cols; ++cc)
          if (mask[rr * cols + cc]) {
            const long d2 = long(rr - r) * (rr - r) + long(cc - c) * (cc - c);
            if (best < 0 || d2 < best) best = d2;
          }
      const int i = r * cols + c;
      if (best < 0) {
        REQUIRE(std::isinf(field.distance[i]));
        REQUIRE(field.nearest[i] == -1);
        continue;
      }
      REQUIRE(field.distance[i] == std::sqrt(double(best)));
      const int j = field.nearest[i];
      REQUIRE(j >= 0);
      REQUIRE(mask[j] != 0);
      const int jr = j / cols, jc = j % cols;
      REQUIRE(long(jr - r) * (jr - r) + long(jc - c) * (jc - c) == best);
      if (mask[i]) REQUIRE(j == i);
    }
  }
}

}  // namespace

TEST_CASE("distance_to_mask matches brute force on random masks") {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + int(rng() % 23), cols = 1 + int(rng() % 23);
    const double density = (trial % 5 == 0) ? 0.005 : std::uniform_real_distribution<>(0.01, 0.6)(rng);
    std::bernoulli_distribution bit(density);
    std::vector<std::uint8_t> mask(rows * cols);
    for (auto& m : mask) m = bit(rng) ? std::uint8_t(1 + rng() % 255) : 0;
    check_against_brute_force(mask, rows, cols);
  }
}

TEST_CASE("distance_to_mask: no target, all targets, empty image") {
  std::vector<std::uint8_t> none(12, 0), all(12, 255);
  auto a = distance_to_mask(none.data(), 3, 4);
  for (int i = 0; i < 12; ++i) {
    CHECK(std::isinf(a.distance[i]));
    CHECK(a.nearest[i] == -1);
  }
  auto b = distance_to_mask(all.data(), 3, 4);
  for (int i = 0; i < 12; ++i) {
    CHECK(b.distance[i] == 0.0);
    CHECK(b.nearest[i] == i);
  }
  auto e = distance_to_mask(nullptr, 0, 5);
  CHECK(e.distance.empty());
  CHECK(e.nearest.empty());
}

TEST_CASE("distance_to_mask breaks ties like scipy (column pass first, earlier index wins)") {
  // 1x3, targets at both ends: the middle goes to the left one.
  std::vector<std::uint8_t> m1{1, 0, 1};
  CHECK(distance_to_mask(m1.data(), 1, 3).nearest[1] == 0);
  // 3x1, targets at both ends: the middle goes to the upper one.
  CHECK(distance_to_mask(m1.data(), 3, 1).nearest[1] == 0);
  // 3x3, targets (0,2) and (2,0): the centre goes to (2,0) = index 6, found in column 0 during
  // the row pass (not the smaller linear index 2).
  std::vector<std::uint8_t> m2{0, 0, 1, 0, 0, 0, 1, 0, 0};
  auto f2 = distance_to_mask(m2.data(), 3, 3);
  CHECK(f2.nearest[4] == 6);
  CHECK(f2.distance[4] == Approx(std::sqrt(2.0)).epsilon(0));
  // 3x3, targets (0,0) and (2,2): the centre goes to (0,0).
  std::vector<std::uint8_t> m3{1, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(distance_to_mask(m3.data(), 3, 3).nearest[4] == 0);
  // Column with targets at rows 0 and 2: (1,1) ties between (0,1) and (2,1) -> (0,1).
  std::vector<std::uint8_t> m4{0, 1, 0, 0, 0, 0, 0, 1, 0};
  CHECK(distance_to_mask(m4.data(), 3, 3).nearest[3] == 1);
}

TEST_CASE("FeatureTransform lookups agree with the row pass on every pixel") {
  // nearest_within (outward scan) and nearest_in_window must return exactly row()'s answer,
  // including scipy's tie order; random masks of all densities, targets in few or many rows.
  std::mt19937 rng(777);
  sodlab::FeatureTransform ft;
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + int(rng() % 31), cols = 1 + int(rng() % 31);
    const double density = (trial % 4 == 0) ? 0.003 : std::uniform_real_distribution<>(0.005, 0.7)(rng);
    std::bernoulli_distribution bit(density);
    std::vector<std::uint8_t> mask(rows * cols);
    for (auto& m : mask) m = bit(rng) ? 1 : 0;
    ft.reset(mask.data(), rows, cols);
    std::vector<std::int32_t> d2(cols), nearest(cols), part(cols, -7);
    for (int r = 0; r < rows; ++r) {
      ft.row(r, d2.data(), nearest.data());
      // A column range without indices writes the same distances there and nothing elsewhere.
      const int from = int(rng() % cols), to = from + int(rng() % (cols - from + 1));
      std::fill(part.begin(), part.end(), -7);
      ft.row(r, part.data(), nullptr, from, to);
      for (int c = 0; c < cols; ++c) REQUIRE(part[c] == (c >= from && c < to ? d2[c] : -7));
      for (int c = 0; c < cols; ++c) {
        std::int32_t qd2 = -2, qn = -2;
        const bool found = ft.nearest_within(r, c, cols, qd2, qn);
        if (!ft.has_targets()) {
          REQUIRE(!found);
          REQUIRE(d2[c] == -1);
          continue;
        }
        REQUIRE(found);
        REQUIRE(qd2 == d2[c]);
        REQUIRE(qn == nearest[c]);
        // A window of floor(sqrt(d2)) columns holds every nearest candidate.
        const int radius = static_cast<int>(std::sqrt(static_cast<double>(d2[c])));
        REQUIRE(ft.nearest_in_window(r, c, radius) == nearest[c]);
        // A too small max_k gives up rather than answering wrongly.
        std::int32_t sd2, sn;
        if (ft.nearest_within(r, c, 1, sd2, sn)) {
          REQUIRE(sd2 == d2[c]);
          REQUIRE(sn == nearest[c]);
        }
      }
    }
  }
}
