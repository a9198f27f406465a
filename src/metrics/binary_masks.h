// The binary-mask operations the metrics need (HCE, size invariance), single-threaded. OpenCV's
// erode, dilate and connectedComponents split large images over OpenCV's own thread pool, whose
// idle workers then spin in sched_yield beside the evaluator's workers (which already parallelise
// over images); these give the same results on one thread.
#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sodlab::metrics {

// One step of the 3x3 cross on continuous rows x cols 0/255 buffers (erode_cross / dilate_cross
// repeat it; HCE fuses it with its other passes): out = the AND (erode) or the OR (dilate) of each
// pixel's five bytes, then, if kOutside, & ~forbidden. A neighbour outside the image is replaced
// by the centre, so it never decides. Inline so that a caller's CPU-specific clone vectorises it.
template <bool kErode, bool kOutside>
[[gnu::always_inline]] inline void cross_step(const std::uint8_t* __restrict in, std::uint8_t* __restrict out,
                                              const std::uint8_t* __restrict forbidden, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  auto combine = [](std::uint8_t m, std::uint8_t u, std::uint8_t d, std::uint8_t l, std::uint8_t r) {
    return static_cast<std::uint8_t>(kErode ? m & u & d & l & r : m | u | d | l | r);
  };
  auto keep = [&](std::size_t i, std::uint8_t v) {
    return kOutside ? static_cast<std::uint8_t>(v & ~forbidden[i]) : v;
  };
  // The rows between the first and the last as one run: its first and last columns read across
  // the row ends, and are redone below.
  const std::size_t w = static_cast<std::size_t>(cols), end = static_cast<std::size_t>(rows - 1) * w;
  for (std::size_t i = w; i < end; ++i) out[i] = keep(i, combine(in[i], in[i - w], in[i + w], in[i - 1], in[i + 1]));
  const std::size_t right = cols > 1 ? 1 : 0;  // a side neighbour outside the image is the centre
  for (std::size_t i = w; i < end; i += w) {
    const std::size_t j = i + w - 1;
    out[i] = keep(i, combine(in[i], in[i - w], in[i + w], in[i], in[i + right]));
    out[j] = keep(j, combine(in[j], in[j - w], in[j + w], in[j - right], in[j]));
  }
  // The first and the last row (the same row when there is one), each with its own rows around.
  for (int r : {0, rows - 1}) {
    const std::size_t at = static_cast<std::size_t>(r) * w;
    const std::uint8_t* mid = in + at;
    const std::uint8_t* up = r > 0 ? mid - w : mid;
    const std::uint8_t* down = r + 1 < rows ? mid + w : mid;
    for (std::size_t c = 1; c + 1 < w; ++c)
      out[at + c] = keep(at + c, combine(mid[c], up[c], down[c], mid[c - 1], mid[c + 1]));
    out[at] = keep(at, combine(mid[0], up[0], down[0], mid[0], mid[right]));
    out[at + w - 1] = keep(at + w - 1, combine(mid[w - 1], up[w - 1], down[w - 1], mid[w - 1 - right], mid[w - 1]));
  }
}

// Erosion / dilation of a CV_8UC1 mask (non-zero = set) by the 3x3 cross, `iterations` times;
// pixels outside the image are ignored (cv::erode / cv::dilate with their default border).
// Returns 0/255. `iterations` cross_steps.
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
