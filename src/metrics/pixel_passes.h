// The passes over pixels that every evaluation of a (prediction, mask) pair starts with: the
// binary GT (foreground count and, for the S-measure, coordinate sums), the prediction's value
// range, and its per-value histograms split by GT class and S-measure quadrant. The metrics
// computed from histograms (image_metrics.cpp) read nothing else of the pixels.
#pragma once

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>

namespace sodlab::metrics {

using ValueHistogram = std::array<std::int64_t, 256>;  // pixels per 8-bit value

struct MaskSums {
  std::int64_t n_fg = 0;              // foreground pixels
  std::int64_t sum_r = 0, sum_c = 0;  // Σ row, Σ column of the foreground (with_centroid only)
};

// g[r·cols + c] = 1 where gt(r, c) >= cut, else 0 (g holds rows·cols bytes). gt: CV_8UC1.
MaskSums binarize_mask(const cv::Mat& gt, int cut, bool with_centroid, std::uint8_t* g);

// The least and greatest value of pred (CV_8UC1, not empty).
struct ValueRange {
  int min = 255, max = 0;
};
ValueRange value_range(const cv::Mat& pred);

// h[q·2 + class][v]: pixels of value v in quadrant q (0 top-left, 1 top-right, 2 bottom-left,
// 3 bottom-right; the top-left block has cy rows and cx columns) whose g is `class` (0 or 1).
// cy = cx = 0 puts every pixel in quadrant 3.
std::array<ValueHistogram, 8> class_histograms(const cv::Mat& pred, const std::uint8_t* g, int cy, int cx);

}  // namespace sodlab::metrics
