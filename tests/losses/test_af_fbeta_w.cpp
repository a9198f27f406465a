// torch (which pulls in glog's CHECK) must come before Catch2 so that CHECK is Catch's.
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "losses/af_fbeta_w.h"
#include "losses/kernel_filter.h"
#include "losses/registry.h"

#include <cmath>

using namespace sodlab;
using namespace sodlab::losses;
using sodlab::testing::dbl;
using sodlab::testing::grad_error;
using sodlab::testing::logit_of;

namespace {

std::unique_ptr<Loss> af(std::vector<std::string> sets = {}) {
  Options o;
  for (const auto& s : sets) o.set_from_assignment(s);
  return make_loss("af_fbeta_w", o);
}

double loss_of(const Loss& l, const torch::Tensor& prob, const torch::Tensor& mask) {
  return l.forward(logit_of(prob), l.prepare(mask)).item<double>();
}

double fmeasure(double tp, double fp, double fn, double beta2 = 1, double eps = 1e-7) {
  const double p = tp / (tp + fp + eps), r = tp / (tp + fn + eps);
  return (1 + beta2) * p * r / (beta2 * p + r + eps);
}

// One row: mask [1 1 0 0], prediction [0.8 0.6 0.3 0.1].
const auto kMask = dbl({1, 1, 0, 0}, {1, 1, 1, 4});
const auto kProb = dbl({0.8, 0.6, 0.3, 0.1}, {1, 1, 1, 4});
const double kB1 = 2 - std::pow(0.5, 1.0 / 5);  // d = 1: Δ = 1
const double kB2 = 2 - std::pow(0.5, 4.0 / 5);  // d = 2: Δ = d² = 4

}  // namespace

TEST_CASE("af_fbeta_w: hand-computed, no A", "[losses][af]") {
  // E = (0.04, 0.16, 0.09, 0.01); FN = 0.2, TP = 1.8, FP = 0.09·B(1) + 0.01·B(2).
  CHECK(loss_of(*af({"use_A=false"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.09 * kB1 + 0.01 * kB2, 0.2)).epsilon(1e-12));
  // use_B = false: B = 1.
  CHECK(loss_of(*af({"use_A=false", "use_B=false"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.10, 0.2)).epsilon(1e-12));
  // b_distance = euclidean: Δ = d.
  CHECK(loss_of(*af({"use_A=false", "b_distance=euclidean"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.09 * (2 - std::pow(0.5, 0.2)) + 0.01 * (2 - std::pow(0.5, 0.4)), 0.2))
            .epsilon(1e-12));
  // phi = 1.5: the pixel at d = 2 is beyond the uncertainty region, B = 2.
  CHECK(loss_of(*af({"use_A=false", "phi=1.5"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.09 * kB1 + 0.01 * 2, 0.2)).epsilon(1e-12));
  // error = absolute: E = (0.2, 0.4, 0.3, 0.1).
  CHECK(loss_of(*af({"use_A=false", "error=absolute"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.4, 0.3 * kB1 + 0.1 * kB2, 0.6)).epsilon(1e-12));
  // beta2 and eps.
  CHECK(loss_of(*af({"use_A=false", "beta2=0.3", "eps=0.01"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.09 * kB1 + 0.01 * kB2, 0.2, 0.3, 0.01)).epsilon(1e-12));
  // alpha.
  CHECK(loss_of(*af({"use_A=false", "alpha=-1"}), kProb, kMask) ==
        Approx(1 - fmeasure(1.8, 0.09 * (2 - std::exp(-1.0)) + 0.01 * (2 - std::exp(-4.0)), 0.2))
            .epsilon(1e-12));
}

TEST_CASE("af_fbeta_w: hand-computed A (θ = 1, σ = 1)", "[losses][af]") {
  const double e0 = 0.04, e1 = 0.16, g = std::exp(-0.5);
  const double fp = 0.09 * kB1 + 0.01 * kB2;
  for (const char* impl : {"separable", "toeplitz", "direct"}) {
    const std::string im = std::string("implementation=") + impl;
    // paper norm: s = 1/√(2π); one row, so only horizontal neighbours contribute.
    const double s = 1 / std::sqrt(2 * M_PI);
    const double c0 = s * (e0 + g * e1), c1 = s * (e1 + g * e0);  // c0 > e0, c1 < e1
    REQUIRE(c0 > e0);
    REQUIRE(c1 < e1);
    CHECK(loss_of(*af({"theta=1", "sigma=1", "kernel_norm=paper", im}), kProb, kMask) ==
          Approx(1 - fmeasure(2 - e0 - c1, fp, e0 + c1)).epsilon(1e-12));
    // sum1: s = 1/(1 + 2e^{−1/2})² (the 3×3 window sums to 1).
    const double s1 = 1 / std::pow(1 + 2 * g, 2);
    const double d0 = s1 * (e0 + g * e1), d1 = s1 * (e1 + g * e0);  // both below E now
    REQUIRE(d0 < e0);
    CHECK(loss_of(*af({"theta=1", "sigma=1", im}), kProb, kMask) ==  // sum1 is the default
          Approx(1 - fmeasure(2 - d0 - d1, fp, d0 + d1)).epsilon(1e-12));
    // edge = nearest_fg: the background pixels carry the error of the mask pixel 1 (e1).
    const double n1 = s * (e1 + g * (e0 + e1));
    REQUIRE(n1 < e1);
    CHECK(loss_of(*af({"theta=1", "sigma=1", "kernel_norm=paper", "edge=nearest_fg", im}), kProb, kMask) ==
          Approx(1 - fmeasure(2 - e0 - n1, fp, e0 + n1)).epsilon(1e-12));
  }
  // paper_eq9: e^{−d/(2σ²)}; with σ = 1 the horizontal neighbour weight is e^{−1/2} as well, so
  // check a diagonal instead: 2×2 mask, errors only on the diagonal pixel.
  auto k9 = make_a_kernel("paper_eq9", "paper", 1, 1.0);
  CHECK(k9.k2[0] == Approx(std::exp(-std::sqrt(2.0) / 2) / std::sqrt(2 * M_PI)).epsilon(1e-14));
  auto kg = make_a_kernel("gaussian", "paper", 1, 1.0);
  CHECK(kg.k2[0] == Approx(std::exp(-1.0) / std::sqrt(2 * M_PI)).epsilon(1e-14));
}

TEST_CASE("af_fbeta_w: every filter implementation equals a brute-force correlation",
          "[losses][af]") {
  torch::manual_seed(3);
  auto x = torch::rand({2, 1, 7, 9}, torch::kDouble);
  for (const char* kind : {"gaussian", "paper_eq9"})
    for (const char* norm : {"paper", "sum1"})
      for (int r : {0, 2, 4, 11}) {
        auto k = make_a_kernel(kind, norm, r, 1.7);
        auto ref = torch::zeros_like(x);
        auto xa = x.accessor<double, 4>();
        auto ra = ref.accessor<double, 4>();
        const int w = 2 * r + 1;
        for (int n = 0; n < 2; ++n)
          for (int i = 0; i < 7; ++i)
            for (int j = 0; j < 9; ++j)
              for (int p = -r; p <= r; ++p)
                for (int q = -r; q <= r; ++q)
                  if (i + p >= 0 && i + p < 7 && j + q >= 0 && j + q < 9)
                    ra[n][0][i][j] += k.k2[(p + r) * w + (q + r)] * xa[n][0][i + p][j + q];
        std::vector<std::string> impls{"direct", "auto"};
        if (std::string(kind) == "gaussian") impls = {"direct", "separable", "toeplitz", "auto"};
        for (const auto& impl : impls)
          CHECK((filter_same(x, k, impl) - ref).abs().max().item<double>() < 1e-13);
      }
}

TEST_CASE("af_fbeta_w: the blocked banded products equal the direct convolution on large maps",
          "[losses][af]") {
  torch::manual_seed(4);
  auto x = torch::rand({1, 1, 24, 600}, torch::kDouble).set_requires_grad(true);
  for (int r : {3, 9, 30}) {
    auto k = make_a_kernel("gaussian", "paper", r, r / 4.0);
    auto a = filter_same(x, k, "toeplitz"), b = filter_same(x, k, "direct");
    CHECK((a - b).abs().max().item<double>() < 1e-13);
    auto w = torch::rand_like(a);
    auto ga = torch::autograd::grad({(a * w).sum()}, {x})[0];
    auto gb = torch::autograd::grad({(b * w).sum()}, {x})[0];
    CHECK((ga - gb).abs().max().item<double>() < 1e-12);
  }
}

TEST_CASE("af_fbeta_w: finite-difference gradients for every option combination",
          "[losses][af][grad]") {
  torch::manual_seed(7);
  // Batch of 2: a blob with a hole, and an empty mask (mean of E_w).
  auto mask = torch::zeros({2, 1, 5, 6}, torch::kDouble);
  mask[0][0].narrow(0, 1, 3).narrow(1, 1, 4).fill_(1);
  mask[0][0][2][3] = 0;
  auto x = torch::randn({2, 1, 5, 6}, torch::kDouble) * 1.5;
  int checked = 0;
  for (bool use_a : {true, false})
    for (bool use_b : {true, false})
      for (const char* edge : {"zero", "nearest_fg"})
        for (const char* bd : {"squared_truncated", "euclidean"})
          for (const char* err : {"squared", "absolute"})
            for (const char* norm : {"paper", "sum1"})
              for (const char* kind : {"gaussian", "paper_eq9"}) {
                std::vector<std::string> impls{"direct"};
                if (std::string(kind) == "gaussian") impls = {"separable", "toeplitz", "direct"};
                for (const auto& impl : impls) {
                  auto l = af({std::string("use_A=") + (use_a ? "true" : "false"),
                               std::string("use_B=") + (use_b ? "true" : "false"),
                               std::string("edge=") + edge, std::string("b_distance=") + bd,
                               std::string("error=") + err, std::string("kernel_norm=") + norm,
                               std::string("kernel=") + kind, "implementation=" + impl,
                               "theta=2", "beta2=0.5", "phi=2.5"});
                  auto t = l->prepare(mask);
                  INFO(use_a << use_b << edge << bd << err << norm << kind << impl);
                  CHECK(grad_error([&](const torch::Tensor& v) { return l->forward(v, t); }, x) < 1e-6);
                  ++checked;
                }
              }
  CHECK(checked == 256);
}

TEST_CASE("af_fbeta_w: the paper's behaviour claims", "[losses][af]") {
  auto l = af();
  auto mask = torch::zeros({1, 1, 32, 32}, torch::kDouble);
  mask[0][0].narrow(0, 8, 16).narrow(1, 8, 16).fill_(1);
  auto good = mask * 0.98 + 0.01;  // near-perfect map

  SECTION("a perfect map has loss 0") {
    auto logits = (mask * 2 - 1) * 60.0;
    // Up to ε: 1 − AF = ε/(P + R + ε) ≈ ε/2 for P = R = 1.
    const double l0 = l->forward(logits, l->prepare(mask)).item<double>();
    CHECK(l0 >= 0);
    CHECK(l0 <= 1e-7);
    auto two = af({"error=absolute", "edge=nearest_fg", "eps=1e-300"});
    CHECK(two->forward(logits, two->prepare(mask)).item<double>() == Approx(0).margin(1e-12));
  }
  SECTION("a false positive far from the object costs more than one next to it") {
    auto near = good.clone(), far = good.clone();
    near[0][0][15][24] = 0.9;  // 1 px right of the object
    far[0][0][15][30] = 0.9;   // 7 px away
    CHECK(loss_of(*l, far, mask) > loss_of(*l, near, mask) + 1e-4);
  }
  SECTION("a clustered block of false negatives costs more than the same number scattered") {
    auto block = good.clone(), scattered = good.clone();
    block[0][0].narrow(0, 14, 3).narrow(1, 14, 3).fill_(0.1);
    for (int i : {9, 15, 21})
      for (int j : {9, 15, 21}) scattered[0][0][i][j] = 0.1;
    CHECK(loss_of(*l, block, mask) > loss_of(*l, scattered, mask) + 1e-3);
    // Without A both cost the same.
    auto noa = af({"use_A=false"});
    CHECK(loss_of(*noa, block, mask) == Approx(loss_of(*noa, scattered, mask)).epsilon(1e-12));
  }
  SECTION("no-A and no-B change exactly what they should") {
    torch::manual_seed(1);
    auto pred = torch::rand({1, 1, 32, 32}, torch::kDouble) * 0.98 + 0.01;
    auto maps = [&](std::vector<std::string> s) {
      auto m = af(s);
      return m->explain(logit_of(pred), m->prepare(mask));
    };
    auto full = maps({}), noa = maps({"use_A=false"}), nob = maps({"use_B=false"});
    auto fg = mask > 0.5, bg = mask < 0.5;
    // no-A: E_w unchanged off the mask; on the mask it is E instead of min(E^A, E).
    CHECK(torch::equal(noa.at("E_w").masked_select(bg), full.at("E_w").masked_select(bg)));
    CHECK(torch::allclose(noa.at("E_w").masked_select(fg), full.at("E").masked_select(fg)));
    CHECK(torch::allclose(full.at("E_w").masked_select(fg),
                          torch::minimum(full.at("E_A"), full.at("E")).masked_select(fg)));
    CHECK((full.at("E_A").masked_select(fg) < full.at("E").masked_select(fg)).any().item<bool>());
    // no-B: E_w unchanged on the mask; off it E_w = E (B = 1) instead of E·B.
    CHECK(torch::equal(nob.at("E_w").masked_select(fg), full.at("E_w").masked_select(fg)));
    CHECK(torch::allclose(nob.at("E_w").masked_select(bg), full.at("E").masked_select(bg)));
    CHECK(torch::allclose(full.at("E_w").masked_select(bg),
                          (full.at("E") * full.at("B")).masked_select(bg)));
    // B: 1 on the mask, 2 − 0.5^{d²/5} within φ = 5, 2 beyond.
    auto b = full.at("B")[0][0];
    CHECK(b[16][16].item<double>() == 1);
    CHECK(b[16][24].item<double>() == Approx(2 - std::pow(0.5, 1.0 / 5)).epsilon(1e-14));
    CHECK(b[16][26].item<double>() == Approx(2 - std::pow(0.5, 9.0 / 5)).epsilon(1e-14));
    CHECK(b[16][28].item<double>() == Approx(2 - std::pow(0.5, 25.0 / 5)).epsilon(1e-14));
    CHECK(b[16][29].item<double>() == 2);
    CHECK(b[27][27].item<double>() == 2);  // d = 4√2 > 5
  }
  SECTION("an empty mask uses the mean of E_w") {
    auto empty = torch::zeros({1, 1, 4, 4}, torch::kDouble);
    auto p = torch::full({1, 1, 4, 4}, 0.25, torch::kDouble);
    CHECK(loss_of(*l, p, empty) == Approx(0.0625 * 2).epsilon(1e-12));  // B = 2 everywhere
    // Batch mean of the two kinds of image.
    auto m2 = torch::cat({torch::zeros({1, 1, 32, 32}, torch::kDouble), mask});
    auto p2 = torch::cat({torch::full({1, 1, 32, 32}, 0.25, torch::kDouble), good});
    CHECK(loss_of(*l, p2, m2) == Approx((0.125 + loss_of(*l, good, mask)) / 2).epsilon(1e-12));
  }
  SECTION("float32 and the two-class head") {
    auto x = logit_of(good);
    const double ref = l->forward(x, l->prepare(mask)).item<double>();
    auto xf = x.to(torch::kFloat);
    CHECK(l->forward(xf, l->prepare(mask.to(torch::kFloat))).item<double>() == Approx(ref).margin(1e-5));
    auto two = torch::cat({torch::zeros_like(x), x}, 1);
    CHECK(l->forward(two, l->prepare(mask)).item<double>() == Approx(ref).epsilon(1e-14));
  }
}
