#include "metrics/colour_difference.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace sodlab::metrics {
namespace {

double srgb_linear(double v) { return v > 0.04045 ? std::pow((v + 0.055) / 1.055, 2.4) : v / 12.92; }
// The cube root of x in [0.008856, 1.1] (rgb2lab's range) by arithmetic only, so that it
// vectorises: x scaled by 8 or 64 into [1/8, 1.1] (exact), a linear first guess (within 13 %),
// three Halley steps (cubic convergence: 0.13 → 1e-3 → 1e-9 → rounding) and a Newton step, the
// root scaled back (exact). Within 3 ulp of std::cbrt (test_colour_difference.cpp).
double cube_root(double x) {
  const double scale_in = x < 1.0 / 64 ? 64 : x < 1.0 / 8 ? 8 : 1, scale_out = x < 1.0 / 64 ? 0.25 : x < 1.0 / 8 ? 0.5 : 1;
  const double z = x * scale_in;
  double y = 0.4 + 0.6 * z;
  for (int step = 0; step < 3; ++step) {
    const double y3 = y * y * y;
    y = y * (y3 + 2 * z) / (2 * y3 + z);
  }
  y -= (y * y * y - z) / (3 * (y * y));
  return y * scale_out;
}
double lab_f(double t) { return t > 0.008856 ? cube_root(t) : 7.787 * t + 16. / 116.; }
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

}  // namespace

namespace {

// srgb_linear of each 8-bit value (the same expression, so the same doubles), computed on first use.
const std::array<double, 256>& linear_table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int v = 0; v < 256; ++v) t[v] = srgb_linear(v * (1.0 / 255));
    return t;
  }();
  return table;
}

// out[k] = rgb2lab of rgb[k], linear: linear_table().
__attribute__((target_clones("avx512f", "avx2", "default"))) void rgb2lab_stage(const double* __restrict linear,
                                                                               const cv::Vec3b* __restrict rgb,
                                                                               std::size_t n,
                                                                               cv::Vec3d* __restrict out) {
  for (std::size_t k = 0; k < n; ++k) {
    const double r = linear[rgb[k][0]], g = linear[rgb[k][1]], b = linear[rgb[k][2]];
    const double x = (r * 0.412453 + g * 0.357580 + b * 0.180423) / 0.95047;
    const double y = (r * 0.212671 + g * 0.715160 + b * 0.072169) / 1.0;
    const double z = (r * 0.019334 + g * 0.119193 + b * 0.950227) / 1.08883;
    const double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    out[k] = {116. * fy - 16., 500.0 * (fx - fy), 200.0 * (fy - fz)};
  }
}

}  // namespace

void skimage_rgb2lab_pixels(const cv::Vec3b* rgb, std::size_t n, cv::Vec3d* out) {
  rgb2lab_stage(linear_table().data(), rgb, n, out);
}

cv::Vec3d skimage_rgb2lab(const cv::Vec3b& rgb) {
  cv::Vec3d out;
  skimage_rgb2lab_pixels(&rgb, 1, &out);
  return out;
}

namespace {

const double kDeg = M_PI / 180;
const double kCos30 = std::cos(30 * kDeg), kSin30 = std::sin(30 * kDeg), kCos6 = std::cos(6 * kDeg),
             kSin6 = std::sin(6 * kDeg), kCos63 = std::cos(63 * kDeg), kSin63 = std::sin(63 * kDeg);

// What ciede2000 keeps of a pair between its stages, for kPairBlock pairs side by side.
constexpr std::size_t kPairBlock = 64;
struct PairBlock {
  double L_term[kPairBlock], C_term[kPairBlock], Cbar[kPairBlock], dH_term[kPairBlock];
  double cos_H[kPairBlock], sin_H[kPairBlock];  // the mean hue's direction
  double H[kPairBlock];                         // the mean hue's angle, in [0, 2π)
  double minus_e2[kPairBlock];                  // −((H in degrees − 275)/25)²
  double H_term[kPairBlock], Rc[kPairBlock];
  double rotation[kPairBlock];                  // sin(2Δθ)
};

// Up to the mean hue's direction (arithmetic only). An achromatic pair (C1·C2 = 0) has ΔH' = 0, so
// its hue and rotation terms vanish whatever the mean hue: dH_term 0 and any direction (1, 0).
__attribute__((target_clones("avx512f", "avx2", "default"))) void chroma_and_hue_stage(
    const cv::Vec3d* __restrict lab1, const cv::Vec3d* __restrict lab2, std::size_t n, PairBlock& __restrict p) {
  for (std::size_t k = 0; k < n; ++k) {
    const double L1 = lab1[k][0], a1 = lab1[k][1], b1 = lab1[k][2], L2 = lab2[k][0], a2 = lab2[k][1], b2 = lab2[k][2];
    // Lab values are bounded (|a|, |b| < 200): a·a + b·b cannot overflow, so no hypot.
    const double scale = 1 + 0.5 * (1 - chroma_weight(0.5 * (std::sqrt(a1 * a1 + b1 * b1) + std::sqrt(a2 * a2 + b2 * b2))));
    const double a1s = a1 * scale, a2s = a2 * scale;
    const double C1 = std::sqrt(a1s * a1s + b1 * b1), C2 = std::sqrt(a2s * a2s + b2 * b2);
    const double Lbar = 0.5 * (L1 + L2), tmp = (Lbar - 50) * (Lbar - 50);
    const double SL = 1 + 0.015 * tmp / std::sqrt(20 + tmp);
    p.L_term[k] = (L2 - L1) / SL;
    const double Cbar = 0.5 * (C1 + C2);
    p.Cbar[k] = Cbar;
    p.C_term[k] = (C2 - C1) / (1 + 0.045 * Cbar);
    const double CC = C1 * C2;
    const bool chromatic = CC != 0.;
    // The hue difference ΔH' (h2 − h1 taken into [−π, π]) from the two (a', b') directions: its
    // cosine and sine, then its half angle's (each from the stable side of the half-angle formulas).
    const double cos_dH = (a1s * a2s + b1 * b2) / CC, sin_dH = (a1s * b2 - b1 * a2s) / CC;
    const double cos_half_direct = std::sqrt(0.5 * (1 + cos_dH)), sin_half_direct = sin_dH / (2 * cos_half_direct);
    const double sin_half_wide = std::copysign(std::sqrt(0.5 * (1 - cos_dH)), sin_dH),
                 cos_half_wide = sin_dH / (2 * sin_half_wide);
    const double cos_half = cos_dH >= 0 ? cos_half_direct : cos_half_wide;
    const double sin_half = cos_dH >= 0 ? sin_half_direct : sin_half_wide;
    p.dH_term[k] = chromatic ? 2 * std::sqrt(CC) * sin_half : 0.0;
    // The mean hue H' = h1 + ΔH'/2 (scikit-image's hue mean with its ±2π rules): h1's direction
    // rotated by ΔH'/2.
    const double u = a1s / C1, v = b1 / C1;
    p.cos_H[k] = chromatic ? u * cos_half - v * sin_half : 1.0;
    p.sin_H[k] = chromatic ? v * cos_half + u * sin_half : 0.0;
  }
}

// T = 1 − 0.17 cos(H − 30°) + 0.24 cos 2H + 0.32 cos(3H + 6°) − 0.20 cos(4H − 63°), the multiple
// angles from c1 = cos H and s1 = sin H (c_k, s_k: cos kH, sin kH), the shifts by the angle-sum
// formula; then the hue term, the rotation's weight and exponent (arithmetic only).
__attribute__((target_clones("avx512f", "avx2", "default"))) void hue_weight_stage(std::size_t n, PairBlock& p) {
  for (std::size_t k = 0; k < n; ++k) {
    const double c1 = p.cos_H[k], s1 = p.sin_H[k];
    const double c2 = (c1 - s1) * (c1 + s1), s2 = 2 * s1 * c1;
    const double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
    const double c4 = (c2 - s2) * (c2 + s2), s4 = 2 * s2 * c2;
    const double T = 1 - 0.17 * (c1 * kCos30 + s1 * kSin30) + 0.24 * c2 + 0.32 * (c3 * kCos6 - s3 * kSin6) -
                     0.20 * (c4 * kCos63 + s4 * kSin63);
    p.H_term[k] = p.dH_term[k] / (1 + 0.015 * p.Cbar[k] * T);
    p.Rc[k] = 2 * chroma_weight(p.Cbar[k]);
    const double e = (p.H[k] * (180.0 / M_PI) - 275) / 25;  // np.rad2deg
    p.minus_e2[k] = -(e * e);
  }
}

// ΔE from the terms (arithmetic only).
__attribute__((target_clones("avx512f", "avx2", "default"))) void sum_stage(std::size_t n, const PairBlock& p,
                                                                          double* __restrict out) {
  for (std::size_t k = 0; k < n; ++k) {
    const double R_term = -p.rotation[k] * p.Rc[k] * p.C_term[k] * p.H_term[k];
    double dE2 = p.L_term[k] * p.L_term[k];
    dE2 += p.C_term[k] * p.C_term[k];
    dE2 += p.H_term[k] * p.H_term[k];
    dE2 += R_term;
    out[k] = std::sqrt(std::max(dE2, 0.0));
  }
}

}  // namespace

// The arithmetic stages run over a block of pairs side by side (vectorised), the library calls
// (atan2, exp, sin) between them pair by pair: each pair's operations are the same as alone.
void ciede2000_pairs(const cv::Vec3d* lab1, const cv::Vec3d* lab2, std::size_t n, double* out) {
  PairBlock p;
  for (std::size_t start = 0; start < n; start += kPairBlock) {
    const std::size_t m = std::min(kPairBlock, n - start);
    chroma_and_hue_stage(lab1 + start, lab2 + start, m, p);
    for (std::size_t k = 0; k < m; ++k) p.H[k] = hue_2pi(p.sin_H[k], p.cos_H[k]);
    hue_weight_stage(m, p);
    for (std::size_t k = 0; k < m; ++k) p.rotation[k] = std::sin(2 * (30 * kDeg * std::exp(p.minus_e2[k])));
    sum_stage(m, p, out + start);
  }
}

double ciede2000(const cv::Vec3d& lab1, const cv::Vec3d& lab2) {
  double out;
  ciede2000_pairs(&lab1, &lab2, 1, &out);
  return out;
}

}  // namespace sodlab::metrics
