#include "metrics/camouflage_degree.h"

#include "metrics/colour_difference.h"
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
  std::vector<int> prefix(static_cast<std::size_t>(cols) + 1);  // set pixels before index
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* g = gt.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) prefix[c + 1] = prefix[c] + (g[c] != 0);
    std::uint8_t* o = horizontal.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) o[c] = prefix[std::min(cols - 1, c + 9) + 1] - prefix[std::max(0, c - 10)] > 0;
  }
  // Vertically, row by row: window[c] = the horizontal marks of column c in rows r − 10..r + 9.
  std::vector<int> window(static_cast<std::size_t>(cols), 0);
  auto add_row = [&](int r, int sign) {
    const std::uint8_t* h = horizontal.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) window[c] += sign * h[c];
  };
  for (int r = 0; r < std::min(rows, 9); ++r) add_row(r, 1);
  for (int r = 0; r < rows; ++r) {
    if (r + 9 < rows) add_row(r + 9, 1);
    if (r - 11 >= 0) add_row(r - 11, -1);
    const std::uint8_t* g = gt.ptr<std::uint8_t>(r);
    std::uint8_t* o = out.ptr<std::uint8_t>(r);
    for (int c = 0; c < cols; ++c) o[c] = window[c] > 0 && !g[c] ? 1 : 0;
  }
  return out;
}

struct Patches {
  std::vector<cv::Point> at;         // (x = column, y = row) of each patch's top-left corner
  std::vector<std::uint8_t> values;  // kPatch·kPatch·3 per patch, row-major, channels last
};

// PySODMetrics' _extract_patches: windows every kStride pixels from the top-left corner, kept where
// the mask covers all of them, row by row. (PySODMetrics pads the image at the bottom and right by
// reflection to fit the stride; the padding is outside the mask, so no kept window reaches it.)
// lab: the image's values within `region`, which holds every pixel of the mask.
Patches extract_patches(const cv::Mat& lab, const cv::Rect& region, const cv::Mat& mask) {
  // run[r·width + c]: the mask pixels from (r, c) rightwards, up to kPatch (region coordinates).
  std::vector<std::uint8_t> run(static_cast<std::size_t>(region.area()));
  for (int r = 0; r < region.height; ++r) {
    const std::uint8_t* m = mask.ptr<std::uint8_t>(region.y + r) + region.x;
    std::uint8_t* out = &run[static_cast<std::size_t>(r) * region.width];
    for (int c = region.width - 1, after = 0; c >= 0; --c) out[c] = static_cast<std::uint8_t>(after = m[c] ? std::min(after + 1, kPatch) : 0);
  }
  auto first_window = [](int start) { return (start + kStride - 1) / kStride * kStride; };
  Patches out;
  for (int i = first_window(region.y); i + kPatch <= region.br().y; i += kStride)
    for (int j = first_window(region.x); j + kPatch <= region.br().x; j += kStride) {
      const int r0 = i - region.y, c0 = j - region.x;
      bool valid = true;
      for (int a = 0; a < kPatch && valid; ++a) valid = run[static_cast<std::size_t>(r0 + a) * region.width + c0] == kPatch;
      if (!valid) continue;
      out.at.push_back({j, i});
      for (int a = 0; a < kPatch; ++a) {
        const std::uint8_t* v = lab.ptr<std::uint8_t>(r0 + a) + 3 * c0;
        out.values.insert(out.values.end(), v, v + 3 * kPatch);
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
  cv::Mat fg01 = gt != 0;
  fg01 /= 255;
  const cv::Mat bg = surrounding_background(fg01);
  // Everything but the output lies within the GT dilated (fg and bg), the reconstruction within the GT.
  const cv::Rect region = cv::boundingRect(fg01 | bg), fg_box = cv::boundingRect(fg01);
  cv::Mat lab;
  cv::cvtColor(rgb(region), lab, cv::COLOR_RGB2Lab);
  const Patches fp = extract_patches(lab, region, fg01), bp = extract_patches(lab, region, bg);
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
  // The reconstruction: each foreground patch's pixels get the RGB values of its match (inside
  // the background, so the photograph's own), averaged where patches overlap; over fg_box.
  const std::size_t box_pixels = static_cast<std::size_t>(fg_box.area());
  std::vector<std::int32_t> sum(box_pixels * 3, 0);
  std::vector<double> counts(box_pixels, kEps);
  auto box_offset = [&](int r, int c) { return static_cast<std::size_t>(r - fg_box.y) * fg_box.width + (c - fg_box.x); };
  // Neighbouring foreground patches overlap: the nearest of the previous one (on its left, as a
  // rule) and of the last one in the same column (above) are good first guesses.
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> column_answer(static_cast<std::size_t>(w / kStride) + 1, kNone);
  std::size_t best = kNone;
  for (std::size_t f = 0; f < nf; ++f) {
    std::size_t& above = column_answer[static_cast<std::size_t>(fp.at[f].x / kStride)];
    best = search.nearest(&fp.values[f * kLabDim], positions[nb + f], {best, above});
    above = best;
    for (int a = 0; a < kPatch; ++a) {
      const cv::Vec3b* v = rgb.ptr<cv::Vec3b>(bp.at[best].y + a) + bp.at[best].x;
      const std::size_t o = box_offset(fp.at[f].y + a, fp.at[f].x);
      for (int b = 0; b < kPatch; ++b) {
        for (int ch = 0; ch < 3; ++ch) sum[(o + b) * 3 + ch] += v[b][ch];
        counts[o + b] += 1;
      }
    }
  }
  const double denom = std::exp(gamma) - 1;
  std::vector<cv::Vec3b> recons, originals;  // one row's GT pixels
  std::vector<cv::Vec3d> recon_labs, original_labs;
  std::vector<int> columns;
  std::vector<double> differences;
  for (int r = fg_box.y; r < fg_box.br().y; ++r) {
    // Outside the GT the degree is (exp(γ·similarity·0) − 1)/denom = 0 whatever the colours
    // (their difference is finite): only GT pixels are compared.
    recons.clear(), originals.clear(), columns.clear();
    for (int c = fg_box.x; c < fg_box.br().x; ++c) {
      if (fg01.at<std::uint8_t>(r, c) == 0) continue;
      const std::size_t o = box_offset(r, c);
      cv::Vec3b recon;
      for (int ch = 0; ch < 3; ++ch)
        recon[ch] = static_cast<std::uint8_t>(std::nearbyint(static_cast<double>(sum[o * 3 + ch]) / counts[o]));
      recons.push_back(recon), originals.push_back(rgb.at<cv::Vec3b>(r, c)), columns.push_back(c);
    }
    const std::size_t n = columns.size();
    recon_labs.resize(n), original_labs.resize(n), differences.resize(n);
    skimage_rgb2lab_pixels(recons.data(), n, recon_labs.data());
    skimage_rgb2lab_pixels(originals.data(), n, original_labs.data());
    ciede2000_pairs(recon_labs.data(), original_labs.data(), n, differences.data());
    for (std::size_t k = 0; k < n; ++k) {
      const double similarity = 1 - std::clamp(differences[k] / 100, 0.0, 1.0);
      cd.at<double>(r, columns[k]) = (std::exp(gamma * similarity * 1.0) - 1) / denom;
    }
  }
  return cd;
}

}  // namespace sodlab::metrics
