// Context-measure on hand-computed cases: an empty GT, an all-zero map, and a one-pixel object
// (PySODMetrics' fixed kernel for <= 1 GT pixel: covariance diag(1/4, 1/4), 3x3), whose value
// follows in closed form. The fixture test (test_pysod_all.cpp) checks real maps.
#include <catch2/catch.hpp>

#include "metrics/context_measure.h"
#include "metrics/evaluator.h"

#include <cmath>
#include <vector>

using namespace sodlab::metrics;

TEST_CASE("Context-measure: empty GT, all-zero map, a one-pixel object") {
  const cv::Mat none = cv::Mat::zeros(9, 9, CV_8UC1);
  cv::Mat dot = none.clone();
  dot.at<std::uint8_t>(4, 4) = 1;
  cv::Mat half(9, 9, CV_64F, cv::Scalar(0.5)), zero = cv::Mat::zeros(9, 9, CV_64F), exact;
  dot.convertTo(exact, CV_64F);
  CHECK(context_measure(half, none) == 0.0);  // nothing to cover: reverse deduction 0
  CHECK(context_measure(zero, dot) == 0.0);   // nothing predicted: forward inference 0
  // One pixel, predicted exactly: the kernel is exp(-2(x² + y²)) normalised, its centre 1/S.
  const double S = 1 + 4 * std::exp(-2.0) + 4 * std::exp(-4.0), centre = 1 / S;
  const double eps = 2.220446049250313e-16;
  const double forward = static_cast<double>(static_cast<float>(centre)) / (1 + eps);  // float32 spread of the GT
  const double reverse = std::exp(1.0) / (std::exp(1.0) - 1) * (1 - std::exp(-centre)) / (1 + eps);
  CHECK(context_measure(exact, dot) == Approx(2 * forward * reverse / (forward + reverse + eps)).epsilon(1e-12));
  // Through the evaluator: per image and the mean.
  Evaluator ev(Convention::pysodmetrics, MetricSelection::parse("cm"));
  cv::Mat gt_u8 = dot * 255, pred_u8 = dot * 255;
  ev.add("dot", pred_u8, gt_u8);
  ev.add("empty", pred_u8, cv::Mat::zeros(9, 9, CV_8UC1));
  const auto r = ev.result();
  CHECK(r.per_image.at("empty").at("cm") == 0.0);
  CHECK(r.dataset.at("cm") == Approx(r.per_image.at("dot").at("cm") / 2).epsilon(1e-15));
  CHECK(r.per_image.at("dot").at("cm") == Approx(context_measure(exact, dot)).epsilon(1e-15));
}
