// The evaluator's first passes (pixel_passes.h) equal direct per-pixel counts on maps of awkward
// sizes: widths that are not multiples of 8, flat runs (the one-addition path) beside noise,
// every quadrant split, and submatrices whose rows are not contiguous.
#include <catch2/catch.hpp>

#include "metrics/pixel_passes.h"

#include <random>
#include <vector>

using namespace sodlab::metrics;

namespace {

// Runs of 1 to 24 pixels, each flat (one value) or noisy, with values below `values`.
cv::Mat runs_image(int rows, int cols, std::mt19937& rng, int values) {
  cv::Mat m(rows, cols, CV_8UC1);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols;) {
      const int length = 1 + static_cast<int>(rng() % 24);
      const bool flat = rng() % 2;
      const int v = static_cast<int>(rng() % values);
      for (int k = 0; k < length && c < cols; ++k, ++c)
        m.at<std::uint8_t>(r, c) = static_cast<std::uint8_t>(flat ? v : rng() % values);
    }
  return m;
}

}  // namespace

TEST_CASE("pixel passes: binary GT, value range and class histograms equal direct counts") {
  std::mt19937 rng(11);
  for (auto [rows, cols] : {std::pair{1, 1}, {1, 7}, {3, 8}, {5, 9}, {17, 31}, {40, 64}, {33, 130}}) {
    // The maps are views into a larger image: rows not contiguous.
    const cv::Mat big_pred = runs_image(rows + 2, cols + 5, rng, 256);
    const cv::Mat big_gt = runs_image(rows + 2, cols + 5, rng, 256);
    const cv::Mat pred = big_pred(cv::Rect(3, 1, cols, rows)), gt = big_gt(cv::Rect(2, 2, cols, rows));
    const int cut = 129;

    std::vector<std::uint8_t> g(static_cast<std::size_t>(rows) * cols);
    const MaskSums sums = binarize_mask(gt, cut, true, g.data());
    std::int64_t n_fg = 0, sum_r = 0, sum_c = 0;
    int lo = 255, hi = 0;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const bool fg = gt.at<std::uint8_t>(r, c) >= cut;
        REQUIRE(g[static_cast<std::size_t>(r) * cols + c] == (fg ? 1 : 0));
        n_fg += fg, sum_r += fg ? r : 0, sum_c += fg ? c : 0;
        lo = std::min<int>(lo, pred.at<std::uint8_t>(r, c)), hi = std::max<int>(hi, pred.at<std::uint8_t>(r, c));
      }
    CHECK(sums.n_fg == n_fg);
    CHECK(sums.sum_r == sum_r);
    CHECK(sums.sum_c == sum_c);
    CHECK(binarize_mask(gt, cut, false, g.data()).n_fg == n_fg);
    CHECK(value_range(pred).min == lo);
    CHECK(value_range(pred).max == hi);

    for (auto [cy, cx] : {std::pair{0, 0}, {1, 1}, {rows, cols}, {rows / 2 + 1, cols / 2 + 1}, {1, cols}, {rows, 1}}) {
      std::array<ValueHistogram, 8> expected{};
      const bool split = cy > 0 || cx > 0;
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const int q = split ? (r < cy ? 0 : 2) + (c < cx ? 0 : 1) : 3;
          ++expected[q * 2 + g[static_cast<std::size_t>(r) * cols + c]][pred.at<std::uint8_t>(r, c)];
        }
      CHECK(class_histograms(pred, g.data(), cy, cx) == expected);
    }
  }
}

TEST_CASE("pixel passes: a flat map and an all-foreground mask") {
  const cv::Mat pred(7, 45, CV_8UC1, cv::Scalar(200)), gt(7, 45, CV_8UC1, cv::Scalar(255));
  std::vector<std::uint8_t> g(7 * 45);
  CHECK(binarize_mask(gt, 129, false, g.data()).n_fg == 7 * 45);
  const auto h = class_histograms(pred, g.data(), 0, 0);
  CHECK(h[7][200] == 7 * 45);
  CHECK(value_range(pred).min == 200);
  CHECK(value_range(pred).max == 200);
}
