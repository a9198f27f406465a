// Deterministic synthetic (saliency map, mask) pairs generated in memory, for demos, smoke runs
// and tests without external data. Pair i is a pure function of (i, rows, cols): the same on every
// platform (integer hash, no std:: distributions).
#pragma once

#include <opencv2/core.hpp>

#include <string>

namespace sodlab::metrics {

struct SyntheticPair {
  std::string stem;  // zero-padded index, e.g. "0007"
  cv::Mat pred;      // CV_8UC1: a blurred, shifted, noisy version of the mask
  cv::Mat gt;        // CV_8UC1 0/255: one to three ellipses (pair 0: empty mask)
};

SyntheticPair synthetic_pair(int index, int rows = 240, int cols = 320);

}  // namespace sodlab::metrics
