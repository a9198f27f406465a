// Hand-computed tiny cases for each metric, convention quirks and bad input.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "metrics/evaluator.h"
#include "metrics/image_metrics.h"
#include "metrics/weighted_fmeasure.h"

#include <cmath>

using namespace sodlab::metrics;
using sodlab::InputError;

namespace {

cv::Mat u8(int rows, int cols, std::initializer_list<int> v) {
  cv::Mat m(rows, cols, CV_8UC1);
  auto it = v.begin();
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m.at<std::uint8_t>(r, c) = static_cast<std::uint8_t>(*it++);
  return m;
}

const double kEps = 2.220446049250313e-16;

}  // namespace

TEST_CASE("MAE, adaptive F and exact AUROC on a 2x3 case (pysodmetrics)") {
  const cv::Mat pred = u8(2, 3, {0, 255, 128, 255, 0, 64});
  const cv::Mat gt = u8(2, 3, {0, 255, 255, 0, 0, 0});
  const auto e = evaluate_image(pred, gt, Convention::pysodmetrics);
  // |p - g| = 0, 0, 127/255, 1, 0, 64/255
  CHECK(e.values.at("MAE") == Approx(446.0 / (255 * 6)).epsilon(1e-14));
  // threshold min(2·702/1530, 1) = 0.918: the two 255 pixels (one fg, one bg) → P = R = 0.5.
  CHECK(e.values.at("adpP") == 0.5);
  CHECK(e.values.at("adpR") == 0.5);
  CHECK(e.values.at("adpF") == Approx(0.5).epsilon(1e-14));
  // fg {255,128} vs bg {0,255,0,64}: 255 beats 3, ties 1; 128 beats 3 → 6.5 / 8.
  CHECK(e.values.at("AUROC") == Approx(0.8125).epsilon(1e-14));
  // Threshold counts: at t = 128 both fg pixels and one bg pixel are predicted.
  CHECK(e.tp[128] == 2);
  CHECK(e.fp[128] == 1);
  CHECK(e.tp[129] == 1);
  const double p = 2.0 / 3, f = 1.3 * p * 1.0 / (0.3 * p + 1.0);
  CHECK(e.fmeasure[128] == Approx(f).epsilon(1e-14));
  CHECK(e.values.at("maxF") == Approx(f).epsilon(1e-14));
}

TEST_CASE("E-measure from counts: perfect map, empty and full GT") {
  CHECK(emeasure_from_counts(10, 0, 10, 40) == Approx(40.0 / 39).epsilon(1e-12));  // can exceed 1
  CHECK(emeasure_from_counts(0, 5, 0, 40) == Approx(35.0 / 39).epsilon(1e-14));   // #pred_bg
  CHECK(emeasure_from_counts(30, 0, 40, 40) == Approx(30.0 / 39).epsilon(1e-14)); // #pred_fg
  // Everything predicted, half GT: μp = 1, μg = 0.5 → TP align 0 → enh 1/4; FP align 0 → 1/4.
  CHECK(emeasure_from_counts(20, 20, 20, 40) == Approx(40 * 0.25 / 39).epsilon(1e-12));
}

TEST_CASE("S-measure on a 2x2 case (object term with ddof = 1, single-pixel σ = 0)") {
  const cv::Mat pred = u8(2, 2, {255, 51, 0, 0});
  const cv::Mat gt = u8(2, 2, {255, 0, 0, 0});
  const auto e = evaluate_image(pred, gt, Convention::pysodmetrics);
  // Every quadrant is one pixel: ssim = 1 (α = β = 0). Background object values 1-p = .8, 1, 1.
  const double mu = 2.8 / 3;
  const double sigma = std::sqrt(((0.8 - mu) * (0.8 - mu) + 2 * (1 - mu) * (1 - mu)) / 2);
  const double s_bg = 2 * mu / (mu * mu + 1 + sigma + kEps);
  const double object = 0.25 * (2.0 / (2 + kEps)) + 0.75 * s_bg;
  CHECK(e.values.at("Sm") == Approx(0.5 * object + 0.5).epsilon(1e-12));
  // Same under the toolbox convention (max-normalised map = same values here).
  CHECK(evaluate_image(pred, gt, Convention::sal_eval_toolbox).values.at("Sm") ==
        Approx(0.5 * object + 0.5).epsilon(1e-12));
}

TEST_CASE("S-measure: empty GT, full GT and the empty-quadrant NaN case") {
  const cv::Mat pred = u8(2, 2, {255, 0, 0, 51});
  CHECK(evaluate_image(pred, u8(2, 2, {0, 0, 0, 0}), Convention::pysodmetrics).values.at("Sm") ==
        Approx(1 - 1.2 / 4).epsilon(1e-14));
  CHECK(evaluate_image(pred, u8(2, 2, {255, 255, 255, 255}), Convention::pysodmetrics).values.at("Sm") ==
        Approx(1.2 / 4).epsilon(1e-14));
  // All foreground in the last column: the centroid column is the width, a quadrant is empty.
  const cv::Mat gt = u8(3, 3, {0, 0, 255, 0, 0, 255, 0, 0, 0});
  const cv::Mat p3 = u8(3, 3, {0, 10, 200, 0, 30, 255, 0, 0, 0});
  CHECK(std::isnan(evaluate_image(p3, gt, Convention::pysodmetrics).values.at("Sm")));
  CHECK(std::isnan(evaluate_image(p3, gt, Convention::sal_eval_toolbox).values.at("Sm")));
  // Dataset: PySOD's np.mean propagates NaN; the toolbox drops NaN images.
  Evaluator a(Convention::pysodmetrics), b(Convention::sal_eval_toolbox);
  const cv::Mat ok_gt = u8(3, 3, {0, 0, 0, 0, 255, 0, 0, 0, 0}), ok_pred = ok_gt;
  for (Evaluator* ev : {&a, &b}) {
    ev->add("nan", p3, gt);
    ev->add("ok", ok_pred, ok_gt);
  }
  CHECK(std::isnan(a.result().dataset.at("Sm")));
  CHECK(b.result().dataset.at("Sm") == b.result().per_image.at("ok").at("Sm"));
}

TEST_CASE("S-measure centroid: PySOD rounds half to even, MATLAB half away from zero") {
  // 1x6, foreground columns 0..1: 0-based mean 0.5 → PySOD cx = 0 + 1 = 1; MATLAB round(1.5) = 2.
  const cv::Mat gt = u8(2, 6, {255, 255, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0});
  const cv::Mat pred = u8(2, 6, {255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 0});
  const double py = evaluate_image(pred, gt, Convention::pysodmetrics).values.at("Sm");
  const double ml = evaluate_image(pred, gt, Convention::sal_eval_toolbox).values.at("Sm");
  // Row centroid: mean 0.5 → PySOD cy = 1, MATLAB cy = 2 (= height: bottom quadrants empty → NaN).
  CHECK(std::isfinite(py));
  CHECK(std::isnan(ml));
}

TEST_CASE("weighted F-measure hand cases") {
  // gt [1 0 0], pred [1 0 .5]: Et = 0 everywhere (nearest fg error), so EA = 0;
  // Ew = [0, 0, .5·(2 - 0.5^(2/5))]; R = 1, P = 1/(1 + FPw), Q = 2RP/(R+P).
  cv::Mat pred(1, 3, CV_64FC1), gt = u8(1, 3, {255, 0, 0});
  pred.at<double>(0) = 1, pred.at<double>(1) = 0, pred.at<double>(2) = 0.5;
  const double fpw = 0.5 * (2 - std::exp(std::log(0.5) / 5 * 2));
  const double P = 1 / (1 + fpw + kEps), R = 1;
  CHECK(weighted_fmeasure(pred, gt) == Approx(2 * R * P / (R + P + kEps)).epsilon(1e-14));
  // β² enters as (1+β²)RP/(R+β²P).
  CHECK(weighted_fmeasure(pred, gt, 0.3) == Approx(1.3 * R * P / (R + 0.3 * P + kEps)).epsilon(1e-14));

  // gt [1 1 1], pred [1 0 1]: EA at the middle = h(0,0)·1 < E → min term h00 (7x7 σ=5 kernel).
  double s = 0;
  for (int k = -3; k <= 3; ++k) s += std::exp(-k * k / 50.0);
  const double h00 = 1 / (s * s);
  cv::Mat p2(1, 3, CV_64FC1);
  p2.at<double>(0) = 1, p2.at<double>(1) = 0, p2.at<double>(2) = 1;
  const double R2 = 1 - h00 / 3, P2 = (3 - h00) / (3 - h00 + kEps);
  CHECK(weighted_fmeasure(p2, u8(1, 3, {255, 255, 255})) ==
        Approx(2 * R2 * P2 / (R2 + P2 + kEps)).epsilon(1e-13));
  // Perfect map → 1; empty GT → 0.
  cv::Mat p3(2, 2, CV_64FC1, cv::Scalar(0.0));
  p3.at<double>(0, 0) = 1;
  CHECK(weighted_fmeasure(p3, u8(2, 2, {255, 0, 0, 0})) == Approx(1.0).epsilon(1e-14));
  CHECK(weighted_fmeasure(p3, u8(2, 2, {0, 0, 0, 0})) == 0.0);
  CHECK_THROWS_AS(weighted_fmeasure(p3, u8(1, 2, {0, 0})), InputError);
}

TEST_CASE("GT binarisation: > 128 (PySOD) versus >= 26 (toolbox)") {
  const cv::Mat gt = u8(1, 4, {128, 129, 25, 26});
  const cv::Mat pred = u8(1, 4, {0, 0, 0, 255});
  CHECK(evaluate_image(pred, gt, Convention::pysodmetrics).n_fg == 1);
  CHECK(evaluate_image(pred, gt, Convention::sal_eval_toolbox).n_fg == 3);
}

TEST_CASE("Quantisation follows PySOD's float path and the toolbox's histc edges") {
  // Values 100..103 stretch to 0, 1/3, 2/3, 1; PySOD's float path gives p·255 = 0,
  // 84.9999999999996, 170.0000000000004, 255 → uint8 0, 84, 170, 255 (not the exact 85).
  const cv::Mat pred = u8(1, 4, {100, 101, 102, 103});
  const cv::Mat gt = u8(1, 4, {0, 0, 255, 255});
  const auto e = evaluate_image(pred, gt, Convention::pysodmetrics);
  CHECK(e.tp[170] == 2);
  CHECK(e.tp[171] == 1);
  CHECK(e.fp[84] == 1);
  CHECK(e.fp[85] == 0);
  // Toolbox: sMap = v/103, counted at t when sMap >= t/255: background 100 → 247.57, 101 → 250.05.
  const auto m = evaluate_image(pred, gt, Convention::sal_eval_toolbox);
  CHECK(m.fp[247] == 2);
  CHECK(m.fp[248] == 1);
  CHECK(m.fp[250] == 1);
  CHECK(m.fp[251] == 0);
  CHECK(m.tp[255] == 1);
  // A constant map is not stretched: p = v/255; adaptive threshold min(2·128/255, 1) = 1 → nothing.
  const auto c = evaluate_image(u8(1, 4, {128, 128, 128, 128}), gt, Convention::pysodmetrics);
  CHECK(c.values.at("adpF") == 0.0);
  CHECK(c.values.at("MAE") == Approx(0.5 * (128.0 / 255) + 0.5 * (127.0 / 255)).epsilon(1e-14));
}

TEST_CASE("Toolbox totalNum quirk: only the last image (by name) can lower it") {
  const cv::Mat gt = u8(2, 2, {255, 0, 0, 0}), good = u8(2, 2, {255, 0, 0, 0}), zero = u8(2, 2, {0, 0, 0, 0});
  Evaluator last_zero(Convention::sal_eval_toolbox), first_zero(Convention::sal_eval_toolbox);
  last_zero.add("b", zero, gt);
  last_zero.add("a", good, gt);
  first_zero.add("a", zero, gt);
  first_zero.add("b", good, gt);
  // The all-zero map has threshold 0: every pixel is predicted, P = 1/4, R = 1.
  const double fz = 1.3 * 0.25 / (0.3 * 0.25 + 1);
  CHECK(last_zero.result().dataset.at("adpF") == Approx(1.0 + fz).epsilon(1e-14));        // Σ / 1
  CHECK(first_zero.result().dataset.at("adpF") == Approx((1.0 + fz) / 2).epsilon(1e-14));  // Σ / 2
  // PySOD always divides by the number of images.
  Evaluator py(Convention::pysodmetrics);
  py.add("b", zero, gt);
  py.add("a", good, gt);
  CHECK(py.result().dataset.at("adpF") == Approx((1.0 + fz) / 2).epsilon(1e-14));
}

TEST_CASE("Dataset aggregation: max of the mean F curve vs F of mean P and R") {
  Evaluator ev(Convention::pysodmetrics);
  ev.add("a", u8(1, 4, {255, 255, 0, 0}), u8(1, 4, {255, 0, 0, 0}));
  ev.add("b", u8(1, 4, {255, 0, 0, 0}), u8(1, 4, {255, 255, 255, 0}));
  const auto r = ev.result();
  // At t = 255 (and every t >= 1): image a P = .5, R = 1; image b P = 1, R = 1/3.
  const double fa = 1.3 * 0.5 / (0.15 + 1), fb = 1.3 / 3 / (0.3 + 1.0 / 3);
  CHECK(r.dataset.at("maxF") == Approx((fa + fb) / 2).epsilon(1e-13));
  const double P = 0.75, R = 2.0 / 3;
  CHECK(r.dataset.at("maxF_of_mean_PR") == Approx(1.3 * P * R / (0.3 * P + R)).epsilon(1e-13));
  CHECK(r.dataset.at("maxF_threshold") == 1.0);  // t = 255 of 0..255, on the [0, 1] scale
  CHECK(r.curves.at("curve_F").size() == 256);
  CHECK(r.dataset.at("AUROC_n_valid") == 2);
}

TEST_CASE("Bad input is an InputError") {
  CHECK_THROWS_AS(parse_convention("matlab"), InputError);
  CHECK_THROWS_WITH(parse_convention("x"), Catch::Contains("pysodmetrics") && Catch::Contains("sal_eval_toolbox"));
  CHECK_THROWS_AS(MetricSelection::parse("mae,foo"), InputError);
  CHECK(MetricSelection::parse("mae,sm").to_string() == "mae,sm");
  CHECK_THROWS_AS(evaluate_image(u8(1, 2, {0, 0}), u8(2, 1, {0, 0}), Convention::pysodmetrics), InputError);
  CHECK_THROWS_AS(evaluate_image(cv::Mat(2, 2, CV_32FC1), u8(2, 2, {0, 0, 0, 0}), Convention::pysodmetrics),
                  InputError);
  Evaluator ev(Convention::pysodmetrics);
  ev.add("a", u8(1, 2, {0, 255}), u8(1, 2, {0, 255}));
  CHECK_THROWS_AS(ev.add("a", u8(1, 2, {0, 255}), u8(1, 2, {0, 255})), InputError);
}

TEST_CASE("MIoU@0.5 (Kolkin Table 3): per-image IoU of the raw map at u8 >= 128, mean over images") {
  // GT fg = {0, 1, 2}; pred >= 128 at {1, 2, 3} (127 is below, 128 is at the threshold).
  const cv::Mat gt = u8(2, 3, {255, 255, 255, 0, 0, 0});
  const cv::Mat pred = u8(2, 3, {127, 128, 255, 200, 0, 10});
  MetricSelection only_miou = MetricSelection::from_names({"miou"});
  for (auto conv : {Convention::pysodmetrics, Convention::sal_eval_toolbox}) {
    const auto e = evaluate_image(pred, gt, conv, only_miou);
    CHECK(e.values.at("IoU50") == Approx(2.0 / 4.0).epsilon(1e-15));  // ∩ {1,2}, ∪ {0,1,2,3}
  }
  // Not min-max stretched: a map whose maximum is 100 predicts nothing at 0.5.
  const cv::Mat dim = u8(2, 3, {100, 100, 100, 0, 0, 0});
  CHECK(evaluate_image(dim, gt, Convention::pysodmetrics, only_miou).values.at("IoU50") == 0.0);
  // Empty GT and an empty prediction agree perfectly.
  const cv::Mat zero = u8(2, 3, {0, 0, 0, 0, 0, 0});
  CHECK(evaluate_image(zero, zero, Convention::pysodmetrics, only_miou).values.at("IoU50") == 1.0);
  Evaluator ev(Convention::pysodmetrics, only_miou);
  ev.add("a", pred, gt);
  ev.add("b", gt, gt);  // perfect: IoU 1
  CHECK(ev.result().dataset.at("mIoU50") == Approx(0.75).epsilon(1e-15));
  CHECK(ev.result().dataset.count("meanIoU") == 0);  // the curve statistic is another family
}
