// Context-measure (Wang et al., "Context-measure: Contextualizing Metric for Camouflage", 2025)
// as PySODMetrics 1.6.2's ContextMeasure computes it (β² = 1, α = 6): a Gaussian kernel shaped by
// the GT's pixel covariance (scaled to α² total variance, 3σ extent) spreads the GT (forward
// inference: how relevant each predicted pixel is) and the map (reverse deduction: how completely
// each GT pixel is covered, 1 − exp(−spread), scaled by e/(e − 1)); cm is their F-measure.
//
// PySODMetrics forms both spreads over the whole image with cv::filter2D (the GT's in float32,
// through OpenCV's float32 DFT). Here they are direct float64 correlations at the GT's pixels
// only: the map's spread there, and forward inference's Σ map·(GT's spread) moved onto the GT (the
// kernel is symmetric; reflections at the borders included), about 4x faster. The values are the
// same but for PySODMetrics' float32 rounding of the GT's spread: cm within ~2e-9 of it on
// pysod-all (tested at 1e-8); against float64 filter2D spreads, within 1e-12
// (test_context_measure.cpp). The kernel's 2x2 algebra is in closed form.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

namespace sodlab::metrics {

// pred: CV_64F in [0, 1] (the normalised map); gt: CV_8UC1 0/1, same size. `cd`: the camouflage
// degree map (CV_64F) of the camouflage variant, or empty for the plain Context-measure.
double context_measure(const cv::Mat& pred, const cv::Mat& gt, double beta2 = 1.0, double alpha = 6.0,
                       const cv::Mat& cd = cv::Mat());

// PySODMetrics' kernel (_compute_y_params, _gaussian_kernel) for a 0/1 GT: CV_64F, rows = row
// offsets, symmetric (k(e) = k(−e) bit for bit), summing to 1.
cv::Mat context_kernel(const cv::Mat& gt, double alpha = 6.0);

// What cm and ccm read of the two spreads of one (map, GT, α), computed once for both (the same
// kernel, α = 6): the map's spread at each GT pixel, and forward inference's numerator
// Σ map·(spread of the GT). Both come from direct correlations at the GT's pixels (the sum moved
// onto the GT), not from PySODMetrics' two whole-image filter2D calls.
struct GtRun {
  int row, begin, end;  // GT pixels [begin, end) of one row
};
struct ContextSpreads {
  std::vector<GtRun> runs;        // the GT, row by row
  std::vector<double> map_on_gt;  // the map's spread at each GT pixel, in the order of `runs`
  double forward = 0;             // Σ over the image of map × the GT's spread
};
ContextSpreads context_spreads(const cv::Mat& pred, const cv::Mat& gt, double alpha = 6.0);
double context_measure(const ContextSpreads& spreads, const cv::Mat& pred, const cv::Mat& gt, double beta2,
                       const cv::Mat& cd = cv::Mat());

// numpy's np.sum of a contiguous float64 array: pairwise summation (blocks of 8 accumulators up to
// 128 elements) within each 8192-element buffer, the buffers added in order.
double numpy_sum(const double* x, std::size_t n);

}  // namespace sodlab::metrics
