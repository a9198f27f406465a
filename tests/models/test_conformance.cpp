// Conformance of every registered model (iterates the registry: a new model must add its small
// test configuration below, or this test fails): output shapes and ranges, init_seed
// determinism, frozen groups that do not move under an optimiser step, and a check() that
// agrees with build() on which options exist.
#include "helpers.h"
#include "models/szn.h"

#include <catch2/catch.hpp>

#include <map>

using namespace sodlab;
using namespace sodlab::models;

namespace {

using Opts = std::vector<std::pair<std::string, OptionValue>>;

// A configuration of each model small enough for a CPU test at 64×64.
const std::map<std::string, Opts>& small_configs() {
  static const std::map<std::string, Opts> c{
      {"szn", {{"backbone_weights", std::string("none")}, {"width_divisor", std::int64_t{16}},
               {"squeeze", std::int64_t{4}}, {"hidden", std::int64_t{8}}, {"fc_layers", false}}},
      {"menet", {{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}, {"global_kernel", std::int64_t{2}}}},
      {"menet_ce_only", {{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}, {"global_kernel", std::int64_t{2}}}},
      {"menet_ce_plain", {{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}, {"global_kernel", std::int64_t{2}}}},
      {"menet_metric_only", {{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}, {"global_kernel", std::int64_t{2}}}},
  };
  return c;
}

Options options_of(const Opts& opts, std::int64_t init_seed) {
  Options o;
  for (const auto& [k, v] : opts) o.set(k, v);
  o.set("init_seed", init_seed);
  return o;
}

std::vector<torch::Tensor> parameter_copies(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

}  // namespace

TEST_CASE("conformance: every registered model", "[models][conformance]") {
  const torch::Tensor x = test::images(2, 64, 64);
  for (const auto& entry : model_registry().entries()) {
    INFO("model " << entry.name);
    REQUIRE(small_configs().count(entry.name) == 1);  // add the new model's small config above
    const Opts& opts = small_configs().at(entry.name);
    CHECK(!entry.summary.empty());

    // check() reads the same options as build(), builds nothing, and rejects unknown ones.
    Options checked = options_of(opts, 1), built = options_of(opts, 1);
    check_model_options(entry.name, checked);
    auto a = make_model(entry.name, built, Weights::skip);
    const bool same_options = checked.resolved() == built.resolved();
    CHECK(same_options);
    Options typo = options_of(opts, 1);
    typo.set("no_such_option", std::int64_t{1});
    CHECK_THROWS_AS(check_model_options(entry.name, typo), InputError);

    // Shapes: logits N×C×H×W at the input size (C = output_channels()), saliency N×1×H×W in [0,1].
    a->eval();
    torch::NoGradGuard no_grad;
    const ModelOutput out = a->forward(x);
    if (a->output_channels() > 0) {
      REQUIRE(out.logits.defined());
      CHECK(out.logits.sizes() == torch::IntArrayRef({2, a->output_channels(), 64, 64}));
    }
    const torch::Tensor s = a->saliency(out);
    CHECK(s.sizes() == torch::IntArrayRef({2, 1, 64, 64}));
    CHECK(s.min().item<double>() >= 0);
    CHECK(s.max().item<double>() <= 1);

    // init_seed determines the initial weights.
    Options same = options_of(opts, 1), other = options_of(opts, 2);
    auto b = make_model(entry.name, same, Weights::skip);
    auto c = make_model(entry.name, other, Weights::skip);
    const auto pa = parameter_copies(*a), pb = parameter_copies(*b), pc = parameter_copies(*c);
    REQUIRE(pa.size() == pb.size());
    bool all_equal = true, any_differs = false;
    for (std::size_t i = 0; i < pa.size(); ++i) {
      all_equal = all_equal && torch::equal(pa[i], pb[i]);
      any_differs = any_differs || !torch::equal(pa[i], pc[i]);
    }
    CHECK(all_equal);
    CHECK(any_differs);
  }
}

TEST_CASE("conformance: a frozen group of every model does not move under training", "[models][conformance]") {
  const torch::Tensor x = test::images(2, 64, 64);
  for (const auto& entry : model_registry().entries()) {
    Options o0 = options_of(small_configs().at(entry.name), 3);
    for (const auto& group : make_model(entry.name, o0, Weights::skip)->groups()) {
      INFO("model " << entry.name << ", group " << group);
      Options o = options_of(small_configs().at(entry.name), 3);
      auto m = make_model(entry.name, o, Weights::skip);  // fresh: one step per group
      m->set_frozen(group, true);
      CHECK(m->is_frozen(group));
      std::map<std::string, torch::Tensor> before;
      for (const auto& item : m->named_parameters()) before[item.key()] = item.value().detach().clone();
      std::vector<torch::Tensor> trainable;
      for (const auto& p : m->parameters())
        if (p.requires_grad()) trainable.push_back(p);
      if (!trainable.empty()) {
        m->train();
        torch::optim::SGD sgd(trainable, torch::optim::SGDOptions(0.1));
        sgd.zero_grad();
        test::random_loss(m->forward(x)).backward();
        sgd.step();
      }
      int moved_frozen = 0, moved_other = 0, frozen = 0;
      for (const auto& item : m->named_parameters()) {
        const bool moved = !torch::equal(before.at(item.key()), item.value().detach());
        if (!item.value().requires_grad()) {
          ++frozen;
          moved_frozen += moved;
        } else {
          moved_other += moved;
        }
      }
      CHECK(frozen > 0);
      CHECK(moved_frozen == 0);
      if (!trainable.empty()) CHECK(moved_other > 0);
    }
  }
}

TEST_CASE("szn: the split forward (backbone features, then the head) equals forward", "[szn]") {
  Options o = options_of(small_configs().at("szn"), 0);
  auto m = std::dynamic_pointer_cast<Szn>(make_model("szn", o, Weights::skip));
  REQUIRE(m);
  m->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = test::images(1, 64, 64);
  const torch::Tensor split = m->forward_from_features(m->backbone_features(x), 64, 64).logits;
  CHECK(torch::allclose(split, m->forward(x).logits, 1e-5, 1e-6));
}

TEST_CASE("szn: the frozen prefix (cached activations, then the rest) equals forward", "[szn][cache]") {
  for (const bool fc : {false, true}) {
    Options o("model 'szn'");
    o.set("backbone_weights", std::string("none"));
    o.set("width_divisor", std::int64_t{16});
    o.set("squeeze", std::int64_t{4});
    o.set("hidden", std::int64_t{8});
    o.set("fc_layers", fc);
    auto m = std::dynamic_pointer_cast<Szn>(make_model("szn", o, Weights::skip));
    REQUIRE(m);
    const std::int64_t size = fc ? 224 : 64;
    const torch::Tensor x = test::images(2, size, size);
    CHECK(m->frozen_prefix_layers() == 0);
    m->set_frozen("backbone", true);
    CHECK(m->frozen_prefix_layers() == 13);
    if (fc) {
      m->set_frozen("fc", true);
      CHECK(m->frozen_prefix_layers() == 15);
    }
    const int k = m->frozen_prefix_layers();
    CHECK(m->prefix_layer_names(k).front() == "conv1_1");
    CHECK(m->prefix_layer_names(k).back() == (fc ? "fc7" : "conv5_3"));
    const std::string id = m->prefix_identity(k);
    CHECK(id.size() == 64);
    CHECK(m->prefix_identity(k - 1) != id);
    m->eval();
    torch::NoGradGuard no_grad;
    const auto prefix = m->prefix_features(x, k);
    REQUIRE(prefix.size() == static_cast<std::size_t>(k));
    CHECK(torch::allclose(m->forward_from_prefix(prefix, size, size).logits, m->forward(x).logits, 1e-5, 1e-6));
    // A shorter prefix: the remaining convolutions run from the last cached activation.
    const auto shorter = m->prefix_features(x, 7);
    CHECK(torch::allclose(m->forward_from_prefix(shorter, size, size).logits, m->forward(x).logits, 1e-5, 1e-6));
    {  // a weight change changes the identity
      m->backbone()->layers()[0]->weight.add_(1e-3);
      CHECK(m->prefix_identity(k) != id);
    }
  }
}
