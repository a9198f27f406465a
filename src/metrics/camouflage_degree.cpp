#include "metrics/camouflage_degree.h"

#include "metrics/nearest_patch.h"

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

constexpr int kPatch = kNearestPatchSide, kStride = 3, kLabDim = kNearestPatchValues;

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

  // Nearest background patch of each foreground patch (nearest_patch.h): Lab values and
  // λ·standardised position as float32 (PySODMetrics' astype).
  const std::size_t nb = bp.at.size(), nf = fp.at.size();
  std::vector<std::array<double, 2>> coords;
  for (const auto& p : bp.at) coords.push_back({double(p.y), double(p.x)});
  for (const auto& p : fp.at) coords.push_back({double(p.y), double(p.x)});
  standardise(coords);
  std::vector<std::array<float, 2>> positions(nb + nf);
  for (std::size_t i = 0; i < nb + nf; ++i)
    positions[i] = {static_cast<float>(lambda_spatial * coords[i][0]), static_cast<float>(lambda_spatial * coords[i][1])};
  NearestPatchSearch search(bp.values.data(), positions.data(), nb);
  cv::Mat im_bg = rgb.clone();
  im_bg.setTo(cv::Scalar::all(0), bg == 0);
  std::vector<std::int64_t> sum(static_cast<std::size_t>(h) * w * 3, 0);
  std::vector<double> counts(static_cast<std::size_t>(h) * w, kEps);
  std::size_t best = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    // Neighbouring foreground patches overlap: the previous one's nearest is a good first guess.
    best = search.nearest(&fp.values[f * kLabDim], positions[nb + f], best);
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
