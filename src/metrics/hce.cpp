#include "metrics/hce.h"

#include "core/error.h"
#include "metrics/binary_masks.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

// Splits each contour into runs of points where `cond` (the condition, already dilated; 0/255)
// holds and that no earlier run visited; a contour's last run absorbs its first (reversed) when
// they touch. A visited point is cleared in `cond` (so it fails the test from then on). Returns the
// runs and, in `independent`, the 8-connected regions of the mask no run passes through.
// The regions come from the contour tree (RETR_TREE), without labelling: each 8-connected region
// has exactly one outer border (a contour at even depth), each of its holes a border whose parent
// is that outer border, and every run point lies on one of them. A point skipped because an
// earlier run visited it belongs to the region that run touched. So a region is touched when a
// point of its outer or hole borders meets the condition.
std::vector<std::vector<cv::Point>> conditional_boundaries(const std::vector<std::vector<cv::Point>>& contours,
                                                           const std::vector<cv::Vec4i>& hierarchy, cv::Mat& cond,
                                                           int& independent) {
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
      std::uint8_t& unvisited = cond.at<std::uint8_t>(pt);
      if (unvisited == 0) {
        if (!run.empty()) runs.push_back(std::move(run)), run.clear();
        continue;
      }
      run.push_back(pt);
      unvisited = 0;
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

// HCE's masks are continuous rows x cols images over thread-local buffers, all 0/255; each step
// below is one pass over the whole image (restrict parameters and long runs: the loops vectorise
// and their scalar tails are rare).

// `times` times: m = dilate_cross(m) & ~forbidden; `spare` (m's size) is the other buffer of each
// step, and the two may end swapped.
[[gnu::always_inline]] inline void grow_outside(cv::Mat& m, const cv::Mat& forbidden, int times, cv::Mat& spare) {
  for (int step = 0; step < times; ++step) {
    cross_step<false, true>(m.data, spare.data, forbidden.data, m.rows, m.cols);
    std::swap(m, spare);
  }
}

// The box's GT and prediction masks and their union, from one row of the raw inputs:
[[gnu::always_inline]] inline void masks_row(const std::uint8_t* __restrict g, const std::uint8_t* __restrict p, int n,
                                             std::uint8_t* __restrict gt, std::uint8_t* __restrict pred,
                                             std::uint8_t* __restrict both) {
  for (int c = 0; c < n; ++c) {
    const std::uint8_t x = g[c] ? 255 : 0, y = p[c] ? 255 : 0;
    gt[c] = x, pred[c] = y, both[c] = x | y;
  }
}

// The false positives and negatives inside the eroded union:
[[gnu::always_inline]] inline void errors(const std::uint8_t* __restrict gt, const std::uint8_t* __restrict pred,
                                          const std::uint8_t* __restrict eroded, std::size_t n,
                                          std::uint8_t* __restrict fp, std::uint8_t* __restrict fn) {
  for (std::size_t i = 0; i < n; ++i) {
    fp[i] = static_cast<std::uint8_t>(pred[i] & ~gt[i] & eroded[i]);
    fn[i] = static_cast<std::uint8_t>(gt[i] & ~pred[i] & eroded[i]);
  }
}

// The grown errors back within the false positives / negatives, plus the GT skeleton's pixels
// (skeleton: 0/1) the prediction misses (the skeleton lies in the GT: skeleton & ~tp = skeleton &
// ~pred); and, from them, the two conditions before their dilation: for FP borders, TP or FN;
// for FN borders, none of TP, FP, FN:
[[gnu::always_inline]] inline void relaxed(const std::uint8_t* __restrict gt, const std::uint8_t* __restrict pred,
                                           const std::uint8_t* __restrict skeleton, std::size_t n,
                                           std::uint8_t* __restrict fp, std::uint8_t* __restrict fn,
                                           std::uint8_t* __restrict for_fp, std::uint8_t* __restrict for_fn) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t p = static_cast<std::uint8_t>(fp[i] & pred[i] & ~gt[i]);
    const std::uint8_t q =
        static_cast<std::uint8_t>((fn[i] & gt[i] & ~pred[i]) | ((skeleton[i] ? 255 : 0) & ~pred[i]));
    const std::uint8_t tp = gt[i] & pred[i];
    fp[i] = p, fn[i] = q;
    for_fp[i] = tp | q;
    for_fn[i] = static_cast<std::uint8_t>(~(tp | p | q));
  }
}

// Thread-local CV_8UC1 buffers of HCE's box, reused from image to image (no allocation once grown):
// buffer k as a continuous image of `size`, contents undefined.
cv::Mat scratch(int k, cv::Size size) {
  thread_local std::vector<std::uint8_t> buffers[10];
  std::vector<std::uint8_t>& b = buffers[k];
  const std::size_t area = static_cast<std::size_t>(size.area());
  if (b.size() < area) b.resize(area);
  return cv::Mat(size, CV_8UC1, b.data());
}

// The bounding box of the pixels non-zero in a or b (CV_8UC1, same size; empty if none). Each row
// is tested whole (vectorised OR); only rows with a pixel beyond the box so far are searched, and
// only there.
cv::Rect nonzero_box(const cv::Mat& a, const cv::Mat& b) {
  int top = -1, bottom = -1, left = a.cols, right = -1;
  for (int r = 0; r < a.rows; ++r) {
    const std::uint8_t* x = a.ptr<std::uint8_t>(r);
    const std::uint8_t* y = b.ptr<std::uint8_t>(r);
    std::uint8_t any = 0;
    for (int c = 0; c < a.cols; ++c) any |= x[c] | y[c];
    if (!any) continue;
    if (top < 0) top = r;
    bottom = r;
    std::uint8_t before = 0, after = 0;  // any beyond the box so far (vectorised), then where
    for (int c = 0; c < left; ++c) before |= x[c] | y[c];
    for (int c = right + 1; c < a.cols; ++c) after |= x[c] | y[c];
    if (before)
      for (int c = 0; c < left; ++c)
        if (x[c] | y[c]) left = c;
    if (after)
      for (int c = a.cols - 1; c > right; --c)
        if (x[c] | y[c]) right = c;
  }
  if (top < 0) return {};
  return {left, top, right - left + 1, bottom - top + 1};
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

// Per pixel of the thinning's padded image, one 16-bit state: bits 0-7 its set neighbours
// (kRemoval's index; kept up to date only while the pixel is set), kSet, and whether the work
// list of sub-pass 1 / 2 holds it.
constexpr std::uint16_t kSet = 1 << 8, kQueued1 = 1 << 9, kQueued2 = 1 << 10, kQueued = kQueued1 | kQueued2;

// Zhang-Suen thinning (skimage 0.19's _fast_skeletonize) of `in` (CV_8UC1, non-zero = set, with
// zeros around it) into `out` (same size, CV_8UC1): 1 where the skeleton is, 0 elsewhere.
//
// A sub-pass decides a pixel from its 8 neighbours alone. Once a pixel has been kept by sub-pass
// p, it would be kept again by p until a neighbour is removed: so each sub-pass decides only the
// set pixels whose neighbourhood changed since p last decided them (at first: every set pixel
// with an unset neighbour; kRemoval[255] = 0). The same removals, iteration by iteration, as
// deciding every pixel in every sub-pass (tests/metrics/test_hce.cpp checks both). A list has no
// duplicates (the queued bits), so each fits in the pixel count. The removals are listed without
// a branch (the slot is always written, the count advances only for a removal); the neighbours'
// branches are kept (mostly predictable: most are already queued). Cloned for AVX2 (the initial
// states; picked at run time).
__attribute__((target_clones("avx2", "default"))) void thin_zhang(const cv::Mat& in, cv::Mat& out) {
  const int rows = in.rows, cols = in.cols, w = cols + 2;
  const std::size_t size = static_cast<std::size_t>(rows + 2) * w, pixels = static_cast<std::size_t>(rows) * cols + 1;
  // Buffers reused by the thread (no page faults per image): the 0/1 image with a zero border,
  // the states, the two sub-passes' lists, the list being decided and the pixels it removes.
  thread_local std::vector<std::uint8_t> padded;
  thread_local std::vector<std::uint16_t> states;
  thread_local std::vector<int> lists[4];
  padded.resize(size);
  states.resize(size);
  for (auto& l : lists) l.resize(std::max(l.size(), pixels));
  std::uint8_t* const s = padded.data();
  std::uint16_t* const st = states.data();
  int* todo[2] = {lists[0].data(), lists[1].data()};
  int* deciding = lists[2].data();
  int* const removed = lists[3].data();
  std::fill_n(s, w, 0), std::fill_n(s + size - w, w, 0);
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* row = in.ptr<std::uint8_t>(r);
    std::uint8_t* o = s + static_cast<std::size_t>(r + 1) * w;
    o[0] = 0, o[w - 1] = 0;
    for (int c = 0; c < cols; ++c) o[c + 1] = row[c] != 0;
  }
  // The states row by row (vectorised): set pixels with an unset neighbour start in both lists.
  int count[2] = {0, 0};
  std::fill_n(st, w, 0), std::fill_n(st + size - w, w, 0);
  for (int r = 1; r <= rows; ++r) {
    const std::uint8_t* up = s + static_cast<std::size_t>(r - 1) * w;
    const std::uint8_t* mid = up + w;
    const std::uint8_t* down = mid + w;
    std::uint16_t* o = st + static_cast<std::size_t>(r) * w;
    o[0] = 0, o[w - 1] = 0;
    for (int c = 1; c <= cols; ++c) {  // NW 1, N 2, NE 4, E 8, SE 16, S 32, SW 64, W 128
      const unsigned code = up[c - 1] | up[c] << 1 | up[c + 1] << 2 | mid[c + 1] << 3 | down[c + 1] << 4 |
                            down[c] << 5 | down[c - 1] << 6 | mid[c - 1] << 7;
      const unsigned queued = code != 255 ? kQueued : 0;
      o[c] = static_cast<std::uint16_t>(mid[c] ? code | kSet | queued : 0);
    }
  }
  // The queued pixels in raster order, four states at a time (little-endian; the borders are 0).
  for (int i = w, end = static_cast<int>(size) - w; i < end; i += 4) {
    std::uint64_t q;
    std::memcpy(&q, st + i, sizeof q);
    for (q &= 0x0200020002000200u; q != 0; q &= q - 1) todo[0][count[0]++] = i + (__builtin_ctzll(q) >> 4);
  }
  std::copy_n(todo[0], count[0], todo[1]);
  count[1] = count[0];
  const int off[8] = {-w - 1, -w, -w + 1, 1, w + 1, w, w - 1, -1};  // NW N NE E SE S SW W
  for (bool any = true; any;) {  // until a full iteration (both sub-passes) removes nothing
    any = false;
    for (int pass = 0; pass < 2; ++pass) {
      const unsigned queued_bit = kQueued1 << pass;
      std::swap(deciding, todo[pass]);
      const int n = count[pass];
      count[pass] = 0;
      // Every decision on the image as it was at the start of the sub-pass: the codes do not
      // change in this loop, only the decided pixel's own bits.
      int n_removed = 0;
      for (int k = 0; k < n; ++k) {
        const int i = deciding[k];
        const unsigned v = st[i];
        const unsigned remove = (v >> 8 & 1) & (kRemoval[v & 255] >> pass & 1);  // kRemoval: 1, 2 or 3
        st[i] = static_cast<std::uint16_t>(v & ~queued_bit & ~(remove << 8));
        removed[n_removed] = i;
        n_removed += static_cast<int>(remove);
      }
      if (n_removed == 0) continue;
      any = true;
      // Each set neighbour of a removed pixel loses it from its code and joins both lists.
      int* const todo0 = todo[0];
      int* const todo1 = todo[1];
      int n0 = count[0], n1 = count[1];  // in registers
      for (int k = 0; k < n_removed; ++k) {
        const int i = removed[k];
        for (int b = 0; b < 8; ++b) {
          const int j = i + off[b];
          unsigned v = st[j] & ~(1u << ((b + 4) & 7));  // i lies opposite, seen from j
          if ((v & kSet) && (v & kQueued) != kQueued) {
            if (!(v & kQueued1)) todo0[n0++] = j;
            if (!(v & kQueued2)) todo1[n1++] = j;
            v |= kQueued;
          }
          st[j] = static_cast<std::uint16_t>(v);
        }
      }
      count[0] = n0, count[1] = n1;
    }
  }
  for (int r = 0; r < rows; ++r) {
    const std::uint16_t* row = st + static_cast<std::size_t>(r + 1) * w + 1;
    std::uint8_t* o = out.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) o[c] = static_cast<std::uint8_t>(row[c] >> 8 & 1);
  }
}

// HCE's masks on its box, all 0/255 in the thread-local buffers (scratch 1-8): the relaxed false
// positives and negatives, and the two conditions of their borders, dilated.
struct Errors {
  cv::Mat fp, fn, near_fp, near_fn;
};

// The skeleton (0/1) of `binary` into `out` (binary's size, all 0): thinned on the set pixels' own
// box, since outside it nothing is set and the box with a zero border thins alike.
void skeleton_into(const cv::Mat& binary, cv::Mat& out) {
  const cv::Rect box = nonzero_box(binary, binary);
  if (box.empty()) return;
  cv::Mat inside = out(box);
  thin_zhang(binary(box), inside);
}

// From the box's GT and prediction (CV_8UC1, non-zero = set) and the GT's skeleton (0/1, box
// size): the false positives away from the union's border (eroded `relax` times), grown back
// `relax` times within the GT's background and then kept within the false positives; the false
// negatives likewise within the prediction's background, plus the skeleton's pixels the
// prediction misses; the conditions: a FP border point next to a TP or FN pixel, a FN border
// point next to a pixel in none of TP, FP, FN. Morphology with skimage's disk(1), the 3x3 cross
// (binary_masks.h). One pass per step, several masks at a time; cloned for AVX2 (picked at run
// time; integer operations, the same bytes).
__attribute__((target_clones("avx2", "default"))) void relaxed_errors(const cv::Mat& gt_in, const cv::Mat& pred_in,
                                                                      const cv::Mat& skeleton, int relax, Errors& e) {
  const cv::Size size = gt_in.size();
  const int rows = size.height, cols = size.width;
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  cv::Mat gt = scratch(1, size), pred = scratch(2, size), a = scratch(3, size), b = scratch(4, size);
  for (int r = 0; r < rows; ++r)
    masks_row(gt_in.ptr<std::uint8_t>(r), pred_in.ptr<std::uint8_t>(r), cols, gt.ptr<std::uint8_t>(r),
              pred.ptr<std::uint8_t>(r), a.ptr<std::uint8_t>(r));
  for (int step = 0; step < relax; ++step) {  // the union, eroded
    cross_step<true, false>(a.data, b.data, nullptr, rows, cols);
    std::swap(a, b);
  }
  e.fp = scratch(5, size), e.fn = scratch(6, size);
  errors(gt.data, pred.data, a.data, n, e.fp.data, e.fn.data);
  grow_outside(e.fp, gt, relax, a);
  grow_outside(e.fn, pred, relax, b);
  relaxed(gt.data, pred.data, skeleton.data, n, e.fp.data, e.fn.data, a.data, b.data);
  e.near_fp = scratch(7, size), e.near_fn = scratch(8, size);
  cross_step<false, false>(a.data, e.near_fp.data, nullptr, rows, cols);
  cross_step<false, false>(b.data, e.near_fn.data, nullptr, rows, cols);
}

}  // namespace

cv::Mat skeletonize_zhang(const cv::Mat& binary) {
  CV_Assert(binary.type() == CV_8UC1);
  cv::Mat out = cv::Mat::zeros(binary.size(), CV_8UC1);
  skeleton_into(binary, out);
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
  const cv::Rect occupied = nonzero_box(gt_in, pred_in);
  if (occupied.empty()) return 0;
  const int margin = std::max(relax, 0) + 2;
  const cv::Rect box = cv::Rect(occupied.x - margin, occupied.y - margin, occupied.width + 2 * margin,
                                occupied.height + 2 * margin) &
                       cv::Rect(0, 0, gt_in.cols, gt_in.rows);
  // The GT's skeleton (0/1).
  cv::Mat skeleton = scratch(0, box.size());
  skeleton.setTo(0);
  const cv::Mat gt_box = gt_in(box);
  skeleton_into(gt_box, skeleton);
  Errors e;
  relaxed_errors(gt_box, pred_in(box), skeleton, relax, e);

  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  int independent_fp = 0, independent_fn = 0;
  cv::findContours(e.fp, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_NONE);
  const auto boundaries_fp = conditional_boundaries(contours, hierarchy, e.near_fp, independent_fp);
  cv::findContours(e.fn, contours, hierarchy, cv::RETR_TREE, cv::CHAIN_APPROX_NONE);
  const auto boundaries_fn = conditional_boundaries(contours, hierarchy, e.near_fn, independent_fn);
  return control_points(boundaries_fp, epsilon) + independent_fp + control_points(boundaries_fn, epsilon) +
         independent_fn;
}

}  // namespace sodlab::metrics
