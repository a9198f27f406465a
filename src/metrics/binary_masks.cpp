#include "metrics/binary_masks.h"

#include "core/error.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sodlab::metrics {
namespace {

cv::Mat repeat(const cv::Mat& mask, int iterations, bool erode) {
  if (mask.type() != CV_8UC1) throw InputError("binary mask operation: CV_8UC1 expected");
  cv::Mat a = mask != 0, b(mask.size(), CV_8UC1);  // 0/255, then two buffers in turn
  for (int i = 0; i < iterations; ++i) {
    if (erode)
      cross_step<true, false>(a.data, b.data, nullptr, a.rows, a.cols);
    else
      cross_step<false, false>(a.data, b.data, nullptr, a.rows, a.cols);
    std::swap(a, b);
  }
  return a;
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
  const cv::Mat m = mask.isContinuous() ? mask : mask.clone();
  const std::uint8_t* in = m.ptr<std::uint8_t>();
  int* lab = out.labels.ptr<int>();
  std::vector<int> stack;  // flat indices
  for (int start = 0; start < rows * cols; ++start) {
    if (!in[start] || lab[start]) continue;
    const int label = out.count++;
    int area = 0, top = start / cols, bottom = top, left = start % cols, right = left;
    lab[start] = label;
    stack.assign(1, start);
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      const int r = i / cols, c = i % cols;
      ++area;
      top = std::min(top, r), bottom = std::max(bottom, r), left = std::min(left, c), right = std::max(right, c);
      for (int dr = -1; dr <= 1; ++dr) {
        const int rr = r + dr;
        if (rr < 0 || rr >= rows) continue;
        for (int dc = -1; dc <= 1; ++dc) {
          const int cc = c + dc;
          if ((dr == 0 && dc == 0) || (connectivity == 4 && dr != 0 && dc != 0) || cc < 0 || cc >= cols) continue;
          const int j = rr * cols + cc;
          if (in[j] && !lab[j]) lab[j] = label, stack.push_back(j);
        }
      }
    }
    out.area.push_back(area);
    out.box.push_back(cv::Rect(left, top, right - left + 1, bottom - top + 1));
  }
  return out;
}

}  // namespace sodlab::metrics
