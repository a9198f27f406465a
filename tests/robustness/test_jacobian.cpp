// torch (via glog) defines CHECK: include it before Catch2 so Catch2's CHECK wins.
#include "robustness/jacobian.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.h"
#include "data/random.h"
#include "data/transforms.h"
#include "models/registry.h"

using namespace sodlab;
using namespace sodlab::robustness;

namespace {

// conv3×3 3→4, tanh, conv1×1 4→2: smooth, so central differences are accurate. C = 2 logits.
class SmoothModel : public models::SegmentationModel {
 public:
  SmoothModel() {
    torch::manual_seed(5);
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 2, 1)));
  }
  models::ModelOutput forward(const torch::Tensor& x) override {
    return {head->forward(torch::tanh(conv->forward(x / 64.0 - 2.0))), {}};
  }
  torch::Tensor saliency(const models::ModelOutput& o) const override {
    return torch::softmax(o.logits, 1).slice(1, 1, 2);
  }
  std::vector<std::string> groups() const override { return {}; }
  void set_frozen(const std::string&, bool) override {}
  bool is_frozen(const std::string&) const override { return false; }
  int output_channels() const override { return 2; }

  torch::nn::Conv2d conv{nullptr}, head{nullptr};
};

// f = w · x per pixel (1×1 conv 3→1, no bias); saliency() = the logits, so f is linear in x.
class LinearModel : public models::SegmentationModel {
 public:
  explicit LinearModel(std::vector<float> w, bool with_logits = true) : with_logits_(with_logits) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 1, 1).bias(false)));
    torch::NoGradGuard g;
    conv->weight.copy_(torch::tensor(w).reshape({1, 3, 1, 1}));
  }
  models::ModelOutput forward(const torch::Tensor& x) override {
    torch::Tensor y = conv->forward(x);
    return with_logits_ ? models::ModelOutput{y, {}} : models::ModelOutput{{}, y};
  }
  torch::Tensor saliency(const models::ModelOutput& o) const override {
    return o.logits.defined() ? o.logits : o.features;
  }
  std::vector<std::string> groups() const override { return {}; }
  void set_frozen(const std::string&, bool) override {}
  bool is_frozen(const std::string&) const override { return false; }
  int output_channels() const override { return with_logits_ ? 1 : 0; }

  torch::nn::Conv2d conv{nullptr};

 private:
  bool with_logits_;
};

std::shared_ptr<models::SegmentationModel> tiny_menet() {
  Options o;
  o.set("width", std::int64_t{4});
  o.set("blocks", std::int64_t{1});
  o.set("global_kernel", std::int64_t{2});
  o.set("init_seed", std::int64_t{1});
  return models::make_model("menet", o, models::Weights::skip);
}

cv::Mat random_image(int h, int w, std::uint64_t seed, int lo = 0, int hi = 256) {
  cv::Mat m(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, lo, hi);
  return m;
}

JacobianSettings settings(int input_size, int directions = 8) {
  JacobianSettings s;
  s.input_size = input_size;
  s.directions = directions;
  return s;
}

// mc_fd's estimate agrees with the exact ||J||_F² within 3 standard errors and `rel`.
void check_fd_against_exact(models::SegmentationModel& model, const cv::Mat& image, const JacobianSettings& s,
                            double rel) {
  const double exact = exact_jacobian_fro2(model, image, s);
  const FdEstimate e = mc_fd(model, {image}, {"img"}, s).front();
  INFO(s.label("mc_fd") << ": exact " << exact << ", estimate " << e.fro2 << " ± " << e.fro2_se);
  REQUIRE(exact > 0);
  CHECK(e.directions == s.directions);
  CHECK(e.fro2_se > 0);
  CHECK(std::abs(e.fro2 - exact) <= 3 * e.fro2_se);
  CHECK(std::abs(e.fro2 - exact) <= rel * exact);
  CHECK(e.fro == Approx(std::sqrt(e.fro2)));
}

}  // namespace

TEST_CASE("jacobian: mc_fd (gaussian) matches the exact Frobenius norm on a smooth model", "[jacobian]") {
  SmoothModel model;
  JacobianSettings s = settings(32, 256);
  s.seed = 3;
  check_fd_against_exact(model, random_image(40, 36, 1), s, 0.05);
  s.output = "saliency";
  check_fd_against_exact(model, random_image(40, 36, 2), s, 0.05);
}

TEST_CASE("jacobian: mc_fd (gaussian) matches the exact Frobenius norm on a tiny MEnet", "[jacobian]") {
  auto model = tiny_menet();
  // The random-init MEnet is far from linear at h = 1 (central differences then read ~15 % low:
  // 3.5 standard errors), so a smaller step.
  JacobianSettings s = settings(64, 256);
  s.output_size = 16;
  s.step = 0.25;
  s.batch_size = 32;
  s.seed = 1;
  check_fd_against_exact(*model, random_image(64, 64, 4), s, 0.1);
}

TEST_CASE("jacobian: awgn directions estimate the Frobenius norm, jpeg has one direction", "[jacobian]") {
  SmoothModel model;
  const cv::Mat image = random_image(32, 32, 6, 60, 196);  // away from 0 and 255: noise rarely clipped
  JacobianSettings s = settings(32, 256);
  s.direction = "awgn";
  s.direction_level = 25;
  check_fd_against_exact(model, image, s, 0.05);

  s.direction = "jpeg";
  s.direction_level = 30;
  const FdEstimate j = mc_fd(model, {image}, {"img"}, s).front();
  CHECK(j.directions == 1);
  CHECK(j.fro2_se == 0);
  CHECK(std::isfinite(j.fro2));
  CHECK(j.fro2 > 0);
}

TEST_CASE("jacobian: a zero jpeg perturbation is skipped", "[jacobian]") {
  SmoothModel model;
  const cv::Mat flat(32, 32, CV_8UC3, cv::Scalar(128, 128, 128));
  REQUIRE(cv::norm(data::jpeg_reencode(flat, 100), flat, cv::NORM_INF) == 0);
  JacobianSettings s = settings(32);
  s.direction = "jpeg";
  s.direction_level = 100;
  const FdEstimate e = mc_fd(model, {flat}, {"flat"}, s).front();
  CHECK(e.directions == 0);
  CHECK(std::isnan(e.fro2));
  CHECK(std::isnan(e.fro));
}

TEST_CASE("jacobian: paper_code is round-off, salient_sum is not", "[jacobian]") {
  SmoothModel smooth;
  auto menet = tiny_menet();
  struct Case { models::SegmentationModel* model; int size; };
  for (const Case& c : {Case{&smooth, 32}, Case{menet.get(), 64}}) {
    const std::vector<cv::Mat> images{random_image(c.size, c.size, 8), random_image(50, 70, 9)};
    const JacobianSettings s = settings(c.size);
    const auto paper = paper_code(*c.model, images, s);
    const auto salient = salient_sum(*c.model, images, s);
    REQUIRE(paper.size() == 2);
    REQUIRE(salient.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      INFO("input " << c.size << ", image " << i << ": paper max " << paper[i].max << ", salient max "
                    << salient[i].max);
      CHECK(salient[i].max > 1e-6);
      CHECK(salient[i].mean > 0);
      CHECK(salient[i].var > 0);
      CHECK(paper[i].max <= std::max(1e-6, 1e-5 * salient[i].max));
      CHECK(paper[i].min <= paper[i].median);
      CHECK(paper[i].median <= paper[i].max);
    }
  }
}

TEST_CASE("jacobian: a linear model's gradient, Jacobian and finite differences by hand", "[jacobian]") {
  // f_p = w · x_p at the output pixels (2i, 2j) of an 8×8 input (nearest 8 → 4): 16 rows of J,
  // each holding w at one pixel's 3 channels.
  const std::vector<float> w{0.5f, -0.25f, 2.0f};
  LinearModel model(w);
  const cv::Mat image = random_image(8, 8, 10);
  JacobianSettings s = settings(8, 16);
  s.output = "saliency";
  s.seed = 42;

  // |g| over 192 entries: 16 each of 0.5, 0.25, 2 and 144 zeros.
  const GradientStats g = salient_sum(model, {image}, s).front();
  const double n = 192, sum = 16 * 2.75, sum2 = 16 * (0.25 + 0.0625 + 4.0);
  CHECK(g.max == 2.0);
  CHECK(g.min == 0.0);
  CHECK(g.median == 0.0);
  CHECK(g.mean == Approx(sum / n).epsilon(1e-12));
  CHECK(g.var == Approx((sum2 - sum * sum / n) / (n - 1)).epsilon(1e-12));
  CHECK(exact_jacobian_fro2(model, image, s) == Approx(sum2).epsilon(1e-12));
  CHECK(paper_code(model, {image}, s).front().max == 0.0);  // softmax over one channel ≡ 1

  // Central differences of a linear f are exact: s_k = ||J v_k||² with the documented directions.
  std::vector<double> sk;
  for (int k = 0; k < s.directions; ++k) {
    data::Rng rng(data::derive_seed(s.seed, "jacobian:stem", static_cast<std::uint64_t>(k)));
    std::vector<float> v(192);
    for (auto& e : v) e = static_cast<float>(rng.normal());  // C×H×W
    double norm2 = 0;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        double jv = 0;
        for (int c = 0; c < 3; ++c) jv += static_cast<double>(w[c]) * v[(c * 8 + 2 * i) * 8 + 2 * j];
        norm2 += jv * jv;
      }
    sk.push_back(norm2);
  }
  double mean = 0, ss = 0;
  for (double e : sk) mean += e / static_cast<double>(sk.size());
  for (double e : sk) ss += (e - mean) * (e - mean);
  const FdEstimate e = mc_fd(model, {image}, {"stem"}, s).front();
  CHECK(e.directions == 16);
  CHECK(e.fro2 == Approx(mean).epsilon(1e-4));
  CHECK(e.fro2_se == Approx(std::sqrt(ss / 15 / 16)).epsilon(1e-3));
}

TEST_CASE("jacobian: deterministic, and independent of batch composition", "[jacobian]") {
  SmoothModel model;
  model.train();
  const std::vector<cv::Mat> images{random_image(32, 32, 11), random_image(20, 44, 12), random_image(64, 64, 13)};
  const std::vector<std::string> stems{"a", "b", "c"};
  JacobianSettings batched = settings(32);
  batched.batch_size = 3;
  JacobianSettings single = batched;
  single.batch_size = 1;

  const auto fd = mc_fd(model, images, stems, batched);
  const auto fd_again = mc_fd(model, images, stems, batched);
  const auto sal = salient_sum(model, images, batched);
  for (std::size_t i = 0; i < images.size(); ++i) {
    INFO("image " << i);
    CHECK(fd[i].fro2 == fd_again[i].fro2);
    CHECK(fd[i].fro2_se == fd_again[i].fro2_se);
    const FdEstimate one = mc_fd(model, {images[i]}, {stems[i]}, single).front();
    CHECK(one.fro2 == Approx(fd[i].fro2).epsilon(1e-5));
    CHECK(one.fro2_se == Approx(fd[i].fro2_se).epsilon(1e-4));
    const GradientStats g = salient_sum(model, {images[i]}, single).front();
    CHECK(g.max == Approx(sal[i].max).epsilon(1e-5));
    CHECK(g.mean == Approx(sal[i].mean).epsilon(1e-5));
    CHECK(g.var == Approx(sal[i].var).epsilon(1e-5));
  }
  // Directions follow the stem, not the position; another seed draws others.
  const auto swapped = mc_fd(model, {images[1], images[0]}, {"b", "a"}, batched);
  CHECK(swapped[0].fro2 == Approx(fd[1].fro2).epsilon(1e-5));
  JacobianSettings reseeded = batched;
  reseeded.seed = 1;
  CHECK(mc_fd(model, {images[0]}, {"a"}, reseeded).front().fro2 != fd[0].fro2);
  {
    torch::NoGradGuard caller_no_grad;  // e.g. the pipeline's evaluation
    CHECK(salient_sum(model, {images[0]}, batched).front().max == Approx(sal[0].max).epsilon(1e-5));
  }
  // The mode is restored and no parameter gradient is accumulated.
  CHECK(model.is_training());
  for (const auto& p : model.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("jacobian: labels name every setting that affects the estimate", "[jacobian]") {
  JacobianSettings s = settings(64);
  CHECK(s.label("paper_code") == "paper_code/in64/out32");
  CHECK(s.label("salient_sum") == "salient_sum/in64/out32/probability");
  CHECK(s.label("mc_fd") == "mc_fd/in64/out32/probability/K8/h1/gaussian/seed0");
  s.output_size = 64;
  s.output = "saliency";
  s.step = 0.5;
  s.direction = "awgn";
  s.direction_level = 12.5;
  s.seed = 7;
  CHECK(s.label("mc_fd") == "mc_fd/in64/out64/saliency/K8/h0.5/awgn_s12.5/seed7");
  s.direction = "jpeg";
  s.direction_level = 30;
  CHECK(s.label("mc_fd") == "mc_fd/in64/out64/saliency/h0.5/jpeg_q30");
  CHECK_THROWS_AS(s.label("mc-fd"), InputError);
}

TEST_CASE("jacobian: the registry and its metric values", "[jacobian]") {
  CHECK(known_estimators() == std::vector<std::string>{"paper_code", "salient_sum", "mc_fd"});
  CHECK_THROWS_AS(estimator_registry().at("paper"), InputError);
  SmoothModel model;
  const std::vector<cv::Mat> images{random_image(32, 32, 14), random_image(32, 32, 15)};
  const JacobianSettings s = settings(32);
  for (const auto& e : estimator_registry().entries()) {
    INFO(e.name);
    const auto values = e.run(model, images, {"x", "y"}, s);
    REQUIRE(values.size() == 2);
    REQUIRE(values[0].size() == e.metrics.size());
    for (std::size_t m = 0; m < e.metrics.size(); ++m) CHECK(values[0][m].first == e.metrics[m]);
  }
  const FdEstimate fd = mc_fd(model, images, {"x", "y"}, s)[1];
  CHECK(metric_values(fd) == MetricValues{{"J_fro2", fd.fro2}, {"J_fro2_se", fd.fro2_se}, {"J_fro", fd.fro},
                                          {"J_directions", 8.0}});
}

TEST_CASE("jacobian: bad settings and inputs are InputErrors naming the key", "[jacobian]") {
  auto rejects = [](const std::function<void(JacobianSettings&)>& edit, const std::string& key) {
    JacobianSettings s;
    edit(s);
    INFO(key);
    CHECK_THROWS_WITH(validate(s), Catch::Contains("'" + key + "'"));
  };
  rejects([](auto& s) { s.input_size = 1; }, "input_size");
  rejects([](auto& s) { s.output_size = -1; }, "output_size");
  rejects([](auto& s) { s.output = "logits"; }, "output");
  rejects([](auto& s) { s.directions = 1; }, "directions");
  rejects([](auto& s) { s.step = 0; }, "step");
  rejects([](auto& s) { s.step = std::nan(""); }, "step");
  rejects([](auto& s) { s.direction = "uniform"; }, "direction");
  rejects([](auto& s) { s.direction = "awgn", s.direction_level = 0; }, "direction_level");
  rejects([](auto& s) { s.direction = "jpeg", s.direction_level = 30.5; }, "direction_level");
  rejects([](auto& s) { s.direction = "jpeg", s.direction_level = 101; }, "direction_level");
  rejects([](auto& s) { s.batch_size = 0; }, "batch_size");

  Options bad("eval.jacobian");
  bad.set("directions", std::int64_t{1});
  CHECK_THROWS_WITH(read_jacobian_settings(bad), Catch::Contains("eval.jacobian") && Catch::Contains("'directions'"));
  Options awgn("eval.jacobian");
  awgn.set("direction", std::string("awgn"));
  awgn.set("direction_level", 0.0);
  CHECK_THROWS_WITH(read_jacobian_settings(awgn), Catch::Contains("eval.jacobian: option 'direction_level'"));
  Options typo("eval.jacobian");
  typo.set("direction", std::string("jpeg"));
  typo.set("direction_level", std::int64_t{40});
  typo.set("dirctions", std::int64_t{4});
  const JacobianSettings read = read_jacobian_settings(typo);
  CHECK(read.direction_level == 40);
  CHECK(read.resolved_output_size() == 32);
  CHECK_THROWS_WITH(typo.reject_unknown(), Catch::Contains("directions"));

  SmoothModel model;
  const JacobianSettings s = settings(32);
  CHECK_THROWS_AS(salient_sum(model, {cv::Mat(32, 32, CV_8UC1, cv::Scalar(0))}, s), InputError);
  CHECK_THROWS_AS(mc_fd(model, {random_image(32, 32, 1)}, {}, s), InputError);
  LinearModel no_logits({1.0f, 1.0f, 1.0f}, false);
  CHECK_THROWS_AS(paper_code(no_logits, {random_image(32, 32, 1)}, s), InputError);
  CHECK_THROWS_AS(salient_sum(no_logits, {random_image(32, 32, 1)}, s), InputError);
  JacobianSettings sal = s;
  sal.output = "saliency";
  CHECK(salient_sum(no_logits, {random_image(32, 32, 1)}, sal).front().max == Approx(1.0));
}
