// Conformance of every registered loss (iterates the registry: a new loss is tested here as
// soon as it is registered): a finite scalar, gradients equal to central finite differences,
// and the same value twice. Losses that need MEnet's metric features get random features.
// (Gradients with respect to the logits; see below for the features.)
#include "losses/registry.h"
#include "loss_test_util.h"

#include <catch2/catch.hpp>

using namespace sodlab;
using namespace sodlab::losses;
using sodlab::testing::grad_error;

TEST_CASE("conformance: every registered loss is finite, differentiable and deterministic", "[losses][conformance]") {
  torch::manual_seed(3);
  // 2 images of 10×12, a blob of foreground in each (and some background-only rows).
  torch::Tensor masks = torch::zeros({2, 1, 10, 12}, torch::kDouble);
  masks.index_put_({0, 0, torch::indexing::Slice(2, 7), torch::indexing::Slice(3, 9)}, 1.0);
  masks.index_put_({1, 0, torch::indexing::Slice(5, 10), torch::indexing::Slice(0, 4)}, 1.0);
  const torch::Tensor logits = torch::randn({2, 1, 10, 12}, torch::kDouble);
  const torch::Tensor features = torch::randn({2, 16, 10, 12}, torch::kDouble).tanh();
  REQUIRE(loss_registry().entries().size() >= 5);
  for (const auto& entry : loss_registry().entries()) {
    INFO("loss " << entry.name);
    Options options;
    const auto loss = make_loss(entry.name, options);
    CHECK(loss->name() == entry.name);
    CHECK(!entry.summary.empty());
    const losses::Targets t = loss->prepare(masks);
    const torch::Tensor f = loss->needs_features() ? features : torch::Tensor();
    const double value = loss->forward(logits, t, f).item<double>();
    CHECK(std::isfinite(value));
    CHECK(loss->forward(logits, t, f).item<double>() == value);  // deterministic
    // d loss / d logits against central differences (features held fixed).
    CHECK(grad_error([&](const torch::Tensor& x) { return loss->forward(x, t, f); }, logits) < 1e-6);
    if (loss->needs_features()) {
      // The features' gradient is the original Caffe layer's by design (straight-through through
      // the normalisation, stop-gradient class means: see menet_loss.h and test_menet_loss.cpp),
      // not the derivative of the value; it must exist and be finite.
      auto fx = features.clone().set_requires_grad(true);
      const auto g = torch::autograd::grad({loss->forward(logits, t, fx)}, {fx})[0];
      CHECK(torch::isfinite(g).all().item<bool>());
      CHECK(g.abs().sum().item<double>() > 0);
    }
  }
}
