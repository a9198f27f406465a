// Size invariance on hand-computed cases: two targets (SI-MAE weighs each target's own MAE), the
// < 50-pixel rule (the largest components, ties kept), an empty GT (one target: the image), a GT
// without background (left out), boxes covering the image (SI-MAE NaN), a one-pixel object. The
// fixture test (test_pysod_all.cpp) checks every key against PySODMetrics.
#include <catch2/catch.hpp>

#include "metrics/evaluator.h"
#include "metrics/image_metrics.h"

#include <cmath>

using namespace sodlab::metrics;

namespace {

cv::Mat blank() { return cv::Mat::zeros(20, 20, CV_8UC1); }

}  // namespace

TEST_CASE("SI-MAE: each target's MAE in its box, the background's, weighted 1/(T + r)") {
  cv::Mat gt = blank(), pred;
  gt(cv::Rect(0, 0, 10, 10)) = 255;    // target A: 100 pixels
  gt(cv::Rect(10, 15, 10, 5)) = 255;   // target B: 50 pixels
  pred = gt.clone();
  pred(cv::Rect(0, 0, 10, 1)) = 0;     // 10 misses in A
  pred(cv::Rect(10, 15, 5, 1)) = 0;    // 5 misses in B
  const ImageEvaluation e = evaluate_image(pred, gt, Convention::pysodmetrics, MetricSelection::parse("si_mae,mae"));
  // Boxes cover 150 pixels: r = 250/150 = 5/3, factor 1/(2 + 5/3) = 3/11; no error outside.
  CHECK(e.values.at("si_mae") == Approx((10.0 / 100 + 5.0 / 50) * 3 / 11).epsilon(1e-14));
  CHECK(e.values.at("MAE") == Approx(15.0 / 400).epsilon(1e-14));  // plain MAE: by pixel count
  CHECK(e.size_invariance.n_targets == 2);
}

TEST_CASE("size invariance: components under 50 pixels give way to the largest, ties all kept") {
  cv::Mat gt = blank();
  for (int x : {1, 6, 11}) gt(cv::Rect(x, 2, 2, 2)) = 255;  // three 2x2 components
  gt.at<std::uint8_t>(15, 15) = 255;                         // one pixel: not a target
  const ImageEvaluation e = evaluate_image(gt, gt, Convention::pysodmetrics, MetricSelection::parse("size_invariance"));
  CHECK(e.size_invariance.n_targets == 3);
  // Perfect map: every target's binary F is 1; the lone pixel lies outside every box and is
  // predicted right, so SI-MAE is 0.
  const int fm = confusion_member_index("fm");
  CHECK(e.size_invariance.sample[fm][3] == 1.0);
  CHECK(e.values.at("si_mae") == 0.0);
  cv::Mat big = blank();
  big(cv::Rect(0, 0, 10, 5)) = 255;  // 50 pixels: a target
  big(cv::Rect(15, 15, 3, 3)) = 255;  // 9 pixels: background for SI
  CHECK(evaluate_image(big, big, Convention::pysodmetrics, MetricSelection::parse("si_fm")).size_invariance.n_targets == 1);
}

TEST_CASE("size invariance: empty GT, GT without background, boxes covering the image, one pixel") {
  const MetricSelection si = MetricSelection::parse("size_invariance,confusion_fm,mae");
  Evaluator ev(Convention::pysodmetrics, si);
  cv::Mat noisy = blank();
  noisy(cv::Rect(3, 3, 4, 4)) = 200;
  noisy(cv::Rect(12, 5, 2, 2)) = 90;
  ev.add("empty", noisy, blank());  // one target, the image: the plain values
  cv::Mat full(20, 20, CV_8UC1, cv::Scalar(255));
  ev.add("full", noisy, full);      // no background: left out
  cv::Mat ell = blank();
  ell.row(0) = 255;
  ell.col(0) = 255;                 // 39 pixels, the largest; its box is the image
  ev.add("ell", ell, ell);
  cv::Mat dot = blank();
  dot.at<std::uint8_t>(7, 9) = 255;
  ev.add("dot", dot, dot);
  const EvaluationResult r = ev.result();
  const auto& empty = r.per_image.at("empty");
  CHECK(empty.at("si_mae") == Approx(empty.at("MAE")).epsilon(1e-14));
  CHECK(r.per_image.at("full").count("si_mae") == 0);
  CHECK(std::isnan(r.per_image.at("ell").at("si_mae")));
  CHECK(r.per_image.at("dot").at("si_mae") == 0.0);  // perfect
  CHECK(r.dataset.at("si_n_skipped") == 1);
  CHECK(std::isnan(r.dataset.at("si_mae")));
  CHECK(r.dataset.at("si_mae_n_nan") == 1);
  CHECK(r.dataset.at("si_mae_nanmean") == Approx(empty.at("MAE") / 2).epsilon(1e-14));
  // Sample means over the three defined images: the empty GT's adaptive F equals the plain one
  // (0: nothing to find), the ell and the dot are perfect.
  CHECK(r.dataset.at("si_sample_adpfm") == Approx((empty.at("adpfm") + 1 + 1) / 3).epsilon(1e-14));
  CHECK(r.dataset.at("si_sample_bifm") == Approx((empty.at("sample_bifm") + 1 + 1) / 3).epsilon(1e-14));
}
