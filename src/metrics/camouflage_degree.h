// The camouflage degree of PySODMetrics 1.6.2's CamouflageContextMeasure (γ 8, λ 20, 7x7 patches
// every 3 pixels): each foreground patch of the image (Lab, OpenCV's 8-bit conversion) is matched
// to its nearest surrounding-background patch (the GT dilated by a 20x20 square, minus the GT) in
// Lab values plus standardised position × λ; the foreground is rebuilt from the matched background
// patches (RGB, averaged where they overlap) and compared with the original by CIEDE2000 on
// scikit-image's Lab; cd = (exp(γ·similarity) − 1)/(exp(γ) − 1) on the GT, 0 elsewhere.
// Exact nearest neighbours (squared distances in double; ties to the first background patch),
// where PySODMetrics asks scikit-learn's brute-force search.
#pragma once

#include <opencv2/core.hpp>

namespace sodlab::metrics {

// rgb: CV_8UC3 in RGB order; gt: CV_8UC1 0/1 of the same size. Returns CV_64F.
cv::Mat camouflage_degree(const cv::Mat& rgb, const cv::Mat& gt, double gamma = 8, double lambda_spatial = 20);

}  // namespace sodlab::metrics
