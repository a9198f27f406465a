#include <catch2/catch.hpp>

#include "core/error.h"
#include "helpers.h"
#include "models/menet.h"
#include "models/menet_maps.h"

using namespace sodlab;
using namespace sodlab::models;
using test::build;
using test::count;

namespace {
using Opts = std::vector<std::pair<std::string, OptionValue>>;
Opts small(Opts extra = {}) {
  Opts o{{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}, {"global_kernel", std::int64_t{2}}};
  for (auto& e : extra) o.push_back(e);
  return o;
}

// Independent count of §A.2 (BN = 2c parameters; conv biases yes, deconv biases no).
std::int64_t brc(std::int64_t i, std::int64_t o, std::int64_t k) { return 2 * i + i * o * k * k + o; }
std::int64_t brd(std::int64_t i, std::int64_t o, std::int64_t k) { return 2 * i + i * o * k * k; }
std::int64_t menet_count(std::int64_t w, int blocks, std::int64_t g, bool ce, bool metric, bool maps) {
  std::int64_t ch[6];
  for (int k = 0; k < 6; ++k) ch[k] = w << k;
  std::int64_t n = 3 * ch[0] * 9 + ch[0] + 2 * ch[0];  // stem CBR
  auto res = [&](std::int64_t c) { return 2 * brc(c, c, 3); };
  n += blocks * res(ch[0]);
  for (int k = 1; k < 6; ++k)
    n += brc(ch[k - 1], ch[k], 3) + brc(ch[k], ch[k], 3) + brc(ch[k - 1], ch[k], 1) + (blocks - 1) * res(ch[k]);
  n += brc(ch[5], ch[5], g) + brd(ch[5], ch[5], g);
  for (int k = 0; k < 5; ++k)
    n += brd(2 * ch[k + 1], ch[k], 4) + brc(ch[k], ch[k], 3) + brd(2 * ch[k + 1], ch[k], 2) + (blocks - 1) * res(ch[k]);
  const std::int64_t head_in = maps ? 13 : ch[0];
  if (maps) {
    n += brc(3, 1, 3);
    for (int k = 0; k < 6; ++k) n += 2 * brc(ch[k], 1, 3);
  }
  if (ce) n += head_in * 2 * 9 + 2 + 4;
  if (metric) n += head_in * 16 * 9 + 16 + 32;
  return n;
}
}  // namespace

TEST_CASE("menet: about 185 M parameters and output shapes at full width, 224", "[menet]") {
  auto m = build("menet", {});
  const std::int64_t expected = menet_count(32, 2, 7, true, true, true);
  CHECK(count(*m) == expected);
  CHECK(count(*m) == 184959166);
  CHECK(std::abs(count(*m) - 185000000) < 1000000);
  const Opts w8{{"width", std::int64_t{8}}};
  CHECK(count(*build("menet_ce_only", w8)) == menet_count(8, 2, 7, true, false, true));
  CHECK(count(*build("menet_metric_only", w8)) == menet_count(8, 2, 7, false, true, true));
  CHECK(count(*build("menet_ce_plain", w8)) == menet_count(8, 2, 7, true, false, false));
  CHECK(count(*build("menet", small())) == menet_count(4, 1, 2, true, true, true));
  torch::NoGradGuard guard;
  m->eval();
  auto out = m->forward(test::images(1, 224, 224));
  CHECK(out.logits.sizes() == torch::IntArrayRef{1, 2, 224, 224});
  CHECK(out.features.sizes() == torch::IntArrayRef{1, 16, 224, 224});
  CHECK(out.features.abs().max().item<float>() <= 1.0f);
  CHECK(m->saliency(out).sizes() == torch::IntArrayRef{1, 1, 224, 224});
}

TEST_CASE("menet: every variant at 224 (small width) and at small sizes", "[menet]") {
  torch::NoGradGuard guard;
  struct Case { std::string name; int ce, metric; };
  for (const Case& c : {Case{"menet", 2, 16}, Case{"menet_ce_only", 2, 0}, Case{"menet_ce_plain", 2, 0},
                        Case{"menet_metric_only", 0, 16}}) {
    INFO(c.name);
    auto big = build(c.name, {{"width", std::int64_t{4}}, {"blocks", std::int64_t{1}}});
    big->eval();
    auto o224 = big->forward(test::images(1, 224, 224));
    auto m = build(c.name, small());
    CHECK(m->output_channels() == c.ce);
    for (auto [h, w] : {std::pair<int, int>{64, 64}, {64, 96}}) {
      auto out = m->forward(test::images(2, h, w));
      if (c.ce) {
        CHECK(o224.logits.sizes() == torch::IntArrayRef{1, c.ce, 224, 224});
        CHECK(out.logits.sizes() == torch::IntArrayRef{2, c.ce, h, w});
      } else {
        CHECK_FALSE(out.logits.defined());
      }
      if (c.metric) {
        CHECK(o224.features.sizes() == torch::IntArrayRef{1, c.metric, 224, 224});
        CHECK(out.features.sizes() == torch::IntArrayRef{2, c.metric, h, w});
      } else {
        CHECK_FALSE(out.features.defined());
      }
      auto s = m->saliency(out);
      CHECK(s.sizes() == torch::IntArrayRef{2, 1, h, w});
      CHECK(s.min().item<float>() >= 0);
      CHECK(s.max().item<float>() <= 1);
    }
  }
}

TEST_CASE("menet: bad input sizes and options are InputErrors", "[menet]") {
  auto m = build("menet", small());
  CHECK_THROWS_AS(m->forward(test::images(1, 80, 64)), InputError);    // not a multiple of 32
  CHECK_THROWS_AS(m->forward(test::images(1, 32, 32)), InputError);    // 1×1 < global_kernel 2
  CHECK_THROWS_AS(build("menet_ce_only", small({{"test_map", std::string("metric")}})), InputError);
  CHECK_THROWS_AS(build("menet", small({{"widht", std::int64_t{8}}})), InputError);
}

TEST_CASE("menet: the 13 maps are replicated by integer factors in the documented order", "[menet]") {
  torch::NoGradGuard guard;
  auto m = std::dynamic_pointer_cast<Menet>(build("menet", small()));
  m->eval();
  auto maps = m->fused_maps(test::images(1, 64, 64));
  REQUIRE(maps.sizes() == torch::IntArrayRef{1, 13, 64, 64});
  // channel 6 = scale5_m (2×2 native: 32×32 blocks), 12 = bottleneck (2×2), 9 = scale2_u (16×16: 4×4)
  using torch::indexing::Slice;
  for (int ch : {6, 12}) {
    auto c = maps[0][ch];
    CHECK(torch::equal(c, c.index({Slice(0, 64, 32), Slice(0, 64, 32)}).repeat_interleave(32, 0).repeat_interleave(32, 1)));
  }
  auto c9 = maps[0][9];
  CHECK(torch::equal(c9, c9.index({torch::indexing::Slice(0, 64, 4), torch::indexing::Slice(0, 64, 4)})
                             .repeat_interleave(4, 0).repeat_interleave(4, 1)));
  CHECK_FALSE(torch::equal(c9, c9.index({torch::indexing::Slice(0, 64, 8), torch::indexing::Slice(0, 64, 8)})
                                   .repeat_interleave(8, 0).repeat_interleave(8, 1)));
}

TEST_CASE("menet: gradients reach every parameter of every variant", "[menet]") {
  for (const auto& entry : model_registry().entries()) {
    const std::string name = entry.name;
    if (name.rfind("menet", 0) != 0) continue;
    INFO(name);
    auto m = build(name, small());
    m->train();
    test::random_loss(m->forward(test::images(2, 64, 64))).backward();
    for (const auto& item : m->named_parameters()) {
      INFO(item.key());
      REQUIRE(item.value().grad().defined());
      CHECK(item.value().grad().abs().sum().item<double>() > 0);
    }
  }
}

TEST_CASE("menet: a frozen group gets no gradient and keeps its batch-norm statistics", "[menet]") {
  auto m = build("menet", small());
  m->train();
  m->set_frozen("encoder", true);
  auto stats = [&](const std::string& prefix) {
    std::vector<torch::Tensor> r;
    for (const auto& b : m->named_buffers())
      if (b.key().rfind(prefix, 0) == 0 && b.key().find("running_mean") != std::string::npos) r.push_back(b.value().clone());
    return r;
  };
  auto enc0 = stats("encoder3"), dec0 = stats("decoder3");
  REQUIRE(!enc0.empty());
  test::random_loss(m->forward(test::images(2, 64, 64))).backward();
  auto enc1 = stats("encoder3"), dec1 = stats("decoder3");
  for (size_t i = 0; i < enc0.size(); ++i) CHECK(torch::equal(enc0[i], enc1[i]));
  bool dec_changed = false;
  for (size_t i = 0; i < dec0.size(); ++i) dec_changed |= !torch::equal(dec0[i], dec1[i]);
  CHECK(dec_changed);
  for (const auto& item : m->named_parameters()) {
    const bool enc = item.key().rfind("encoder", 0) == 0 || item.key().rfind("stem", 0) == 0 ||
                     item.key().rfind("bottleneck", 0) == 0;
    INFO(item.key());
    CHECK(item.value().grad().defined() == !enc);
  }
  m->train();  // still eval for the frozen group after train()
  for (const auto& child : m->named_children())
    CHECK(child.value()->is_training() == (child.key().rfind("decoder", 0) == 0 || child.key().rfind("map", 0) == 0 ||
                                           child.key().find("head") != std::string::npos));
  CHECK(m->is_frozen("encoder"));
  CHECK(m->groups() == std::vector<std::string>{"encoder", "decoder", "maps", "heads"});
}

TEST_CASE("menet: same init_seed gives identical outputs", "[menet]") {
  torch::NoGradGuard guard;
  auto x = test::images(1, 64, 64);
  auto run = [&](std::int64_t seed) {
    auto m = build("menet", small({{"init_seed", seed}}));
    m->eval();  // train-mode BN needs N ≥ 2 at the 1×1 bottleneck
    return m->forward(x);
  };
  auto a = run(2), b = run(2), c = run(3);
  CHECK(torch::equal(a.logits, b.logits));
  CHECK(torch::equal(a.features, b.features));
  CHECK_FALSE(torch::equal(a.logits, c.logits));
}

TEST_CASE("menet maps: softmax map and min-max normalisation", "[menet][maps]") {
  auto logits = torch::zeros({1, 2, 1, 2});
  logits[0][1][0][1] = std::log(3.0);  // p = 3/4
  auto p = menet_softmax_map(logits);
  CHECK(p[0][0][0][0].item<double>() == Approx(0.5));
  CHECK(p[0][0][0][1].item<double>() == Approx(0.75));
  auto n = minmax_normalise(p);
  CHECK(n[0][0][0][0].item<double>() == Approx(1e-8 / (0.25 + 1e-8)));
  CHECK(n[0][0][0][1].item<double>() == Approx(1.0));
}

TEST_CASE("menet maps: metric map with a hand-built border background", "[menet][maps]") {
  // 12×12, border 3: band pixels are background A = +e0 except a minority B = −e0 (every 5th band
  // pixel); the centre is C = e1 (features unnormalised: scaled by 2 to check the L2 step).
  const int H = 12, W = 12;
  auto f = torch::zeros({1, 4, H, W});
  std::vector<std::pair<int, int>> band_b;
  int idx = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const bool band = std::min({y, x, H - 1 - y, W - 1 - x}) < 3;
      if (!band) { f[0][1][y][x] = 2.0; continue; }
      if (idx++ % 5 == 0) { f[0][0][y][x] = -2.0; band_b.push_back({y, x}); }
      else f[0][0][y][x] = 2.0;
    }
  MetricMapOptions o;
  o.border = 3;
  o.max_samples = 1000;  // every candidate: the prototype is the majority A
  auto s = menet_metric_map(f, torch::Tensor(), o);
  CHECK(s[0][0][0][1].item<double>() == Approx(0.0).margin(1e-6));   // A
  CHECK(s[0][0][6][6].item<double>() == Approx(0.5).margin(1e-6));   // C: ‖e1−e0‖² = 2 of 4
  CHECK(s[0][0][band_b[0].first][band_b[0].second].item<double>() == Approx(1.0).margin(1e-6));  // B
  // Foreground probability ≥ 0.5 removes A from the candidates: the prototype becomes B.
  auto fg = torch::zeros({1, 1, H, W});
  fg.masked_fill_(f.narrow(1, 0, 1) > 0, 0.9);
  auto s2 = menet_metric_map(f, fg, o);
  CHECK(s2[0][0][0][1].item<double>() == Approx(1.0).margin(1e-6));
  CHECK(s2[0][0][band_b[0].first][band_b[0].second].item<double>() == Approx(0.0).margin(1e-6));
  // Seeded sampling of ≤ max_samples: reproducible.
  auto r = torch::randn({2, 16, 40, 40});
  o.max_samples = 10;
  o.seed = 4;
  CHECK(torch::equal(menet_metric_map(r, torch::Tensor(), o), menet_metric_map(r, torch::Tensor(), o)));
  // No candidates: b = 0, so S = ‖f̃‖² = 1 everywhere except zero features → 0.
  auto z = torch::zeros({1, 2, 4, 4});
  z[0][0][1][1] = 3.0;
  auto s3 = menet_metric_map(z, torch::ones({1, 1, 4, 4}), o);
  CHECK(s3[0][0][1][1].item<double>() == Approx(1.0));
  CHECK(s3[0][0][0][0].item<double>() == Approx(0.0).margin(1e-6));
}
