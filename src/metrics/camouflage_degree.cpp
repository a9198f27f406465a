#include "metrics/camouflage_degree.h"

#include "core/error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <limits>
#include <vector>

namespace sodlab::metrics {
namespace {

constexpr int kPatch = 7, kStride = 3;
constexpr int kLabDim = kPatch * kPatch * 3, kLabStride = 160;  // a patch's Lab values, padded

// Σ_k (q[k] − b[k])² over kLabStride 8-bit values held as int16 (at most 147·255² < 2^24).
__attribute__((target_clones("avx2", "default"))) std::int32_t lab_distance(const std::int16_t* __restrict q,
                                                                             const std::int16_t* __restrict b) {
  std::int32_t acc = 0;
  for (int k = 0; k < kLabStride; ++k) {
    const std::int32_t t = q[k] - b[k];
    acc += t * t;
  }
  return acc;
}

// A patch's Lab values in kGroups groups of 7 (a patch row's 7 values of one channel), summed:
// Σ over a group of (q − b)² >= (Σ q − Σ b)²/7 (Cauchy-Schwarz), so the Lab part of a distance
// is at least Σ_g (q[g] − group g of b)²/7, and the whole distance at least that plus the two
// positional terms. out[i] = that bound for background patch i < n, less a relative 1e-12 (the
// roundings of the distance itself are below 1e-15 relative), so out[i] <= the distance.
// groups: kGroups rows of n (patch i's group g at g·n + i); p0, p1: the patches' positions.
constexpr int kGroups = kPatch * 3, kGroupStride = 24;
__attribute__((target_clones("avx2", "default"))) void distance_bounds(
    const std::int16_t* __restrict q, const std::int16_t* __restrict groups, std::size_t n, const double* __restrict p0,
    const double* __restrict p1, double q0, double q1, std::int32_t* __restrict acc, double* __restrict out) {
  for (std::size_t i = 0; i < n; ++i) acc[i] = 0;
  for (int g = 0; g < kGroups; ++g) {
    const std::int16_t* row = groups + static_cast<std::size_t>(g) * n;
    const std::int32_t qg = q[g];
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t t = qg - row[i];
      acc[i] += t * t;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double t0 = q0 - p0[i], t1 = q1 - p1[i];
    out[i] = (acc[i] / 7.0 + t0 * t0 + t1 * t1) * (1 - 1e-12);
  }
}

// The group sums of one patch's kLabDim values (row-major, channels last), padded with zeros.
void group_sums(const std::uint8_t* lab, std::int16_t* out) {
  std::fill_n(out, kGroupStride, 0);
  for (int k = 0; k < kLabDim; ++k) out[(k / (kPatch * 3)) * 3 + k % 3] += lab[k];
}

constexpr double kEps = 2.220446049250313e-16;

// The GT dilated by a 20x20 square (anchor 10, 10: offsets -10..+9), minus the GT; outside ignored.
cv::Mat surrounding_background(const cv::Mat& gt) {
  const int rows = gt.rows, cols = gt.cols;
  cv::Mat horizontal(rows, cols, CV_8UC1), out(rows, cols, CV_8UC1);
  std::vector<int> prefix(static_cast<std::size_t>(std::max(rows, cols)) + 1);  // set pixels before index
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* g = gt.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) prefix[c + 1] = prefix[c] + (g[c] != 0);
    std::uint8_t* o = horizontal.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) o[c] = prefix[std::min(cols - 1, c + 9) + 1] - prefix[std::max(0, c - 10)] > 0;
  }
  for (int c = 0; c < cols; ++c) {
    for (int r = 0; r < rows; ++r) prefix[r + 1] = prefix[r] + horizontal.at<std::uint8_t>(r, c);
    for (int r = 0; r < rows; ++r)
      out.at<std::uint8_t>(r, c) =
          prefix[std::min(rows - 1, r + 9) + 1] - prefix[std::max(0, r - 10)] > 0 && !gt.at<std::uint8_t>(r, c) ? 1 : 0;
  }
  return out;
}

struct Patches {
  std::vector<cv::Point> at;         // (x = column, y = row) of each patch's top-left corner
  std::vector<std::uint8_t> values;  // kPatch·kPatch·3 per patch, row-major, channels last
};

// PySODMetrics' _extract_patches: the image padded at the bottom and right by reflection (numpy
// 'reflect') to fit the stride, windows every kStride pixels, kept where the mask covers all.
Patches extract_patches(const cv::Mat& img3, const cv::Mat& mask) {
  const int h = img3.rows, w = img3.cols;
  auto pad_of = [](int n) { return ((kStride - (n - kPatch) % kStride) % kStride + kStride) % kStride; };
  const int ph = h + pad_of(h), pw = w + pad_of(w);
  auto reflect = [](int i, int n) { return i < n ? i : 2 * (n - 1) - i; };
  Patches out;
  for (int i = 0; i + kPatch <= ph; i += kStride)
    for (int j = 0; j + kPatch <= pw; j += kStride) {
      bool valid = true;
      for (int a = 0; a < kPatch && valid; ++a)
        for (int b = 0; b < kPatch && valid; ++b)
          valid = i + a < h && j + b < w && mask.at<std::uint8_t>(i + a, j + b) > 0;  // padding: 0
      if (!valid) continue;
      out.at.push_back({j, i});
      for (int a = 0; a < kPatch; ++a)
        for (int b = 0; b < kPatch; ++b) {
          const cv::Vec3b& v = img3.at<cv::Vec3b>(reflect(i + a, h), reflect(j + b, w));
          out.values.push_back(v[0]), out.values.push_back(v[1]), out.values.push_back(v[2]);
        }
    }
  return out;
}

// sklearn's StandardScaler over the rows of (bg coords; fg coords): per column (x - mean)/std,
// population std, 1 where it is ~0.
void standardise(std::vector<std::array<double, 2>>& coords) {
  const double n = static_cast<double>(coords.size());
  for (int k = 0; k < 2; ++k) {
    double sum = 0;
    for (const auto& c : coords) sum += c[k];
    const double mean = sum / n;
    double correction = 0, sq = 0;
    for (const auto& c : coords) correction += c[k] - mean, sq += (c[k] - mean) * (c[k] - mean);
    double scale = std::sqrt((sq - correction * correction / n) / n);
    if (scale < 10 * std::numeric_limits<double>::epsilon()) scale = 1;
    for (auto& c : coords) c[k] = (c[k] - mean) / scale;
  }
}

}  // namespace

cv::Mat camouflage_degree(const cv::Mat& rgb, const cv::Mat& gt, double gamma, double lambda_spatial) {
  if (rgb.type() != CV_8UC3 || gt.type() != CV_8UC1 || rgb.size() != gt.size())
    throw InputError("camouflage_degree: an 8-bit RGB image and a 0/1 mask of the same size");
  const int h = gt.rows, w = gt.cols;
  const cv::Mat fg = gt != 0, bg = surrounding_background(gt != 0);
  cv::Mat fg01, lab, fg_lab, bg_lab;
  fg.convertTo(fg01, CV_8U, 1.0 / 255);
  cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
  lab.copyTo(fg_lab), lab.copyTo(bg_lab);
  fg_lab.setTo(cv::Scalar::all(0), fg01 == 0);
  bg_lab.setTo(cv::Scalar::all(0), bg == 0);
  const Patches fp = extract_patches(fg_lab, fg01), bp = extract_patches(bg_lab, bg);
  cv::Mat cd = cv::Mat::zeros(h, w, CV_64F);
  if (fp.at.empty() || bp.at.empty()) return cd;

  // Nearest background patch of each foreground patch: Lab values and λ·standardised position,
  // as float32 (PySODMetrics' astype), squared distances in double, summed in feature order
  // (the 147 Lab values, then row, then column). The Lab values are 8-bit integers, so their
  // squared differences and every partial sum of them are integers below 2^24: exact in double
  // in any order, and the same in int32. So the Lab part is summed in integers (vectorised),
  // converted, and the two positional terms added after it in order: bit for bit the sequential
  // double sum.
  const std::size_t nb = bp.at.size(), nf = fp.at.size();
  std::vector<std::array<double, 2>> coords;
  for (const auto& p : bp.at) coords.push_back({double(p.y), double(p.x)});
  for (const auto& p : fp.at) coords.push_back({double(p.y), double(p.x)});
  standardise(coords);
  auto position = [&](std::size_t coord_row) {
    return std::array<float, 2>{static_cast<float>(lambda_spatial * coords[coord_row][0]),
                                static_cast<float>(lambda_spatial * coords[coord_row][1])};
  };
  std::vector<std::int16_t> lab_bg(nb * kLabStride, 0);  // zero padding: a zero difference
  std::vector<std::int16_t> groups_bg(static_cast<std::size_t>(kGroups) * nb), groups_one(kGroupStride);
  std::vector<std::array<float, 2>> pos_bg(nb);
  std::vector<double> p0_bg(nb), p1_bg(nb);
  for (std::size_t i = 0; i < nb; ++i) {
    std::copy_n(&bp.values[i * kLabDim], kLabDim, &lab_bg[i * kLabStride]);
    group_sums(&bp.values[i * kLabDim], groups_one.data());
    for (int g = 0; g < kGroups; ++g) groups_bg[static_cast<std::size_t>(g) * nb + i] = groups_one[g];
    pos_bg[i] = position(i);
    p0_bg[i] = pos_bg[i][0], p1_bg[i] = pos_bg[i][1];
  }
  std::vector<std::int16_t> lab_q(kLabStride, 0), groups_q(kGroupStride);
  std::vector<std::int32_t> bound_acc(nb);
  std::vector<double> bound(nb);
  cv::Mat im_bg = rgb.clone();
  im_bg.setTo(cv::Scalar::all(0), bg == 0);
  std::vector<std::int64_t> sum(static_cast<std::size_t>(h) * w * 3, 0);
  std::vector<double> counts(static_cast<std::size_t>(h) * w, kEps);
  // The exact search, pruned: a background patch whose lower bound (distance_bounds) exceeds the
  // best distance so far cannot be the nearest; the others get their exact distance. Starting
  // from the patch of the lowest bound, the nearest is the one of least distance, the first of
  // equals: the patch the full scan in order finds.
  for (std::size_t f = 0; f < nf; ++f) {
    std::copy_n(&fp.values[f * kLabDim], kLabDim, lab_q.data());
    group_sums(&fp.values[f * kLabDim], groups_q.data());
    const std::array<float, 2> q = position(nb + f);
    auto distance = [&](std::size_t i) {
      double d = static_cast<double>(lab_distance(lab_q.data(), &lab_bg[i * kLabStride]));
      const double t0 = double(q[0]) - double(pos_bg[i][0]), t1 = double(q[1]) - double(pos_bg[i][1]);
      d += t0 * t0;
      d += t1 * t1;
      return d;
    };
    distance_bounds(groups_q.data(), groups_bg.data(), nb, p0_bg.data(), p1_bg.data(), q[0], q[1], bound_acc.data(),
                    bound.data());
    const std::size_t start = static_cast<std::size_t>(std::min_element(bound.begin(), bound.end()) - bound.begin());
    std::size_t best = start;
    double best_d = distance(start);
    for (std::size_t i = 0; i < nb; ++i) {
      if (i == start || bound[i] > best_d) continue;
      const double d = distance(i);
      if (d < best_d || (d == best_d && i < best)) best_d = d, best = i;
    }
    const int fx = std::clamp(fp.at[f].y, 0, h - kPatch), fy = std::clamp(fp.at[f].x, 0, w - kPatch);
    const int cx = std::clamp(bp.at[best].y, 0, h - kPatch), cy = std::clamp(bp.at[best].x, 0, w - kPatch);
    for (int a = 0; a < kPatch; ++a)
      for (int b = 0; b < kPatch; ++b) {
        const cv::Vec3b& v = im_bg.at<cv::Vec3b>(cx + a, cy + b);
        const std::size_t o = static_cast<std::size_t>(fx + a) * w + (fy + b);
        for (int ch = 0; ch < 3; ++ch) sum[o * 3 + ch] += v[ch];
        counts[o] += 1;
      }
  }
  const double denom = std::exp(gamma) - 1;
  Rgb2LabCache recon_lab;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      // Outside the GT the degree is (exp(γ·similarity·0) − 1)/denom = 0 whatever the colours
      // (their difference is finite): only GT pixels are compared.
      if (fg01.at<std::uint8_t>(r, c) == 0) continue;
      const std::size_t o = static_cast<std::size_t>(r) * w + c;
      cv::Vec3b recon;
      for (int ch = 0; ch < 3; ++ch)
        recon[ch] = static_cast<std::uint8_t>(std::nearbyint(static_cast<double>(sum[o * 3 + ch]) / counts[o]));
      const double de = ciede2000(recon_lab(recon), skimage_rgb2lab(rgb.at<cv::Vec3b>(r, c)));
      const double similarity = 1 - std::clamp(de / 100, 0.0, 1.0);
      cd.at<double>(r, c) = (std::exp(gamma * similarity * 1.0) - 1) / denom;
    }
  return cd;
}

}  // namespace sodlab::metrics
