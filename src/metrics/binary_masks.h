// The binary-mask operations the metrics need (HCE, size invariance), single-threaded. OpenCV's
// erode, dilate and connectedComponents split large images over OpenCV's own thread pool, whose
// idle workers then spin in sched_yield beside the evaluator's workers (which already parallelise
// over images); these give the same results on one thread.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

namespace sodlab::metrics {

// Erosion / dilation of a CV_8UC1 mask (non-zero = set) by the 3x3 cross, `iterations` times;
// pixels outside the image are ignored (cv::erode / cv::dilate with their default border).
// Returns 0/255.
cv::Mat erode_cross(const cv::Mat& mask, int iterations = 1);
cv::Mat dilate_cross(const cv::Mat& mask, int iterations = 1);

// Connected components of the non-zero pixels (connectivity 4 or 8), labelled 1.. in raster order
// of their first pixel (0 = background), with each label's area and bounding box (index 0 unused).
struct Components {
  cv::Mat labels;  // CV_32S
  int count = 1;   // labels including the background, as cv::connectedComponents returns
  std::vector<int> area;
  std::vector<cv::Rect> box;
};
Components label_components(const cv::Mat& mask, int connectivity);

}  // namespace sodlab::metrics
