// Human correction effort (HCE; Qin et al., "Highly Accurate Dichotomous Image Segmentation",
// ECCV 2022), as PySODMetrics 1.6.2's HumanCorrectionEffortMeasure computes it (relax 5,
// epsilon 2.0): the number of polygon control points (cv::approxPolyDP, open curves) plus the
// number of independent regions a person would need to fix the false positives and the false
// negatives of a binary prediction, after relaxing both by `relax` erosions/dilations with the
// 3x3 cross and adding back the GT skeleton's missed pixels.
//
// Exact to PySODMetrics: the same operations (erosion/dilation with OpenCV's default border, on one
// thread (binary_masks.h); 8-connected regions as skimage.measure.label counts them, here read off
// the contour tree;
// OpenCV's findContours RETR_TREE + CHAIN_APPROX_NONE and approxPolyDP on integer points) and
// scikit-image 0.19's 2-D skeletonize (Zhang-Suen thinning with its own removal table),
// reimplemented in skeletonize_zhang.
#pragma once

#include <opencv2/core.hpp>

namespace sodlab::metrics {

// gt, pred: CV_8UC1 of the same size, 0 = background, non-zero = foreground (pred: the map
// binarised at > 0.5). Returns an integer count.
double human_correction_effort(const cv::Mat& gt, const cv::Mat& pred, int relax = 5, double epsilon = 2.0);

// skimage.morphology.skeletonize (2-D, scikit-image 0.19) of a binary CV_8UC1 image: a 0/1 image.
cv::Mat skeletonize_zhang(const cv::Mat& binary);

}  // namespace sodlab::metrics
