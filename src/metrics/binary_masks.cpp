#include "metrics/binary_masks.h"

#include "core/error.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sodlab::metrics {
namespace {

// One pass of the cross: erode keeps a pixel whose in-image cross neighbours are all set, dilate
// sets one with any set.
cv::Mat cross_pass(const cv::Mat& in, bool erode) {
  const int rows = in.rows, cols = in.cols;
  cv::Mat out(rows, cols, CV_8UC1);
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* up = in.ptr<std::uint8_t>(std::max(r - 1, 0));
    const std::uint8_t* mid = in.ptr<std::uint8_t>(r);
    const std::uint8_t* down = in.ptr<std::uint8_t>(std::min(r + 1, rows - 1));
    std::uint8_t* o = out.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) {
      const bool left = mid[std::max(c - 1, 0)] != 0, right = mid[std::min(c + 1, cols - 1)] != 0;
      const bool a = up[c] != 0, b = down[c] != 0, centre = mid[c] != 0;
      // A neighbour outside the image is replaced by the centre itself: it never decides.
      const bool v = erode ? (centre && a && b && left && right) : (centre || a || b || left || right);
      o[c] = v ? 255 : 0;
    }
  }
  return out;
}

cv::Mat repeat(const cv::Mat& mask, int iterations, bool erode) {
  if (mask.type() != CV_8UC1) throw InputError("binary mask operation: CV_8UC1 expected");
  cv::Mat m = mask;
  for (int i = 0; i < iterations; ++i) m = cross_pass(m, erode);
  return iterations > 0 ? m : (mask != 0);
}

}  // namespace

cv::Mat erode_cross(const cv::Mat& mask, int iterations) { return repeat(mask, iterations, true); }
cv::Mat dilate_cross(const cv::Mat& mask, int iterations) { return repeat(mask, iterations, false); }

Components label_components(const cv::Mat& mask, int connectivity) {
  if (mask.type() != CV_8UC1 || (connectivity != 4 && connectivity != 8))
    throw InputError("label_components: CV_8UC1 mask and connectivity 4 or 8 expected");
  const int rows = mask.rows, cols = mask.cols;
  Components out;
  out.labels = cv::Mat::zeros(rows, cols, CV_32S);
  out.area.push_back(0);
  out.box.push_back({});
  std::vector<std::pair<int, int>> stack;
  for (int r0 = 0; r0 < rows; ++r0)
    for (int c0 = 0; c0 < cols; ++c0) {
      if (!mask.at<std::uint8_t>(r0, c0) || out.labels.at<int>(r0, c0)) continue;
      const int label = out.count++;
      int area = 0, top = r0, bottom = r0, left = c0, right = c0;
      out.labels.at<int>(r0, c0) = label;
      stack.assign(1, {r0, c0});
      while (!stack.empty()) {
        const auto [r, c] = stack.back();
        stack.pop_back();
        ++area;
        top = std::min(top, r), bottom = std::max(bottom, r), left = std::min(left, c), right = std::max(right, c);
        for (int dr = -1; dr <= 1; ++dr)
          for (int dc = -1; dc <= 1; ++dc) {
            if ((dr == 0 && dc == 0) || (connectivity == 4 && dr != 0 && dc != 0)) continue;
            const int rr = r + dr, cc = c + dc;
            if (rr < 0 || cc < 0 || rr >= rows || cc >= cols) continue;
            if (!mask.at<std::uint8_t>(rr, cc) || out.labels.at<int>(rr, cc)) continue;
            out.labels.at<int>(rr, cc) = label;
            stack.push_back({rr, cc});
          }
      }
      out.area.push_back(area);
      out.box.push_back(cv::Rect(left, top, right - left + 1, bottom - top + 1));
    }
  return out;
}

}  // namespace sodlab::metrics
