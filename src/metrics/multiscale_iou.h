// Multi-scale IoU (MSIoU; Ahmadzadeh et al., ICIP 2021) as PySODMetrics 1.6.2's MSIoU computes it:
// the edges of a binary map (scipy's Sobel on a boolean image: a pixel is an edge when, in its 3x3
// neighbourhood, the two pixels across it in any row or column pair differ; outside = 0) are
// box-counted on grids of 1, 2, 4, …, 512 pixels (zero padding at the top and left), and at each
// scale (|pred cells ∩ GT cells| + 1) / (|GT cells| + 1); the image's MSIoU is the trapezoid area
// of those 10 ratios over [0, 1].
//
// All 257 thresholds (u8 bin >= t, t = 0..256) of one map come from one pass: each pixel's edge
// holds for the thresholds in a union of intervals, and each cell's for the union over its pixels
// (a 257-bit set), so the dynamic curve costs one box-counting pyramid, not 257.
#pragma once

#include "metrics/exact_sum.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sodlab::metrics {

constexpr int kMsiouThresholds = 257;  // t = 0..256 (256: nothing predicted)
using MsiouCurve = std::array<double, kMsiouThresholds>;

// MSIoU of the map `bins` (row-major rows x cols, value 0..255) thresholded at every t (bin >= t),
// against the binary GT `gt` (0/1). Index t of the result = threshold t.
MsiouCurve msiou_curve(const std::uint8_t* bins, const std::uint8_t* gt, int rows, int cols);
// MSIoU of the binary maps bins >= t for each t of `thresholds` (0..256), from one pass: e.g.
// two nested binary maps as one map of 0, 1 (the larger only), 2 (both), thresholds 1 and 2.
std::vector<double> msiou_of_thresholds(const std::uint8_t* bins, const std::uint8_t* gt, int rows, int cols,
                                        const std::vector<int>& thresholds);
// MSIoU of one binary prediction (0/1) against the GT.
double msiou_binary(const std::uint8_t* pred, const std::uint8_t* gt, int rows, int cols);

// Dataset aggregation of the dynamic curve (order-independent sums; not thread-safe).
class MsiouAccumulator {
 public:
  void add(const MsiouCurve& curve);
  // meanmsiou / maxmsiou: mean and maximum over the 257 thresholds of the mean over images of
  // each image's curve; curve_msiou: that curve at t = 0..255.
  void result(std::int64_t n_images, std::map<std::string, double>& dataset,
              std::map<std::string, std::vector<double>>& curves) const;

 private:
  std::array<ExactSum, kMsiouThresholds> sums_;
};

}  // namespace sodlab::metrics
