// Margolin et al.'s weighted F-measure F^w_β (CVPR 2014), exactly as MATLAB WFb.m and PySODMetrics'
// WeightedFmeasure compute it: error map E = |pred - gt|, background errors replaced by the error
// of the nearest foreground pixel (Euclidean, scipy tie order), 7x7 Gaussian (σ = 5, zero padding)
// pixel dependency, importance B = 2 - exp(ln(0.5)/5 · distance) on the background.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>

namespace sodlab::metrics {

// pred: CV_64FC1 in [0,1]; gt: CV_8UC1, nonzero = foreground; same size (else InputError).
// beta2 = β² (1 by default). Empty GT → 0. Returns Q = (1+β²)·R·P / (R + β²·P + eps).
double weighted_fmeasure(const cv::Mat& pred, const cv::Mat& gt, double beta2 = 1.0);

// Same on raw row-major buffers: err[i] = |pred[i] - gt[i]| (already computed by the caller),
// gt01[i] nonzero = foreground.
double weighted_fmeasure_from_error(const double* err, const std::uint8_t* gt01, int rows, int cols,
                                    double beta2 = 1.0);

// Same for an 8-bit map whose error is a function of the pixel value (the evaluator's case):
// err = err_fg[pred8[i]] on foreground pixels, err_bg[pred8[i]] on background pixels. pred8 and
// gt01 are row-major and contiguous. Streams the distance transform row by row and filters only
// the foreground's bounding box (plus the 3-pixel filter margin), so it costs O(rows*cols) with
// small constants and no full-image float buffers.
double weighted_fmeasure_from_lut(const std::uint8_t* pred8, const std::uint8_t* gt01, int rows, int cols,
                                  const double* err_fg, const double* err_bg, double beta2 = 1.0);

}  // namespace sodlab::metrics
