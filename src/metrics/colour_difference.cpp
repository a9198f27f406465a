#include "metrics/colour_difference.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace sodlab::metrics {
namespace {

double srgb_linear(double v) { return v > 0.04045 ? std::pow((v + 0.055) / 1.055, 2.4) : v / 12.92; }
double lab_f(double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16. / 116.; }
double hue_2pi(double y, double x) {
  const double t = std::atan2(y, x);
  return t < 0 ? t + 2 * M_PI : t;
}
double pow7(double x) {
  const double x2 = x * x, x4 = x2 * x2;
  return x4 * x2 * x;
}
// sqrt(c⁷/(c⁷ + 25⁷)), CIEDE2000's chroma weight (25⁷ = 6103515625 exactly).
double chroma_weight(double c) {
  const double c7 = pow7(c);
  return std::sqrt(c7 / (c7 + 6103515625.0));
}

constexpr std::size_t kCacheSize = 1 << 12;

}  // namespace

cv::Vec3d skimage_rgb2lab(const cv::Vec3b& rgb) {
  // srgb_linear of each 8-bit value, computed once (the same expression, so the same doubles).
  static const std::array<double, 256> linear = [] {
    std::array<double, 256> t{};
    for (int v = 0; v < 256; ++v) t[v] = srgb_linear(v * (1.0 / 255));
    return t;
  }();
  const double r = linear[rgb[0]], g = linear[rgb[1]], b = linear[rgb[2]];
  const double x = (r * 0.412453 + g * 0.357580 + b * 0.180423) / 0.95047;
  const double y = (r * 0.212671 + g * 0.715160 + b * 0.072169) / 1.0;
  const double z = (r * 0.019334 + g * 0.119193 + b * 0.950227) / 1.08883;
  const double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
  return {116. * fy - 16., 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

double ciede2000(const cv::Vec3d& lab1, const cv::Vec3d& lab2) {
  const double L1 = lab1[0], a1 = lab1[1], b1 = lab1[2], L2 = lab2[0], a2 = lab2[1], b2 = lab2[2];
  // Lab values are bounded (|a|, |b| < 200): a·a + b·b cannot overflow, so no hypot.
  const double scale = 1 + 0.5 * (1 - chroma_weight(0.5 * (std::sqrt(a1 * a1 + b1 * b1) + std::sqrt(a2 * a2 + b2 * b2))));
  const double a1s = a1 * scale, a2s = a2 * scale;
  const double C1 = std::sqrt(a1s * a1s + b1 * b1), C2 = std::sqrt(a2s * a2s + b2 * b2);
  const double Lbar = 0.5 * (L1 + L2), tmp = (Lbar - 50) * (Lbar - 50);
  const double SL = 1 + 0.015 * tmp / std::sqrt(20 + tmp);
  const double L_term = (L2 - L1) / SL;
  const double Cbar = 0.5 * (C1 + C2);
  const double SC = 1 + 0.045 * Cbar;
  const double C_term = (C2 - C1) / SC;
  const double CC = C1 * C2;
  // Either colour achromatic: ΔH' = 0, so the hue and rotation terms vanish whatever the mean hue.
  if (CC == 0.) return std::sqrt(std::max(L_term * L_term + C_term * C_term, 0.0));
  // The hue difference ΔH' (h2 − h1 taken into [−π, π]) from the two (a', b') directions: its
  // cosine and sine, then its half angle's (each from the stable side of the half-angle formulas).
  const double cos_dH = (a1s * a2s + b1 * b2) / CC, sin_dH = (a1s * b2 - b1 * a2s) / CC;
  double cos_half, sin_half;
  if (cos_dH >= 0) {
    cos_half = std::sqrt(0.5 * (1 + cos_dH)), sin_half = sin_dH / (2 * cos_half);
  } else {
    sin_half = std::copysign(std::sqrt(0.5 * (1 - cos_dH)), sin_dH), cos_half = sin_dH / (2 * sin_half);
  }
  const double dH_term = 2 * std::sqrt(CC) * sin_half;
  // The mean hue H' = h1 + ΔH'/2 (scikit-image's hue mean with its ±2π rules), as a direction
  // (h1's rotated by ΔH'/2) and as an angle in [0, 2π).
  const double c1 = (a1s / C1) * cos_half - (b1 / C1) * sin_half, s1 = (b1 / C1) * cos_half + (a1s / C1) * sin_half;
  const double Hbar = hue_2pi(s1, c1);
  // T = 1 − 0.17 cos(H − 30°) + 0.24 cos 2H + 0.32 cos(3H + 6°) − 0.20 cos(4H − 63°), the multiple
  // angles from c1 = cos H and s1 = sin H (c_k, s_k: cos kH, sin kH), the shifts by the angle-sum formula.
  const double deg = M_PI / 180;
  const double c2 = (c1 - s1) * (c1 + s1), s2 = 2 * s1 * c1;
  const double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
  const double c4 = (c2 - s2) * (c2 + s2), s4 = 2 * s2 * c2;
  static const double cos30 = std::cos(30 * deg), sin30 = std::sin(30 * deg), cos6 = std::cos(6 * deg),
                      sin6 = std::sin(6 * deg), cos63 = std::cos(63 * deg), sin63 = std::sin(63 * deg);
  const double T = 1 - 0.17 * (c1 * cos30 + s1 * sin30) + 0.24 * c2 + 0.32 * (c3 * cos6 - s3 * sin6) -
                   0.20 * (c4 * cos63 + s4 * sin63);
  const double SH = 1 + 0.015 * Cbar * T;
  const double H_term = dH_term / SH;
  const double Rc = 2 * chroma_weight(Cbar);
  const double e = (Hbar * (180.0 / M_PI) - 275) / 25;  // np.rad2deg
  const double dtheta = 30 * deg * std::exp(-(e * e));
  const double R_term = -std::sin(2 * dtheta) * Rc * C_term * H_term;
  double dE2 = L_term * L_term;
  dE2 += C_term * C_term;
  dE2 += H_term * H_term;
  dE2 += R_term;
  return std::sqrt(std::max(dE2, 0.0));
}

Rgb2LabCache::Rgb2LabCache() : entries_(kCacheSize, Entry{0, {}}) {}

cv::Vec3d Rgb2LabCache::operator()(const cv::Vec3b& rgb) {
  const std::uint32_t colour = (std::uint32_t(rgb[0]) << 16) | (std::uint32_t(rgb[1]) << 8) | rgb[2];
  Entry& entry = entries_[((colour * 2654435761u) >> 20) & (kCacheSize - 1)];  // Fibonacci hashing
  if (entry.key != colour + 1) entry = {colour + 1, skimage_rgb2lab(rgb)};
  return entry.lab;
}

}  // namespace sodlab::metrics
