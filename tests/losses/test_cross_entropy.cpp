// torch (which pulls in glog's CHECK) must come before Catch2 so that CHECK is Catch's.
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "losses/cross_entropy.h"
#include "losses/registry.h"

#include <cmath>

using namespace sodlab;
using namespace sodlab::losses;
using sodlab::testing::dbl;
using sodlab::testing::grad_error;

namespace {

std::unique_ptr<Loss> make(const std::string& name, std::vector<std::string> sets = {}) {
  Options o;
  for (const auto& s : sets) o.set_from_assignment(s);
  return make_loss(name, o);
}

double value(const Loss& l, const torch::Tensor& logits, const torch::Tensor& mask) {
  return l.forward(logits, l.prepare(mask)).item<double>();
}

}  // namespace

TEST_CASE("ce: hand-computed values and the two-class head", "[losses][ce]") {
  auto x = dbl({0.0, std::log(3.0), -std::log(3.0), 2.0}, {1, 1, 2, 2});
  auto y = dbl({1, 0, 0, 1}, {1, 1, 2, 2});
  // −log σ(0) = ln 2; −log(1 − σ(ln 3)) = ln 4; −log(1 − σ(−ln 3)) = ln(4/3); −log σ(2) = log(1 + e^−2)
  const double expect = (std::log(2.0) + std::log(4.0) + std::log(4.0 / 3) + std::log1p(std::exp(-2.0))) / 4;
  auto ce = make("ce");
  CHECK(value(*ce, x, y) == Approx(expect).epsilon(1e-14));
  // Two-class head: channel 1 − channel 0 is the binary logit.
  auto z0 = dbl({0.5, -1.0, 2.0, 0.0}, {1, 1, 2, 2});
  auto two = torch::cat({z0, z0 + x}, 1);
  CHECK(value(*ce, two, y) == Approx(expect).epsilon(1e-14));
  CHECK(grad_error([&](const torch::Tensor& v) { return ce->forward(v, ce->prepare(y)); }, x) < 1e-7);
}

TEST_CASE("weighted_ce: hand-computed weights", "[losses][ce]") {
  auto x = dbl({0.0, std::log(3.0)}, {1, 1, 1, 2});
  auto y = dbl({1, 0}, {1, 1, 1, 2});
  auto fg2 = make("weighted_ce");  // defaults: fg 2, bg 1
  CHECK(value(*fg2, x, y) == Approx((2 * std::log(2.0) + std::log(4.0)) / 2).epsilon(1e-14));
  auto bg2 = make("weighted_ce", {"fg_weight=1", "bg_weight=2"});
  CHECK(value(*bg2, x, y) == Approx((std::log(2.0) + 2 * std::log(4.0)) / 2).epsilon(1e-14));
  auto r = torch::randn({2, 1, 3, 4}, torch::kDouble);
  auto m = (torch::rand({2, 1, 3, 4}, torch::kDouble) > 0.5).to(torch::kDouble);
  CHECK(grad_error([&](const torch::Tensor& v) { return bg2->forward(v, bg2->prepare(m)); }, r) < 1e-7);
}

TEST_CASE("ce_dnc_band: the band is width px on both sides of the boundary", "[losses][ce]") {
  // One row: background at columns 0..3, mask at 4..8.
  auto y = dbl({0, 0, 0, 0, 1, 1, 1, 1, 1}, {1, 1, 1, 9});
  auto x = dbl({-1, -2, -3, -4, 1, 2, 3, 4, 5}, {1, 1, 1, 9});
  auto w1 = make("ce_dnc_band", {"width=1"});
  auto t1 = w1->prepare(y);
  CHECK(torch::equal(t1.maps.at("band"), dbl({0, 0, 0, 1, 1, 0, 0, 0, 0}, {1, 1, 1, 9})));
  auto w3 = make("ce_dnc_band");  // width 3
  auto t3 = w3->prepare(y);
  CHECK(torch::equal(t3.maps.at("band"), dbl({0, 1, 1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 9})));
  // Kept pixels: columns 0, 7, 8 → mean of log(1 + e^{−|x|}) over x = −1, 4, 5.
  const double expect = (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-4.0)) + std::log1p(std::exp(-5.0))) / 3;
  CHECK(w3->forward(x, t3).item<double>() == Approx(expect).epsilon(1e-14));
  // Diagonal distances are Euclidean: (1,1) is √2 from the corner pixel.
  auto sq = torch::zeros({1, 1, 3, 3}, torch::kDouble);
  sq[0][0][0][0] = 1;
  auto band = w1->prepare(sq).maps.at("band");
  CHECK(band[0][0][1][1].item<double>() == 0);  // √2 > 1
  CHECK(band[0][0][0][1].item<double>() == 1);
  // An empty mask has no boundary: nothing ignored, so the loss is plain CE.
  auto empty = torch::zeros({1, 1, 1, 9}, torch::kDouble);
  CHECK(value(*w3, x, empty) == Approx(value(*make("ce"), x, empty)).epsilon(1e-14));
  auto r = torch::randn({1, 1, 1, 9}, torch::kDouble);
  CHECK(grad_error([&](const torch::Tensor& v) { return w3->forward(v, t3); }, r) < 1e-7);
}

TEST_CASE("registry: names, resolved options, unknown names and options", "[losses][registry]") {
  const std::vector<std::string> names{"af_fbeta_w", "ce", "ce_dnc_band", "menet", "weighted_ce"};
  CHECK(loss_registry().names() == names);
  Options o;
  auto af = make_loss("af_fbeta_w", o);
  const auto& r = o.resolved();
  for (const char* k : {"use_A", "use_B", "beta2", "theta", "sigma", "phi", "alpha", "kernel",
                        "kernel_norm", "edge", "b_distance", "error", "eps", "implementation"})
    CHECK(r.count(k) == 1);
  CHECK(std::get<double>(r.at("sigma")) == 2.25);
  CHECK(std::get<std::int64_t>(r.at("theta")) == 9);
  Options bad;
  bad.set_from_assignment("thetta=3");
  try {
    make_loss("af_fbeta_w", bad);
    FAIL("unknown option accepted");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("theta"));
  }
  Options none;
  try {
    make_loss("af_fbeta", none);
    FAIL("unknown loss accepted");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("af_fbeta_w"));
  }
  Options wrong;
  wrong.set_from_assignment("kernel=box");
  CHECK_THROWS_AS(make_loss("af_fbeta_w", wrong), InputError);
  Options eq9sep;
  eq9sep.set_from_assignment("kernel=paper_eq9");
  eq9sep.set_from_assignment("implementation=separable");
  CHECK_THROWS_AS(make_loss("af_fbeta_w", eq9sep), InputError);
  // Shape mismatch → InputError.
  auto ce = make("ce");
  CHECK_THROWS_AS(ce->forward(torch::zeros({1, 1, 2, 2}), ce->prepare(torch::zeros({1, 1, 2, 3}))),
                  InputError);
  CHECK_THROWS_AS(ce->forward(torch::zeros({1, 3, 2, 2}), ce->prepare(torch::zeros({1, 1, 2, 2}))),
                  InputError);
}
