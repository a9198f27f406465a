// Context-measure on hand-computed cases: an empty GT, an all-zero map, and a one-pixel object
// (PySODMetrics' fixed kernel for <= 1 GT pixel: covariance diag(1/4, 1/4), 3x3), whose value
// follows in closed form; and against the definition computed the way PySODMetrics computes it
// (two whole-image cv::filter2D spreads, here both in float64) on GTs at the centre, on each
// border and corner, filling the image, and in images smaller than the kernel; and the map's
// spread pixel by pixel against filter2D on GTs of many runs a row (the paired rows). The fixture test
// (test_pysod_all.cpp) checks real maps against PySODMetrics itself.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "metrics/context_measure.h"
#include "metrics/evaluator.h"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>
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
  const double forward = centre / (1 + eps);  // the GT's spread at the pixel, times the map's 1
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

namespace {

// cm by its definition, as PySODMetrics evaluates it: both spreads over the whole image with
// cv::filter2D (default border BORDER_REFLECT_101), here both float64, the sums over every pixel.
double definition_cm(const cv::Mat& pred, const cv::Mat& gt, double beta2, const cv::Mat& cd = cv::Mat()) {
  const cv::Mat kernel = context_kernel(gt, 6.0);
  cv::Mat gt64, spread_gt, spread_pred;
  gt.convertTo(gt64, CV_64F);
  cv::filter2D(gt64, spread_gt, CV_64F, kernel);
  cv::filter2D(pred, spread_pred, CV_64F, kernel);
  double forward = 0, mass = 0, reverse = 0, gt_sum = 0, cd_sum = 0;
  const double e = std::exp(1.0) / (std::exp(1.0) - 1);
  for (int r = 0; r < gt.rows; ++r)
    for (int c = 0; c < gt.cols; ++c) {
      const double p = pred.at<double>(r, c), g = gt64.at<double>(r, c), d = cd.empty() ? 0 : cd.at<double>(r, c);
      forward += spread_gt.at<double>(r, c) * p;
      mass += p;
      reverse += e * g * (1 - std::exp(-spread_pred.at<double>(r, c))) * (g + d);
      gt_sum += g;
      cd_sum += d;
    }
  const double eps = 2.220446049250313e-16;
  const double m = forward / (mass + eps), w = reverse / (gt_sum + cd_sum + eps);
  return (1 + beta2) * m * w / (beta2 * m + w + eps);
}

cv::Mat random_map(cv::Size size, cv::RNG& rng) {
  cv::Mat map(size, CV_64F);
  rng.fill(map, cv::RNG::UNIFORM, 0.0, 1.0);
  map.setTo(0, map < 0.2);  // exact zeros too, as maps have
  return map;
}

}  // namespace

TEST_CASE("Context-measure equals its whole-image filter2D definition wherever the GT lies") {
  cv::RNG rng(26);
  struct Case {
    std::string name;
    cv::Size size;
    cv::Rect blob;  // an ellipse in this box (clipped to the image)
  };
  const std::vector<Case> cases = {
      {"centre", {120, 90}, {40, 30, 40, 30}},          {"left border", {120, 90}, {-10, 20, 40, 50}},
      {"top border", {120, 90}, {30, -15, 50, 40}},      {"right border", {120, 90}, {95, 10, 40, 60}},
      {"bottom border", {120, 90}, {20, 70, 80, 40}},    {"top-left corner", {120, 90}, {-20, -20, 45, 45}},
      {"bottom-right corner", {120, 90}, {90, 60, 60, 60}}, {"whole image", {60, 40}, {-40, -40, 140, 120}},
      {"elongated diagonal", {150, 100}, {10, 10, 130, 80}}, {"smaller than the kernel", {7, 5}, {1, 1, 4, 3}},
      {"a column", {9, 40}, {3, -5, 2, 50}},             {"one pixel in a corner", {30, 20}, {0, 0, 1, 1}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    cv::Mat gt = cv::Mat::zeros(c.size, CV_8UC1);
    if (c.blob.area() == 1) {
      gt.at<std::uint8_t>(c.blob.y, c.blob.x) = 1;
    } else {
      const cv::Point centre(c.blob.x + c.blob.width / 2, c.blob.y + c.blob.height / 2);
      cv::ellipse(gt, centre, cv::Size(c.blob.width / 2, c.blob.height / 2), 30, 0, 360, cv::Scalar(1), cv::FILLED);
    }
    REQUIRE(cv::countNonZero(gt) > 0);
    const cv::Mat map = random_map(c.size, rng);
    const double want = definition_cm(map, gt, 1.0);
    CHECK(context_measure(map, gt) == Approx(want).epsilon(1e-12));
    cv::Mat cd(c.size, CV_64F);
    rng.fill(cd, cv::RNG::UNIFORM, 0.0, 1.0);
    CHECK(context_measure(map, gt, 1.2, 6.0, cd) == Approx(definition_cm(map, gt, 1.2, cd)).epsilon(1e-12));
    // cm and ccm from one pair of spreads: the same values as each alone.
    const ContextSpreads spreads = context_spreads(map, gt);
    CHECK(context_measure(spreads, map, gt, 1.0) == context_measure(map, gt));
  }
}

TEST_CASE("Context-measure: spreads of another image are refused") {
  cv::Mat gt = cv::Mat::zeros(12, 12, CV_8UC1), other_gt = gt.clone(), small = cv::Mat::zeros(5, 5, CV_8UC1);
  gt(cv::Rect(2, 2, 6, 5)).setTo(1);
  other_gt(cv::Rect(3, 2, 6, 5)).setTo(1);  // as many pixels, elsewhere
  small(cv::Rect(1, 1, 2, 2)).setTo(1);
  const cv::Mat map(12, 12, CV_64F, cv::Scalar(0.5)), small_map(5, 5, CV_64F, cv::Scalar(0.5));
  const ContextSpreads spreads = context_spreads(map, gt);
  CHECK_NOTHROW(context_measure(spreads, map, gt, 1.0));
  CHECK_THROWS_AS(context_measure(spreads, map, other_gt, 1.0), sodlab::InputError);
  CHECK_THROWS_AS(context_measure(spreads, small_map, small, 1.0), sodlab::InputError);
}

TEST_CASE("Context-measure: the map's spread at each GT pixel equals filter2D's, for GTs of many runs a row") {
  // Rows of several runs that overlap the next row's only in part (a ring, noise, two blobs, a
  // checkerboard), so that pairs of rows are correlated together only on their shared columns.
  cv::RNG rng(7);
  const cv::Size size(97, 61);
  std::vector<std::pair<std::string, cv::Mat>> gts;
  cv::Mat ring = cv::Mat::zeros(size, CV_8UC1);
  cv::circle(ring, {48, 30}, 22, cv::Scalar(1), 7);
  gts.emplace_back("ring", ring);
  cv::Mat noise(size, CV_8UC1);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 2);
  gts.emplace_back("noise", noise);
  cv::Mat blobs = cv::Mat::zeros(size, CV_8UC1);
  cv::ellipse(blobs, {25, 20}, {15, 9}, 20, 0, 360, cv::Scalar(1), cv::FILLED);
  cv::ellipse(blobs, {60, 35}, {30, 12}, -35, 0, 360, cv::Scalar(1), cv::FILLED);
  gts.emplace_back("two blobs", blobs);
  cv::Mat checker(size, CV_8UC1);
  for (int r = 0; r < size.height; ++r)
    for (int c = 0; c < size.width; ++c) checker.at<std::uint8_t>(r, c) = ((r / 3 + c / 5) % 2) ? 1 : 0;
  gts.emplace_back("checkerboard", checker);
  for (const auto& [name, gt] : gts) {
    INFO(name);
    const cv::Mat map = random_map(size, rng);
    const ContextSpreads spreads = context_spreads(map, gt);
    cv::Mat want;
    cv::filter2D(map, want, CV_64F, context_kernel(gt, 6.0), cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
    std::size_t i = 0;
    for (const GtRun& run : spreads.runs)
      for (int c = run.begin; c < run.end; ++c, ++i)
        REQUIRE(spreads.map_on_gt.at(i) == Approx(want.at<double>(run.row, c)).epsilon(1e-12).margin(1e-15));
    CHECK(i == static_cast<std::size_t>(cv::countNonZero(gt)));
  }
}
