#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "helpers.h"
#include "models/dense_conv.h"
#include "models/szn.h"

using namespace sodlab;
using namespace sodlab::models;
using test::build;
using test::count;

namespace {
std::shared_ptr<Szn> small_szn(std::vector<std::pair<std::string, OptionValue>> extra = {}) {
  std::vector<std::pair<std::string, OptionValue>> o{{"backbone_weights", std::string("none")},
                                                     {"fc_layers", false},
                                                     {"width_divisor", std::int64_t{8}},
                                                     {"squeeze", std::int64_t{8}},
                                                     {"hidden", std::int64_t{16}}};
  for (auto& e : extra) o.push_back(e);
  return std::dynamic_pointer_cast<Szn>(build("szn", o));
}
}  // namespace

TEST_CASE("szn: VGG-16 has 14,714,688 convolution parameters", "[szn]") {
  Vgg16 vgg(Vgg16Config{1, false});
  CHECK(count(*vgg) == kVgg16ConvParameters);
  CHECK(kVgg16ConvParameters == 14714688);
  Vgg16 fc(Vgg16Config{1, true});
  CHECK(count(*fc) == 14714688 + (7 * 7 * 512 * 4096 + 4096) + (4096 * 4096 + 4096));
}

TEST_CASE("szn: parameter count and output shape at paper size", "[szn]") {
  auto m = build("szn", {{"backbone_weights", std::string("none")}});
  // VGG-16 convs + fc6 + fc7 = 134,260,544; squeeze: Σ_conv (64C+64)+(576C+64) + 2·(4096·128+128)
  // = 3,753,856; classifier 1920→128→1 = 246,017. Total 138,260,417 (17,632,961 without fc).
  const std::int64_t ch[13] = {64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512};
  std::int64_t squeeze = 2 * (4096 * 128 + 128);
  for (auto c : ch) squeeze += (64 * c + 64) + (9 * 64 * c + 64);
  const std::int64_t classifier = 15 * 128 * 128 + 128 + 128 + 1;
  CHECK(count(*m) == 134260544 + squeeze + classifier);
  CHECK(count(*m) == 138260417);
  auto nofc = build("szn", {{"backbone_weights", std::string("none")}, {"fc_layers", false}});
  CHECK(count(*nofc) == 17632961);
  CHECK(m->output_channels() == 1);
  CHECK(m->groups() == std::vector<std::string>{"backbone", "fc", "head"});
  torch::NoGradGuard guard;
  m->eval();
  auto out = m->forward(test::images(1, 224, 224));
  CHECK(out.logits.sizes() == torch::IntArrayRef{1, 1, 224, 224});
  CHECK_FALSE(out.features.defined());
  auto s = m->saliency(out);
  CHECK(s.min().item<float>() >= 0);
  CHECK(s.max().item<float>() <= 1);
}

TEST_CASE("szn: output shapes at small sizes", "[szn]") {
  torch::NoGradGuard guard;
  auto m = small_szn();
  CHECK(m->forward(test::images(2, 64, 96)).logits.sizes() == torch::IntArrayRef{2, 1, 64, 96});
  auto m2 = small_szn({{"output_size", std::int64_t{40}}});
  CHECK(m2->forward(test::images(1, 64, 64)).logits.sizes() == torch::IntArrayRef{1, 1, 40, 40});
  auto fc = build("szn", {{"backbone_weights", std::string("none")}, {"width_divisor", std::int64_t{16}}});
  CHECK_THROWS_AS(fc->forward(test::images(1, 64, 64)), InputError);  // fc6 needs ≥ 224
}

TEST_CASE("szn: per-scale classifier equals the direct zoomout concatenation", "[szn]") {
  torch::NoGradGuard guard;
  for (std::int64_t out_size : {0, 100, 256}) {
    auto m = std::dynamic_pointer_cast<Szn>(build(
        "szn", {{"backbone_weights", std::string("none")}, {"width_divisor", std::int64_t{8}},
                {"squeeze", std::int64_t{8}}, {"hidden", std::int64_t{16}}, {"classifier_layers", std::int64_t{3}},
                {"output_size", out_size}, {"init_seed", std::int64_t{5}}}));
    auto x = test::images(2, 224, 224);
    auto a = m->forward(x).logits, b = m->forward_direct(x).logits;
    REQUIRE(a.sizes() == b.sizes());
    INFO("output_size " << out_size << " max |diff| " << (a - b).abs().max().item<double>());
    CHECK(torch::allclose(a, b, 1e-5, 1e-5));
    CHECK(a.std().item<double>() > 0);
  }
}

TEST_CASE("szn: frozen backbone gets no gradient, head parameters all do", "[szn]") {
  auto m = small_szn({{"width_divisor", std::int64_t{16}}});
  m->train();
  m->set_frozen("backbone", true);
  CHECK(m->is_frozen("backbone"));
  CHECK_FALSE(m->backbone()->layers()[0]->is_training());
  CHECK(count(*m, true) == count(*m) - count(*m->backbone()));
  test::random_loss(m->forward(test::images(2, 32, 32))).backward();
  for (const auto& p : m->backbone()->parameters()) CHECK_FALSE(p.grad().defined());
  for (const auto& item : m->named_parameters()) {
    if (!item.value().requires_grad()) continue;
    INFO(item.key());
    REQUIRE(item.value().grad().defined());
    CHECK(item.value().grad().abs().sum().item<double>() > 0);
  }
  m->set_frozen("backbone", false);
  CHECK(m->backbone()->layers()[0]->is_training());
  CHECK_THROWS_AS(m->set_frozen("encoder", true), InputError);
}

TEST_CASE("szn: gradients reach every parameter when nothing is frozen", "[szn]") {
  auto m = small_szn({{"width_divisor", std::int64_t{16}}});
  test::random_loss(m->forward(test::images(1, 32, 32))).backward();
  for (const auto& item : m->named_parameters()) {
    INFO(item.key());
    REQUIRE(item.value().grad().defined());
    CHECK(item.value().grad().abs().sum().item<double>() > 0);
  }
}

TEST_CASE("szn: same init_seed gives identical outputs, another seed differs", "[szn]") {
  torch::NoGradGuard guard;
  auto x = test::images(1, 32, 32);
  auto a = small_szn({{"init_seed", std::int64_t{3}}})->forward(x).logits;
  auto b = small_szn({{"init_seed", std::int64_t{3}}})->forward(x).logits;
  auto c = small_szn({{"init_seed", std::int64_t{4}}})->forward(x).logits;
  CHECK(torch::equal(a, b));
  CHECK_FALSE(torch::equal(a, c));
}

TEST_CASE("szn: options are validated and recorded", "[szn]") {
  Options o;
  o.set("backbone_weights", std::string("none"));
  o.set("sqeeze", std::int64_t{8});
  try {
    make_model("szn", o);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("squeeze") != std::string::npos);
  }
  Options ok;
  ok.set("backbone_weights", std::string("none"));
  ok.set("fc_layers", false);
  make_model("szn", ok);
  CHECK(ok.resolved().count("hidden") == 1);
  CHECK(ok.resolved().count("squeeze") == 1);
  Options any;
  CHECK_THROWS_AS(make_model("zsn", any), InputError);
  CHECK(model_registry().names() ==
        std::vector<std::string>{"szn", "menet", "menet_ce_only", "menet_ce_plain", "menet_metric_only"});
  // Checking or summarising needs no pretrained weights; training (Weights::load) does.
  Options vgg;
  vgg.set("width_divisor", std::int64_t{16});
  vgg.set("weights_catalogue", std::string("/nonexistent/catalogue.toml"));
  CHECK_NOTHROW(check_model_options("szn", vgg));
  Options vgg2 = vgg;
  CHECK_NOTHROW(make_model("szn", vgg2, Weights::skip));
  Options vgg3 = vgg;
  CHECK_THROWS_AS(check_model_weights("szn", vgg3), InputError);
}

TEST_CASE("fc layers as matrix products equal the convolutions, values and gradients", "[models][szn]") {
  torch::manual_seed(3);
  struct Case {
    int in, out, kernel, size;
  };
  // fc6 on pool5 of a 224² input (one window), of a larger input (windows), fc7 on 1×1 and on 3×3.
  for (const Case c : {Case{16, 24, 7, 7}, Case{16, 24, 7, 9}, Case{24, 20, 1, 1}, Case{24, 20, 1, 3}}) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(c.in, c.out, c.kernel));
    const auto x = torch::randn({3, c.in, c.size, c.size}, torch::requires_grad());
    const auto expected = conv->forward(x);
    const auto got = models::conv_as_matmul(conv, x);
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(torch::allclose(got, expected, 1e-5, 1e-5));
    const auto g = torch::randn_like(expected);
    const auto ge = torch::autograd::grad({expected}, {x, conv->weight, conv->bias}, {g});
    const auto gg = torch::autograd::grad({got}, {x, conv->weight, conv->bias}, {g});
    for (int i = 0; i < 3; ++i) CHECK(torch::allclose(gg[i], ge[i], 1e-4, 1e-5));
  }
  torch::nn::Conv2d padded(torch::nn::Conv2dOptions(4, 4, 3).padding(1));
  CHECK_THROWS(models::conv_as_matmul(padded, torch::zeros({1, 4, 5, 5})));
}
