// The paired statistics (src/stats) on hand-computed cases and against scipy 1.10
// (scipy_fixtures.h, written by make_scipy_fixtures.py).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "scipy_fixtures.h"
#include "stats/bootstrap.h"
#include "stats/holm.h"
#include "stats/paired.h"
#include "stats/rng.h"
#include "stats/wilcoxon.h"

using namespace sodlab;
using namespace sodlab::stats;
using Catch::Detail::Approx;

TEST_CASE("wilcoxon signed-rank: exact p-values counted by hand", "[stats][wilcoxon]") {
  // All five positive: R+ = 15 is the extreme of 2^5 sign patterns; two-sided p = 2/32.
  auto r = wilcoxon_signed_rank({1, 2, 3, 4, 5});
  CHECK(r.method == WilcoxonResult::Method::exact);
  CHECK(r.statistic == 0);
  CHECK(r.p == Approx(2.0 / 32).epsilon(1e-14));
  // R+ = 1+3+4+5 = 13, R- = 2: P(R+ <= 2) = #{ {}, {1}, {2} } / 32, doubled.
  r = wilcoxon_signed_rank({1, -2, 3, 4, 5});
  CHECK(r.statistic == 2);
  CHECK(r.p == Approx(6.0 / 32).epsilon(1e-14));
  // The centre of the distribution: p = 1 (R+ = R- = 3 for ranks 1, 2 | 3).
  CHECK(wilcoxon_signed_rank({-1, -2, 3}).p == 1.0);
  // The sign of the differences does not matter to a two-sided test.
  CHECK(wilcoxon_signed_rank({-1, 2, -3, -4, -5}).p == Approx(6.0 / 32).epsilon(1e-14));
}

TEST_CASE("wilcoxon signed-rank: normal approximation with ties and zeros, by hand", "[stats][wilcoxon]") {
  // Zero dropped; |d| = 1, 1, 2, 2 -> ranks 1.5, 1.5, 3.5, 3.5; R+ = 8.5, R- = 1.5 = T.
  // var = 4*5*9/24 - (6 + 6)/48 = 7.25; z = (1.5 - 5) / sqrt(7.25).
  const auto r = wilcoxon_signed_rank({1, -1, 2, 2, 0});
  CHECK(r.method == WilcoxonResult::Method::normal);
  CHECK(r.n == 4);
  CHECK(r.zeros == 1);
  CHECK(r.statistic == 1.5);
  CHECK(r.z == Approx(-3.5 / std::sqrt(7.25)).epsilon(1e-14));
  CHECK(r.p == Approx(std::erfc(3.5 / std::sqrt(7.25) / std::sqrt(2.0))).epsilon(1e-14));
  // Nothing but zeros: no test.
  const auto none = wilcoxon_signed_rank({0, 0, 0});
  CHECK(none.method == WilcoxonResult::Method::none);
  CHECK(std::isnan(none.p));
  CHECK_THROWS_AS(wilcoxon_signed_rank({1, std::nan("")}), InputError);
}

TEST_CASE("wilcoxon signed-rank equals scipy.stats.wilcoxon", "[stats][wilcoxon][scipy]") {
  using namespace scipy_fixtures;
  struct Case {
    const std::vector<double>& d;
    double T, p;
    WilcoxonResult::Method method;
  };
  const std::vector<Case> cases{{wilcoxon_exact20, wilcoxon_exact20_T, wilcoxon_exact20_p, WilcoxonResult::Method::exact},
                                {wilcoxon_exact45, wilcoxon_exact45_T, wilcoxon_exact45_p, WilcoxonResult::Method::exact},
                                {wilcoxon_ties120, wilcoxon_ties120_T, wilcoxon_ties120_p, WilcoxonResult::Method::normal},
                                {wilcoxon_ties300, wilcoxon_ties300_T, wilcoxon_ties300_p, WilcoxonResult::Method::normal},
                                {wilcoxon_zeros12, wilcoxon_zeros12_T, wilcoxon_zeros12_p, WilcoxonResult::Method::normal}};
  for (const auto& c : cases) {
    const auto r = wilcoxon_signed_rank(c.d);
    INFO("n = " << c.d.size());
    CHECK(r.method == c.method);
    CHECK(r.statistic == Approx(c.T).epsilon(1e-12));
    CHECK(r.p == Approx(c.p).epsilon(1e-10));
  }
}

TEST_CASE("holm adjustment by hand", "[stats][holm]") {
  // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max.
  const auto a = holm_adjust({0.01, 0.04, 0.03, 0.005});
  REQUIRE(a.size() == 4);
  CHECK(a[0] == Approx(0.03));
  CHECK(a[1] == Approx(0.06));
  CHECK(a[2] == Approx(0.06));
  CHECK(a[3] == Approx(0.02));
  // NaN = no comparison: left out of m.
  const auto b = holm_adjust({std::nan(""), 0.02, 0.04});
  CHECK(std::isnan(b[0]));
  CHECK(b[1] == Approx(0.04));
  CHECK(b[2] == Approx(0.04));
  CHECK(holm_adjust({0.6, 0.7})[1] == 1.0);  // capped at 1
}

TEST_CASE("quantiles interpolate linearly (numpy's default)", "[stats][bootstrap]") {
  const std::vector<double> s{1, 2, 3, 4};
  CHECK(quantile_sorted(s, 0) == 1);
  CHECK(quantile_sorted(s, 0.25) == Approx(1.75));
  CHECK(quantile_sorted(s, 0.5) == Approx(2.5));
  CHECK(quantile_sorted(s, 1) == 4);
  CHECK(quantile_sorted({7}, 0.975) == 7);
}

TEST_CASE("rng: bounded draws are uniform and repeat with the seed", "[stats][rng]") {
  Rng a(42), b(42), c(43);
  std::vector<int> counts(6, 0);
  bool differs = false;
  for (int i = 0; i < 60000; ++i) {
    const std::size_t x = a.below(6);
    CHECK(x == b.below(6));
    differs = differs || x != c.below(6);
    ++counts[x];
  }
  CHECK(differs);
  for (int k : counts) CHECK(std::abs(k - 10000) < 450);  // > 4.9 standard deviations
  CHECK(Rng(1).below(1) == 0);
}

TEST_CASE("bootstrap interval of a mean: degenerate, seeded, and as scipy's", "[stats][bootstrap][scipy]") {
  BootstrapOptions o;
  // Every resample of a constant has the constant as its mean.
  const auto flat = bootstrap_mean_interval({0.25, 0.25, 0.25}, o);
  CHECK(flat.lo == 0.25);
  CHECK(flat.hi == 0.25);
  CHECK_FALSE(flat.excludes(0.25));
  CHECK(flat.excludes(0.0));

  using namespace scipy_fixtures;
  o.resamples = 20000;
  o.seed = 7;
  const auto i1 = bootstrap_mean_interval(boot_mean, o);
  const auto i2 = bootstrap_mean_interval(boot_mean, o);
  CHECK(i1.lo == i2.lo);
  CHECK(i1.hi == i2.hi);
  o.seed = 8;
  const auto i3 = bootstrap_mean_interval(boot_mean, o);
  CHECK(i3.lo != i1.lo);
  // Monte Carlo: the endpoints agree with scipy.stats.bootstrap(method="percentile") within
  // 0.1 standard errors of the mean (about 5 Monte Carlo standard errors of an endpoint).
  CHECK(std::fabs(i1.lo - boot_mean_lo) < 0.1 * boot_mean_se);
  CHECK(std::fabs(i1.hi - boot_mean_hi) < 0.1 * boot_mean_se);
  // A 90 % interval is narrower: the level is used.
  o.level = 0.9;
  const auto i90 = bootstrap_mean_interval(boot_mean, o);
  CHECK(i90.lo > i3.lo);
  CHECK(i90.hi < i3.hi);

  o.resamples = 0;
  CHECK_THROWS_AS(bootstrap_mean_interval(boot_mean, o), InputError);
  CHECK_THROWS_AS(bootstrap_mean_interval({}, BootstrapOptions{}), InputError);
}

TEST_CASE("paired bootstrap of maxF over images equals scipy's", "[stats][bootstrap][scipy]") {
  using namespace scipy_fixtures;
  std::vector<std::vector<double>> a(maxf_images), b(maxf_images);
  for (int i = 0; i < maxf_images; ++i) {
    a[i].assign(maxf_a.begin() + i * maxf_thresholds, maxf_a.begin() + (i + 1) * maxf_thresholds);
    b[i].assign(maxf_b.begin() + i * maxf_thresholds, maxf_b.begin() + (i + 1) * maxf_thresholds);
  }
  BootstrapOptions o;
  o.resamples = 20000;
  const auto d = paired_bootstrap_dataset(a, b, max_of, o);
  CHECK(d.a == Approx(maxf_a_value).epsilon(1e-12));
  CHECK(d.b == Approx(maxf_b_value).epsilon(1e-12));
  CHECK(d.difference == Approx(maxf_a_value - maxf_b_value).epsilon(1e-10));
  CHECK(d.images == maxf_images);
  CHECK(d.resamples == 20000);
  CHECK(std::fabs(d.interval.lo - maxf_lo) < 0.15 * maxf_se);
  CHECK(std::fabs(d.interval.hi - maxf_hi) < 0.15 * maxf_se);
  // Not the mean of per-image maxima: the metric is recomputed from each resample's mean curve.
  double mean_of_max = 0;
  for (const auto& row : a) mean_of_max += max_of(row);
  CHECK(std::fabs(mean_of_max / maxf_images - d.a) > 1e-3);
  b.pop_back();
  CHECK_THROWS_AS(paired_bootstrap_dataset(a, b, max_of, o), InputError);
}

TEST_CASE("paired comparison: per-image differences, images as units", "[stats][paired]") {
  BootstrapOptions o;
  // Image x: two seeds, differences 0.1 and 0.3 -> 0.2; image y: one unit, 0.4.
  const std::vector<PairedUnit> units{{"x", 0.6, 0.5}, {"x", 0.8, 0.5}, {"y", 0.9, 0.5}};
  const auto c = compare_paired(units, o);
  CHECK(c.units == 3);
  CHECK(c.images == 2);
  CHECK(c.mean == Approx((0.7 + 0.9) / 2));
  CHECK(c.reference_mean == Approx(0.5));
  CHECK(c.difference == Approx(0.3));
  CHECK(c.wilcoxon.n == 2);
  CHECK(std::isnan(c.p_holm));
  CHECK(c.resamples == 2000);
  // Each resample's mean lies between the two images' differences.
  CHECK(c.interval.lo >= 0.2 - 1e-12);
  CHECK(c.interval.hi <= 0.4 + 1e-12);
  CHECK(c.significant());

  // A seed repeated with identical values changes nothing (the image is the unit).
  std::vector<PairedUnit> one, two;
  for (int i = 0; i < 30; ++i) {
    const double v = 0.5 + 0.01 * ((i * 7) % 11) - 0.05, r = 0.5;
    one.push_back({"img" + std::to_string(i), v, r});
    two.push_back({"img" + std::to_string(i), v, r});
    two.push_back({"img" + std::to_string(i), v, r});
  }
  const auto c1 = compare_paired(one, o), c2 = compare_paired(two, o);
  CHECK(c1.interval.lo == c2.interval.lo);
  CHECK(c1.interval.hi == c2.interval.hi);
  CHECK(c1.wilcoxon.p == c2.wilcoxon.p);
  CHECK(c2.units == 60);
  CHECK(c2.images == 30);
  // No difference at all: not significant.
  std::vector<PairedUnit> same;
  for (int i = 0; i < 10; ++i) same.push_back({std::to_string(i), 0.1 * i, 0.1 * i});
  const auto s = compare_paired(same, o);
  CHECK_FALSE(s.significant());
  CHECK(s.wilcoxon.method == WilcoxonResult::Method::none);
  CHECK_THROWS_AS(compare_paired({}, o), InputError);
  CHECK_THROWS_AS(compare_paired({{"x", std::nan(""), 1}}, o), InputError);
}
