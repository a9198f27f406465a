// torch (which pulls in glog's CHECK) must come before Catch2 so that CHECK is Catch's.
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "losses/menet_loss.h"
#include "losses/registry.h"

#include <cmath>

using namespace sodlab;
using namespace sodlab::losses;
using sodlab::testing::dbl;
using sodlab::testing::grad_error;

namespace {

std::unique_ptr<Loss> menet(std::vector<std::string> sets = {}) {
  Options o;
  for (const auto& s : sets) o.set_from_assignment(s);
  return make_loss("menet", o);
}

}  // namespace

TEST_CASE("menet: hand-computed value with mining", "[losses][menet]") {
  // Three pixels in a row, mask [1 0 0], unit-norm 2-D features f0 = (1,0), f1 = (0,1),
  // f2 = (0.6,0.8): μ⁺ = (1,0), μ⁻ = (0.3,0.9); ℓ = (−1.3, −1.9, −0.7). Mining keeps the minority
  // pixel 0 and the hardest majority pixel 2: Σ mℓ = −2.0. Zero logits: CE = ln 2 everywhere.
  auto mask = dbl({1, 0, 0}, {1, 1, 1, 3});
  auto feat = dbl({1, 0, 0.6, 0, 1, 0.8}, {1, 2, 1, 3});
  auto logits = torch::zeros({1, 2, 1, 3}, torch::kDouble);
  auto l = menet();
  auto t = l->prepare(mask);
  CHECK(l->needs_features());
  CHECK(l->forward(logits, t, feat).item<double>() ==
        Approx(0.5 * (std::log(2.0) + (1.0 / 16) * (-2.0 / 3))).epsilon(1e-14));
  // No mining: Σ ℓ = −3.9; mean reduction drops the ½ (one image).
  CHECK(menet({"mining=none", "reduction=mean"})->forward(logits, t, feat).item<double>() ==
        Approx(std::log(2.0) + (1.0 / 16) * (-3.9 / 3)).epsilon(1e-14));
  // λ = 1, features scaled by 2: L2 normalisation makes it scale-free.
  CHECK(menet({"lambda=1"})->forward(logits, t, feat * 2).item<double>() ==
        Approx(0.5 * (std::log(2.0) - 2.0 / 3)).epsilon(1e-14));
  // Without normalisation the doubled features give 4× the metric term.
  CHECK(menet({"lambda=1", "l2_normalize=false"})->forward(logits, t, feat * 2).item<double>() ==
        Approx(0.5 * (std::log(2.0) - 8.0 / 3)).epsilon(1e-14));
  CHECK_THROWS_AS(l->forward(logits, t), InputError);
  CHECK_THROWS_AS(l->forward(logits, t, torch::zeros({1, 2, 1, 4}, torch::kDouble)), InputError);
}

TEST_CASE("menet: mining mask corner cases", "[losses][menet]") {
  auto ell = dbl({0.5, -1, 2, 3}, {1, 1, 1, 4});
  CHECK(torch::equal(menet_mining_mask(ell, dbl({0, 0, 0, 0}, {1, 1, 1, 4})), torch::zeros_like(ell)));
  CHECK(torch::equal(menet_mining_mask(ell, dbl({1, 1, 1, 1}, {1, 1, 1, 4})), torch::zeros_like(ell)));
  CHECK(torch::equal(menet_mining_mask(ell, dbl({1, 0, 1, 0}, {1, 1, 1, 4})), torch::ones_like(ell)));
  // Majority foreground (3 px): the minority pixel 3 plus the hardest foreground pixel 2.
  CHECK(torch::equal(menet_mining_mask(ell, dbl({1, 1, 1, 0}, {1, 1, 1, 4})), dbl({0, 0, 1, 1}, {1, 1, 1, 4})));
}

TEST_CASE("menet: gradients equal the Caffe layer's hand-written ones", "[losses][menet][grad]") {
  // reference-formulas.md §A.3: ∂/∂z = (p − y₂)/(2HW); ∂/∂F_p = m_p(μ⁻ − μ⁺)/(C·H·W) on the mask
  // and m_p(μ⁺ − μ⁻)/(C·H·W) off it (μ from the normalised features), C = 16.
  torch::manual_seed(5);
  const int h = 5, w = 6, c = 16;
  auto mask = (torch::rand({2, 1, h, w}, torch::kDouble) > 0.7).to(torch::kDouble);
  auto z = torch::randn({2, 2, h, w}, torch::kDouble).set_requires_grad(true);
  auto f = torch::tanh(torch::randn({2, c, h, w}, torch::kDouble)).set_requires_grad(true);
  auto l = menet();
  auto loss = l->forward(z, l->prepare(mask), f);
  auto g = torch::autograd::grad({loss}, {z, f});
  // Expected.
  auto y2 = torch::cat({1 - mask, mask}, 1);
  auto gz = (torch::softmax(z.detach(), 1) - y2) / (2.0 * h * w);
  CHECK((g[0] - gz).abs().max().item<double>() < 1e-14);
  auto fn = f.detach() / f.detach().norm(2, {1}, true);
  auto mu_p = (mask * fn).sum({2, 3}, true) / mask.sum({2, 3}, true);
  auto mu_n = ((1 - mask) * fn).sum({2, 3}, true) / (1 - mask).sum({2, 3}, true);
  auto dp = (fn - mu_p).pow(2).sum(1, true), dn = (fn - mu_n).pow(2).sum(1, true);
  auto m = menet_mining_mask((2 * mask - 1) * (dp - dn), mask);
  CHECK(m.sum().item<double>() > 0);
  auto gf = m * (2 * mask - 1) * (mu_n - mu_p) / double(c * h * w);
  CHECK((g[1] - gf).abs().max().item<double>() < 1e-14);
  // The logits' gradient is a true gradient: finite differences agree.
  auto t = l->prepare(mask);
  auto fd = f.detach();
  CHECK(grad_error([&](const torch::Tensor& v) { return l->forward(v, t, fd); }, z.detach()) < 1e-7);
  // A binary logit gives the same value as the equivalent two-class head.
  auto zb = (z.narrow(1, 1, 1) - z.narrow(1, 0, 1)).detach();
  CHECK(l->forward(zb, t, fd).item<double>() == Approx(loss.item<double>()).epsilon(1e-13));
}
