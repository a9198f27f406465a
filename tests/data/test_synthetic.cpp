#include <catch2/catch.hpp>

#include <set>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "data/random.h"
#include "data/splits.h"
#include "data/synthetic.h"

using namespace sodlab::data;

namespace {
bool equal(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}
}  // namespace

TEST_CASE("synthetic dataset is deterministic from the seed and lazily indexable", "[data][synthetic]") {
  SyntheticDataset a({20, 64, 7}), b({20, 64, 7}), c({20, 64, 8});
  REQUIRE(a.size() == 20);
  // Same seed → identical samples, in any access order.
  for (int i : {13, 0, 19, 5}) {
    const Sample x = a.get(i), y = b.get(i);
    CHECK(x.stem == y.stem);
    CHECK(equal(x.image, y.image));
    CHECK(equal(x.mask, y.mask));
  }
  CHECK(a.manifest_sha() == b.manifest_sha());
  CHECK(a.manifest_sha() != c.manifest_sha());
  // Another seed or another index → different images.
  CHECK_FALSE(equal(a.get(3).image, c.get(3).image));
  CHECK_FALSE(equal(a.get(3).image, a.get(4).image));
  CHECK_THROWS_AS(a.get(20), sodlab::InputError);
  CHECK_THROWS_AS(SyntheticDataset({0, 64, 0}), sodlab::InputError);
}

TEST_CASE("synthetic objects are non-empty, partial and differ from the background", "[data][synthetic]") {
  SyntheticDataset ds({40, 96, 3});
  int contrasting = 0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const Sample s = ds.get(i);
    REQUIRE(s.image.type() == CV_8UC3);
    REQUIRE(s.mask.type() == CV_8UC1);
    REQUIRE(s.image.size() == cv::Size(96, 96));
    const int fg = cv::countNonZero(s.mask);
    CHECK(fg > 0.02 * 96 * 96);  // a real object
    CHECK(fg < 0.8 * 96 * 96);   // not the whole image
    // Only 0 and 255 in the mask.
    cv::Mat other = (s.mask != 0) & (s.mask != 255);
    CHECK(cv::countNonZero(other) == 0);
    const cv::Scalar in = cv::mean(s.image, s.mask), out = cv::mean(s.image, ~s.mask);
    const double d = std::sqrt((in[0] - out[0]) * (in[0] - out[0]) + (in[1] - out[1]) * (in[1] - out[1]) +
                               (in[2] - out[2]) * (in[2] - out[2]));
    if (d > 40) ++contrasting;
  }
  // Mean-colour contrast between object and background for nearly all images (the colour is
  // drawn >= 110 away from the background's mean colour; texture and lighting blur it a little).
  CHECK(contrasting >= 36);
}

TEST_CASE("k-fold test parts are disjoint, cover everything and are seeded", "[data][kfold]") {
  const std::size_t n = 23;
  const int k = 5;
  std::vector<int> seen(n, 0);
  for (int f = 0; f < k; ++f) {
    const FoldIndices fi = kfold(n, k, f, 11);
    CHECK(fi.train.size() + fi.test.size() == n);
    CHECK((fi.test.size() == 4 || fi.test.size() == 5));
    for (auto i : fi.test) seen[i]++;
    std::vector<int> in_train(n, 0);
    for (auto i : fi.train) in_train[i]++;
    for (auto i : fi.test) CHECK(in_train[i] == 0);
  }
  for (int s : seen) CHECK(s == 1);
  CHECK(kfold(n, k, 2, 11).test == kfold(n, k, 2, 11).test);
  CHECK(kfold(n, k, 2, 11).test != kfold(n, k, 2, 12).test);
  CHECK_THROWS_AS(kfold(n, 1, 0, 0), sodlab::InputError);
  CHECK_THROWS_AS(kfold(n, 5, 5, 0), sodlab::InputError);
  CHECK_THROWS_AS(kfold(3, 4, 0, 0), sodlab::InputError);
}

TEST_CASE("validation hold-out: disjoint, the requested size, seeded", "[data][kfold]") {
  auto base = std::make_shared<SyntheticDataset>(SyntheticSpec{20, 24, 3});
  const auto a = holdout_datasets(base, 0.1, 0), b = holdout_datasets(base, 0.1, 0);
  REQUIRE(a.test->size() == 2);
  REQUIRE(a.train->size() == 18);
  std::set<std::string> train, val;
  for (std::size_t i = 0; i < a.train->size(); ++i) train.insert(a.train->stem(i));
  for (std::size_t i = 0; i < a.test->size(); ++i) {
    val.insert(a.test->stem(i));
    CHECK(a.test->stem(i) == b.test->stem(i));
  }
  for (const auto& v : val) CHECK(train.count(v) == 0);
  CHECK(train.size() + val.size() == 20);
  CHECK(holdout_datasets(base, 0.01, 0).test->size() == 1);  // at least one
  CHECK(a.train->manifest_sha() != base->manifest_sha());
  CHECK_THROWS_AS(holdout_datasets(base, 0, 0), sodlab::InputError);
  CHECK_THROWS_AS(holdout_datasets(base, 1.0, 0), sodlab::InputError);
}

TEST_CASE("portable RNG: uniform and normal moments", "[data][random]") {
  Rng rng(derive_seed(1, "test"));
  double s = 0, s2 = 0, u = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z, s2 += z * z, u += rng.uniform();
  }
  CHECK(s / n == Approx(0).margin(0.01));
  CHECK(s2 / n == Approx(1).epsilon(0.02));
  CHECK(u / n == Approx(0.5).margin(0.005));
  CHECK(derive_seed(1, "a", 2, 3) != derive_seed(1, "a", 3, 2));
  CHECK(derive_seed(1, "a", 2, 3) != derive_seed(1, "b", 2, 3));
}
