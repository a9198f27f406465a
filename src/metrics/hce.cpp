#include "metrics/hce.h"

#include "core/error.h"
#include "metrics/binary_masks.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace sodlab::metrics {
namespace {

// scikit-image 0.19's removal table for _fast_skeletonize (data from scikit-image,
// BSD-3-Clause, Copyright (C) 2019 the scikit-image team). Index: the 8 neighbours as bits NW 1,
// N 2, NE 4, E 8, SE 16, S 32, SW 64, W 128; value 1 = removable in the first sub-pass, 2 = in
// the second, 3 = in both, 0 = kept.
constexpr std::uint8_t kRemoval[256] = {
    0, 0, 0, 1, 0, 0, 1, 3, 0, 0, 3, 1, 1, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 3, 0, 3, 3,
    0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2, 2,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 3, 0, 2, 0,
    0, 0, 3, 1, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 3, 1, 3, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 0, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0, 0,
};

// Splits each contour into runs of points where `condition` (dilated) holds and that no earlier
// run visited; a contour's last run absorbs its first (reversed) when they touch. Returns the
// runs and, in `independent`, the 8-connected regions of the mask no run passes through.
// The regions come from the contour tree (RETR_TREE), without labelling: each 8-connected region
// has exactly one outer border (a contour at even depth), each of its holes a border whose parent
// is that outer border, and every run point lies on one of them. A point skipped because an
// earlier run visited it belongs to the region that run touched. So a region is touched when a
// point of its outer or hole borders meets the condition.
std::vector<std::vector<cv::Point>> conditional_boundaries(const std::vector<std::vector<cv::Point>>& contours,
                                                           const std::vector<cv::Vec4i>& hierarchy,
                                                           const cv::Mat& mask, const cv::Mat& condition,
                                                           int& independent) {
  const cv::Mat cond = dilate_cross(condition);
  cv::Mat visited = cv::Mat::zeros(mask.size(), CV_8UC1);
  const int n = static_cast<int>(contours.size());
  // The outer border of each contour's region: itself (even depth) or its parent (a hole).
  std::vector<int> depth(static_cast<std::size_t>(n), -1), region(static_cast<std::size_t>(n));
  std::vector<char> touched(static_cast<std::size_t>(n), 0);
  for (int k = 0; k < n; ++k) {
    int d = 0;
    for (int p = hierarchy[k][3]; p >= 0; p = hierarchy[p][3]) ++d;
    depth[k] = d;
    region[k] = d % 2 == 0 ? k : hierarchy[k][3];
  }
  std::vector<std::vector<cv::Point>> out;
  for (int k = 0; k < n; ++k) {
    const auto& contour = contours[k];
    std::vector<std::vector<cv::Point>> runs;
    std::vector<cv::Point> run;
    for (const cv::Point& pt : contour) {
      if (cond.at<std::uint8_t>(pt) == 0 || visited.at<std::uint8_t>(pt) != 0) {
        if (!run.empty()) runs.push_back(std::move(run)), run.clear();
        continue;
      }
      run.push_back(pt);
      visited.at<std::uint8_t>(pt) = 1;
      touched[static_cast<std::size_t>(region[k])] = 1;
    }
    if (!run.empty()) runs.push_back(std::move(run));
    if (runs.size() > 1) {
      const cv::Point first = runs.front().front(), last = runs.back().back();
      const int dx = std::abs(first.x - last.x), dy = std::abs(first.y - last.y);
      if (dx <= 1 && dy <= 1 && dx + dy > 0) {
        runs.back().insert(runs.back().end(), runs.front().rbegin(), runs.front().rend());
        runs.erase(runs.begin());
      }
    }
    for (auto& r : runs) out.push_back(std::move(r));
  }
  independent = 0;
  for (int k = 0; k < n; ++k) independent += depth[k] % 2 == 0 && !touched[static_cast<std::size_t>(k)];
  return out;
}

// `times` times: m = dilate_cross(m) & ~forbidden, on 0/255 masks (binary_masks.h's cross, a
// neighbour outside the image ignored), in one pass per step.
void grow_outside(cv::Mat& m, const cv::Mat& forbidden, int times) {
  const int rows = m.rows, cols = m.cols;
  cv::Mat other(m.size(), CV_8UC1);
  for (int step = 0; step < times; ++step) {
    for (int r = 0; r < rows; ++r) {
      const std::uint8_t* up = m.ptr<std::uint8_t>(r > 0 ? r - 1 : r);
      const std::uint8_t* mid = m.ptr<std::uint8_t>(r);
      const std::uint8_t* down = m.ptr<std::uint8_t>(r + 1 < rows ? r + 1 : r);
      const std::uint8_t* f = forbidden.ptr<std::uint8_t>(r);
      std::uint8_t* o = other.ptr<std::uint8_t>(r);
      auto at = [&](int c) {
        const std::uint8_t left = mid[c > 0 ? c - 1 : c], right = mid[c + 1 < cols ? c + 1 : c];
        return static_cast<std::uint8_t>((mid[c] | up[c] | down[c] | left | right) & ~f[c]);
      };
      o[0] = at(0);
      for (int c = 1; c + 1 < cols; ++c)  // the interior without branches (vectorised)
        o[c] = static_cast<std::uint8_t>((mid[c] | up[c] | down[c] | mid[c - 1] | mid[c + 1]) & ~f[c]);
      if (cols > 1) o[cols - 1] = at(cols - 1);
    }
    std::swap(m, other);
  }
}

int control_points(const std::vector<std::vector<cv::Point>>& boundaries, double epsilon) {
  int n = 0;
  std::vector<cv::Point> approx;
  for (const auto& b : boundaries) {
    cv::approxPolyDP(b, approx, epsilon, false);
    n += static_cast<int>(approx.size());
  }
  return n;
}

}  // namespace

cv::Mat skeletonize_zhang(const cv::Mat& binary) {
  CV_Assert(binary.type() == CV_8UC1);
  const int rows = binary.rows, cols = binary.cols, w = cols + 2;
  // Buffers reused by the thread (no page faults per image): the image with a one-pixel zero
  // border, per pixel which sub-passes' lists hold it (bit 0: the first, bit 1: the second), the
  // lists.
  thread_local std::vector<std::uint8_t> image, queued_bits, codes;
  thread_local std::vector<int> todo_lists[2], removed_list, deciding_list;
  const std::size_t size = static_cast<std::size_t>(rows + 2) * w;
  image.assign(size, 0);
  queued_bits.assign(size, 0);
  codes.assign(size, 0);
  std::uint8_t* const s = image.data();
  std::uint8_t* const queued = queued_bits.data();
  std::uint8_t* const code = codes.data();  // of each set pixel: its set neighbours as bits
  std::vector<int>* const todo = todo_lists;
  std::vector<int>& removed = removed_list;
  std::vector<int>& deciding = deciding_list;
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* in = binary.ptr<std::uint8_t>(r);
    std::uint8_t* o = s + static_cast<std::size_t>(r + 1) * w + 1;
    for (int c = 0; c < cols; ++c) o[c] = in[c] != 0;
  }
  const int off[8] = {-w - 1, -w, -w + 1, 1, w + 1, w, w - 1, -1};  // NW N NE E SE S SW W
  // A sub-pass decides a pixel from its 8 neighbours alone. Once a pixel has been kept by sub-pass
  // p, it would be kept again by p until a neighbour is removed: so each sub-pass decides only the
  // set pixels whose neighbourhood changed since p last decided them (at first: every set pixel
  // with an unset neighbour; kRemoval[255] = 0). The same removals, iteration by iteration, as
  // deciding every pixel in every sub-pass (tests/metrics/test_hce.cpp checks both). Each set
  // pixel's neighbourhood code is kept up to date as its neighbours are removed.
  todo[0].clear(), todo[1].clear();
  for (int r = 1; r <= rows; ++r)
    for (int i = r * w + 1, e = r * w + cols + 1; i < e; ++i) {
      if (!s[i]) continue;
      int k = 0;
      for (int b = 0; b < 8; ++b) k |= s[i + off[b]] << b;
      code[i] = static_cast<std::uint8_t>(k);
      if (k != 255) queued[i] = 3, todo[0].push_back(i), todo[1].push_back(i);
    }
  for (bool any = true; any;) {  // until a full iteration (both sub-passes) removes nothing
    any = false;
    for (int pass = 1; pass <= 2; ++pass) {
      const std::uint8_t bit = static_cast<std::uint8_t>(pass);
      deciding.swap(todo[pass - 1]);
      todo[pass - 1].clear();
      removed.clear();
      for (int i : deciding) {  // every decision on the image as it was at the start of the pass
        queued[i] &= static_cast<std::uint8_t>(~bit);
        if (!s[i]) continue;
        const int t = kRemoval[code[i]];
        if (t == 3 || t == pass) removed.push_back(i);
      }
      if (removed.empty()) continue;
      any = true;
      for (int i : removed) s[i] = 0;
      for (int i : removed)
        for (int b = 0; b < 8; ++b) {
          const int j = i + off[b];
          if (!s[j]) continue;
          code[j] &= static_cast<std::uint8_t>(~(1 << ((b + 4) & 7)));  // i lies opposite, seen from j
          if (queued[j] == 3) continue;
          if (!(queued[j] & 1)) todo[0].push_back(j);
          if (!(queued[j] & 2)) todo[1].push_back(j);
          queued[j] = 3;
        }
    }
  }
  cv::Mat out(rows, cols, CV_8UC1);
  for (int r = 0; r < rows; ++r) std::copy_n(s + static_cast<std::size_t>(r + 1) * w + 1, cols, out.ptr<std::uint8_t>(r));
  return out;
}

double human_correction_effort(const cv::Mat& gt_in, const cv::Mat& pred_in, int relax, double epsilon) {
  if (gt_in.type() != CV_8UC1 || pred_in.type() != CV_8UC1 || gt_in.size() != pred_in.size())
    throw InputError("human_correction_effort: masks must be CV_8UC1 of the same size");
  // Everything below happens within `relax` + 1 pixels of a GT or predicted pixel: the dilations
  // reach `relax` pixels out of the union, the contours and the condition's dilation one more.
  // So it runs on the union's bounding box grown by relax + 2 (clipped to the image): outside it
  // every mask is 0, at a clipped side the image border is the box's, and contours, components
  // and control points do not depend on where the box lies. No GT or predicted pixel: 0.
  int top = gt_in.rows, bottom = -1, left = gt_in.cols, right = -1;
  for (int r = 0; r < gt_in.rows; ++r) {
    const std::uint8_t* g = gt_in.ptr<std::uint8_t>(r);
    const std::uint8_t* p = pred_in.ptr<std::uint8_t>(r);
    int first = -1, last = -1;
    for (int c = 0; c < gt_in.cols; ++c)
      if (g[c] | p[c]) {
        first = c;
        break;
      }
    if (first < 0) continue;
    for (int c = gt_in.cols - 1; c >= first; --c)
      if (g[c] | p[c]) {
        last = c;
        break;
      }
    top = std::min(top, r), bottom = r, left = std::min(left, first), right = std::max(right, last);
  }
  if (bottom < 0) return 0;
  const int margin = std::max(relax, 0) + 2;
  const cv::Rect box(cv::Point(std::max(0, left - margin), std::max(0, top - margin)),
                     cv::Point(std::min(gt_in.cols, right + margin + 1), std::min(gt_in.rows, bottom + margin + 1)));
  // Masks as 0/255, continuous copies of the box.
  const cv::Mat gt = gt_in(box) != 0, pred = pred_in(box) != 0;
  const cv::Mat skeleton = skeletonize_zhang(gt) != 0;
  // Morphology with skimage's disk(1), the 3x3 cross (binary_masks.h).
  const cv::Mat tp = gt & pred, fp = pred & ~gt, fn = gt & ~pred;
  const cv::Mat eroded_union = erode_cross(gt | pred, relax);

  // False positives away from the union's border, grown back within the GT's background.
  cv::Mat fp_relaxed = fp & eroded_union;
  grow_outside(fp_relaxed, gt, relax);
  fp_relaxed &= fp;
  // False negatives likewise within the prediction's background, plus the skeleton's misses.
  cv::Mat fn_relaxed = fn & eroded_union;
  grow_outside(fn_relaxed, pred, relax);
  fn_relaxed &= fn;
  fn_relaxed |= skeleton & ~tp;

  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  int independent_fp = 0, independent_fn = 0;
  cv::findContours(fp_relaxed, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_NONE);
  const auto boundaries_fp = conditional_boundaries(contours, hierarchy, fp_relaxed, tp | fn_relaxed, independent_fp);
  cv::findContours(fn_relaxed, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_NONE);
  const auto boundaries_fn =
      conditional_boundaries(contours, hierarchy, fn_relaxed, ~(tp | fp_relaxed | fn_relaxed), independent_fn);
  return control_points(boundaries_fp, epsilon) + independent_fp + control_points(boundaries_fn, epsilon) +
         independent_fn;
}

}  // namespace sodlab::metrics
