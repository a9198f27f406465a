// HCE on hand-computed cases, and skeletonize_zhang on scikit-image 0.19's own test cases
// (skimage/morphology/tests/test_skeletonize.py). The fixtures (test_pysod_all.cpp) check both
// on 500 real and synthetic images.
#include <catch2/catch.hpp>

#include "metrics/evaluator.h"
#include "metrics/hce.h"

#include <opencv2/imgproc.hpp>

using namespace sodlab::metrics;

namespace {

bool same(const cv::Mat& a, const cv::Mat& b) { return cv::countNonZero(a != b) == 0; }

// Zhang-Suen as scikit-image 0.19's _fast_skeletonize writes it: every sub-pass decides every pixel
// of the image from its 8 neighbours (table lookup), on the image as it was at the start of the
// sub-pass; until an iteration removes nothing. The reference for skeletonize_zhang's work lists.
cv::Mat skeletonize_every_pixel(const cv::Mat& binary) {
  static const std::uint8_t table[256] = {
      0, 0, 0, 1, 0, 0, 1, 3, 0, 0, 3, 1, 1, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 3, 0, 3, 3,
      0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2, 2,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 3, 0, 2, 0,
      0, 0, 3, 1, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      2, 3, 1, 3, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      2, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 0, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0, 0,
  };
  cv::Mat s;
  cv::copyMakeBorder(binary != 0, s, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  s /= 255;
  const int dr[8] = {-1, -1, -1, 0, 1, 1, 1, 0}, dc[8] = {-1, 0, 1, 1, 1, 0, -1, -1};  // NW N NE E SE S SW W
  for (bool any = true; any;) {
    any = false;
    for (int pass = 1; pass <= 2; ++pass) {
      cv::Mat next = s.clone();
      for (int r = 1; r + 1 < s.rows; ++r)
        for (int c = 1; c + 1 < s.cols; ++c) {
          if (!s.at<std::uint8_t>(r, c)) continue;
          int k = 0;
          for (int b = 0; b < 8; ++b) k |= s.at<std::uint8_t>(r + dr[b], c + dc[b]) << b;
          if (table[k] == 3 || table[k] == pass) next.at<std::uint8_t>(r, c) = 0, any = true;
        }
      s = next;
    }
  }
  return s(cv::Rect(1, 1, binary.cols, binary.rows)).clone();
}

}  // namespace

TEST_CASE("skeletonize_zhang: scikit-image 0.19's test cases") {
  cv::Mat empty = cv::Mat::zeros(5, 5, CV_8UC1);
  CHECK(same(skeletonize_zhang(empty), empty));
  cv::Mat point = cv::Mat::zeros(5, 5, CV_8UC1);
  point.at<std::uint8_t>(3, 3) = 1;
  CHECK(same(skeletonize_zhang(point), point));
  cv::Mat thin = cv::Mat::zeros(5, 5, CV_8UC1);  // already thinned: unchanged
  thin(cv::Rect(1, 3, 3, 1)) = 1;
  thin.at<std::uint8_t>(2, 4) = 1;
  thin.at<std::uint8_t>(4, 0) = 1;
  CHECK(same(skeletonize_zhang(thin), thin));
  // test_lut_fix: a staircase thins to its diagonal.
  cv::Mat stairs = cv::Mat::zeros(6, 6, CV_8UC1), diagonal = cv::Mat::zeros(6, 6, CV_8UC1);
  for (auto [r, c] : {std::pair{1, 2}, {2, 2}, {2, 3}, {3, 3}, {3, 4}, {4, 4}, {4, 5}}) stairs.at<std::uint8_t>(r, c) = 1;
  for (auto [r, c] : {std::pair{1, 2}, {2, 3}, {3, 4}, {4, 5}}) diagonal.at<std::uint8_t>(r, c) = 1;
  CHECK(same(skeletonize_zhang(stairs), diagonal));
  CHECK(cv::countNonZero(skeletonize_zhang(cv::Mat::ones(3, 4, CV_8UC1))) > 0);  // all foreground
  // test_skeletonize_num_neighbours (its bars and ring): never a 2x2 block of skeleton pixels.
  cv::Mat shapes = cv::Mat::zeros(300, 300, CV_8UC1);
  shapes(cv::Range(10, 290), cv::Range(10, 100)) = 1;
  shapes(cv::Range(200, 290), cv::Range(10, 290)) = 1;
  shapes(cv::Range(10, 290), cv::Range(200, 290)) = 1;
  for (int r = 0; r < 300; ++r)
    for (int c = 0; c < 300; ++c) {
      const int d2 = (c - 135) * (c - 135) + (r - 150) * (r - 150);
      if (d2 < 30 * 30) shapes.at<std::uint8_t>(r, c) = d2 < 20 * 20 ? 0 : 1;
    }
  const cv::Mat skeleton = skeletonize_zhang(shapes);
  CHECK(cv::countNonZero(skeleton) > 0);
  int blocks = 0;
  for (int r = 0; r + 1 < 300; ++r)
    for (int c = 0; c + 1 < 300; ++c)
      blocks += skeleton.at<std::uint8_t>(r, c) && skeleton.at<std::uint8_t>(r + 1, c) &&
                skeleton.at<std::uint8_t>(r, c + 1) && skeleton.at<std::uint8_t>(r + 1, c + 1);
  CHECK(blocks == 0);
}

TEST_CASE("skeletonize_zhang equals deciding every pixel in every sub-pass, on random shapes") {
  cv::RNG rng(26);
  for (int trial = 0; trial < 60; ++trial) {
    INFO("trial " << trial);
    const int rows = rng.uniform(1, 90), cols = rng.uniform(1, 90);
    cv::Mat shape = cv::Mat::zeros(rows, cols, CV_8UC1);
    for (int k = rng.uniform(1, 6); k > 0; --k) {  // blobs, bars and holes, some touching the border
      const cv::Point centre(rng.uniform(0, cols), rng.uniform(0, rows));
      const cv::Size axes(rng.uniform(1, 40), rng.uniform(1, 40));
      cv::ellipse(shape, centre, axes, rng.uniform(0, 180), 0, 360, k % 3 == 0 ? 0 : 255, -1);
    }
    if (trial % 4 == 0) cv::randu(shape, 0, 2);  // noise: many tiny components
    const cv::Mat fast = skeletonize_zhang(shape), reference = skeletonize_every_pixel(shape);
    CHECK(same(fast, reference));
    if (trial == 1) CHECK(cv::countNonZero(reference) > 0);
  }
}

TEST_CASE("HCE: nothing to correct, a lone false-positive region, a blob the relaxation absorbs") {
  const cv::Mat none = cv::Mat::zeros(30, 30, CV_8UC1);
  cv::Mat square = none.clone();
  square(cv::Rect(8, 8, 15, 15)) = 255;
  CHECK(human_correction_effort(none, none) == 0);
  CHECK(human_correction_effort(square, square) == 0);  // perfect: no FP, FN, and the skeleton is in the TP
  // A 15x15 false positive on an empty GT: eroded 5 times it keeps a core, grown back it is one
  // region whose border touches nothing to keep (no TP, no FN): one independent region, no points.
  CHECK(human_correction_effort(none, square) == 1);
  // A 5x5 false positive vanishes in the union's 5 erosions: relaxed away, nothing to correct.
  cv::Mat small = none.clone();
  small(cv::Rect(12, 12, 5, 5)) = 255;
  CHECK(human_correction_effort(none, small) == 0);
  // Through the evaluator: per image and the dataset mean.
  Evaluator ev(Convention::pysodmetrics, MetricSelection::parse("hce"));
  ev.add("a", square, none);
  ev.add("b", none, none);
  const auto r = ev.result();
  CHECK(r.per_image.at("a").at("HCE") == 1);  // the map > 0.5 is the square, the GT empty
  CHECK(r.per_image.at("b").at("HCE") == 0);
  CHECK(r.dataset.at("HCE") == 0.5);
}
