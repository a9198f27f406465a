// Context-measure (Wang et al., "Context-measure: Contextualizing Metric for Camouflage", 2025)
// as PySODMetrics 1.6.2's ContextMeasure computes it (β² = 1, α = 6): a Gaussian kernel shaped by
// the GT's pixel covariance (scaled to α² total variance, 3σ extent) spreads the GT (forward
// inference: how relevant each predicted pixel is) and the map (reverse deduction: how completely
// each GT pixel is covered, 1 − exp(−spread), scaled by e/(e − 1)); cm is their F-measure.
//
// The two spreads are the same cv::filter2D calls as PySODMetrics' (float32 for the GT, float64
// for the map, OpenCV's default border), so the images are identical; the kernel's covariance and
// inverse are computed in closed form (2x2) rather than by BLAS/LAPACK, and sums follow numpy's
// pairwise order, so cm agrees to ~1e-15 rather than bit for bit.
#pragma once

#include <opencv2/core.hpp>

namespace sodlab::metrics {

// pred: CV_64F in [0, 1] (the normalised map); gt: CV_8UC1 0/1, same size. `cd`: the camouflage
// degree map (CV_64F) of the camouflage variant, or empty for the plain Context-measure.
double context_measure(const cv::Mat& pred, const cv::Mat& gt, double beta2 = 1.0, double alpha = 6.0,
                       const cv::Mat& cd = cv::Mat());

// The two spreads of one (map, GT, α), for computing cm and ccm of an image with one pair of
// filter2D calls (about 85 % of either's time): the same values as context_measure's own.
struct ContextSpreads {
  cv::Mat spread_gt, spread_pred;  // CV_32F, CV_64F
};
ContextSpreads context_spreads(const cv::Mat& pred, const cv::Mat& gt, double alpha = 6.0);
double context_measure(const ContextSpreads& spreads, const cv::Mat& pred, const cv::Mat& gt, double beta2,
                       const cv::Mat& cd = cv::Mat());

// numpy's np.sum of a contiguous float64 array: pairwise summation (blocks of 8 accumulators up to
// 128 elements) within each 8192-element buffer, the buffers added in order.
double numpy_sum(const double* x, std::size_t n);

}  // namespace sodlab::metrics
