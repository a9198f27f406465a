#include "metrics/binary_masks.h"

#include "core/error.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

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
  // The runs of set pixels, row by row (raster order), each joined (union-find, the root the
  // earliest run) to the runs of the row above it touches: columns overlapping (4-connectivity)
  // or also diagonally adjacent (8).
  struct Run {
    int row, begin, end;  // columns [begin, end)
  };
  std::vector<Run> runs;
  std::vector<int> parent;
  auto root = [&](int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const int reach = connectivity == 8 ? 1 : 0;
  std::size_t above_first = 0, above_end = 0;  // the previous row's runs
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* in = mask.ptr<std::uint8_t>(r);
    const std::size_t row_first = runs.size();
    std::size_t k = above_first;
    for (int c = 0; c < cols;) {
      if (!in[c]) {
        ++c;
        continue;
      }
      const int begin = c;
      while (c < cols && in[c]) ++c;
      const int id = static_cast<int>(runs.size());
      runs.push_back({r, begin, c});
      parent.push_back(id);
      // The runs above ending before this one's reach cannot touch it or any later run of this row.
      while (k < above_end && runs[k].end + reach <= begin) ++k;
      for (std::size_t j = k; j < above_end && runs[j].begin < c + reach; ++j) {
        const int a = root(static_cast<int>(j)), b = root(id);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
      }
    }
    above_first = row_first, above_end = runs.size();
  }
  Components out;
  out.labels = cv::Mat::zeros(rows, cols, CV_32S);
  out.area.push_back(0);
  out.box.push_back({});
  // Labels in the order of each component's first run: the raster order of its first pixel.
  std::vector<int> label_of(runs.size(), 0);
  std::vector<int> top, bottom, left, right;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& run = runs[i];
    const int rt = root(static_cast<int>(i));
    if (!label_of[rt]) {
      label_of[rt] = out.count++;
      out.area.push_back(0);
      top.push_back(run.row), bottom.push_back(run.row), left.push_back(run.begin), right.push_back(run.end - 1);
    }
    const int label = label_of[rt], l = label - 1;
    out.area[label] += run.end - run.begin;
    bottom[l] = run.row;
    left[l] = std::min(left[l], run.begin), right[l] = std::max(right[l], run.end - 1);
    std::fill(out.labels.ptr<int>(run.row) + run.begin, out.labels.ptr<int>(run.row) + run.end, label);
  }
  for (std::size_t l = 0; l < top.size(); ++l)
    out.box.push_back(cv::Rect(left[l], top[l], right[l] - left[l] + 1, bottom[l] - top[l] + 1));
  return out;
}

}  // namespace sodlab::metrics
