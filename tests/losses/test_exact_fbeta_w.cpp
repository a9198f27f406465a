// torch (which pulls in glog's CHECK) must come before Catch2 so that CHECK is Catch's.
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "losses/af_fbeta_w.h"
#include "losses/exact_fbeta_w.h"

#include <cmath>

using namespace sodlab;
using namespace sodlab::losses;
using sodlab::testing::dbl;

TEST_CASE("exact F_beta^w: hand-computed two-pixel case", "[losses][exact]") {
  // mask [1 0], prediction [0.5 0.5]: E = (0.5, 0.5); (AE)_0 = s·0.5 < 0.5; B_1 = 2 − 0.5^{1/5}.
  auto mask = dbl({1, 0}, {1, 2}), pred = dbl({0.5, 0.5}, {1, 2});
  ExactFbetaWOptions o;
  o.kernel_norm = "paper";
  const double s = 1 / std::sqrt(2 * M_PI * 25), b1 = 2 - std::pow(0.5, 0.2), eps = o.eps;
  const double tp = 1 - 0.5 * s, fp = 0.5 * b1, fn = 0.5 * s;
  const double p = tp / (tp + fp + eps), r = tp / (tp + fn + eps);
  const double expect = 2 * p * r / (p + r + eps);
  CHECK(exact_fbeta_w_dense(pred, mask, o) == Approx(expect).epsilon(1e-14));
  CHECK(exact_fbeta_w(pred, mask, o) == Approx(expect).epsilon(1e-14));
  CHECK(exact_fbeta_w(pred, torch::zeros_like(mask), o) == 0.0);
  CHECK_THROWS_AS(exact_fbeta_w(pred, dbl({1, 0, 0}, {1, 3}), o), InputError);
  CHECK_THROWS_AS(exact_fbeta_w_dense(torch::zeros({70, 70}), torch::zeros({70, 70})), InputError);
}

TEST_CASE("exact F_beta^w: the O(n(H+W)) form equals the n×n definition to 1e-9",
          "[losses][exact]") {
  torch::manual_seed(11);
  for (auto [h, w] : std::vector<std::pair<int, int>>{{12, 15}, {20, 20}, {9, 31}}) {
    // A blob plus random pixels, and a soft prediction.
    auto mask = torch::zeros({h, w}, torch::kDouble);
    mask.narrow(0, h / 4, h / 2).narrow(1, w / 3, w / 2).fill_(1);
    mask = torch::max(mask, (torch::rand({h, w}, torch::kDouble) > 0.93).to(torch::kDouble));
    auto pred = (0.6 * mask + 0.4 * torch::rand({h, w}, torch::kDouble)).clamp(0, 1);
    for (const char* norm : {"sum1", "paper"})
      for (const char* err : {"absolute", "squared"})
        for (double beta2 : {1.0, 0.3})
          for (double sigma : {5.0, 1.5}) {
            ExactFbetaWOptions o;
            o.kernel_norm = norm;
            o.error = err;
            o.beta2 = beta2;
            o.sigma = sigma;
            const double dense = exact_fbeta_w_dense(pred, mask, o);
            INFO(h << "x" << w << " " << norm << " " << err << " " << beta2 << " " << sigma);
            CHECK(dense > 0.1);
            CHECK(std::abs(exact_fbeta_w(pred, mask, o) - dense) < 1e-9);
            CHECK(std::abs(exact_fbeta_w_pairwise(pred, mask, o) - dense) < 1e-9);  // Kolkin §5.5's timer
          }
  }
  CHECK(exact_fbeta_w_pairwise(torch::rand({5, 6}), torch::zeros({5, 6})) == 0.0);
}

TEST_CASE("exact F_beta^w: truncation is what makes AF differ", "[losses][exact]") {
  // The AF machinery with a window covering the image, Δ = d untruncated and the exact metric's
  // lattice normalisation reproduces the exact metric.
  torch::manual_seed(2);
  auto mask = torch::zeros({16, 16}, torch::kDouble);
  mask.narrow(0, 4, 8).narrow(1, 3, 9).fill_(1);
  auto pred = (0.7 * mask + 0.3 * torch::rand({16, 16}, torch::kDouble));
  ExactFbetaWOptions o;
  o.kernel_norm = "paper";
  const double exact = exact_fbeta_w(pred, mask, o);
  Options opt;
  for (const char* s : {"error=absolute", "b_distance=euclidean", "phi=inf", "theta=15", "sigma=5",
                        "kernel_norm=paper", "eps=2.220446049250313e-16"})
    opt.set_from_assignment(s);
  AfFbetaW full(AfFbetaWOptions::from(opt));
  auto m4 = mask.view({1, 1, 16, 16});
  auto x = torch::log(pred / (1 - pred)).view({1, 1, 16, 16});
  CHECK(1 - full.forward(x, full.prepare(m4)).item<double>() == Approx(exact).epsilon(1e-12));
  // With θ = 3 the AF value is different (the kernel is truncated).
  Options o3 = opt;
  o3.set_from_assignment("theta=3");
  AfFbetaW trunc(AfFbetaWOptions::from(o3));
  CHECK(std::abs(1 - trunc.forward(x, trunc.prepare(m4)).item<double>() - exact) > 1e-4);
}
