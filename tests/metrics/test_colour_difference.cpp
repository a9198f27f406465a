// The colour difference of the camouflage degree: ciede2000 (fewer library calls) against the
// formula evaluated term by term (scikit-image's deltaE_ciede2000, written out below) on random
// Lab pairs, achromatic colours (a = b = 0), hue pairs either side of the 0/2π wrap and of π
// apart, and equal colours; ciede2000_pairs against ciede2000 (the same doubles); skimage_rgb2lab
// (cube roots by arithmetic) against the formula with std::cbrt.
#include <catch2/catch.hpp>

#include "metrics/colour_difference.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace sodlab::metrics;

namespace {

double hue_2pi(double y, double x) {
  const double t = std::atan2(y, x);
  return t < 0 ? t + 2 * M_PI : t;
}

// deltaE_ciede2000 of scikit-image 0.19, each operation as it writes it.
double ciede2000_reference(const cv::Vec3d& lab1, const cv::Vec3d& lab2) {
  const double L1 = lab1[0], a1 = lab1[1], b1 = lab1[2], L2 = lab2[0], a2 = lab2[1], b2 = lab2[2];
  double Cbar = 0.5 * (std::hypot(a1, b1) + std::hypot(a2, b2));
  double c7 = std::pow(Cbar, 7);
  const double G = 0.5 * (1 - std::sqrt(c7 / (c7 + std::pow(25.0, 7))));
  const double scale = 1 + G;
  const double C1 = std::hypot(a1 * scale, b1), h1 = hue_2pi(b1, a1 * scale);
  const double C2 = std::hypot(a2 * scale, b2), h2 = hue_2pi(b2, a2 * scale);
  const double Lbar = 0.5 * (L1 + L2), tmp = (Lbar - 50) * (Lbar - 50);
  const double L_term = (L2 - L1) / (1 + 0.015 * tmp / std::sqrt(20 + tmp));
  Cbar = 0.5 * (C1 + C2);
  const double C_term = (C2 - C1) / (1 + 0.045 * Cbar);
  const double h_diff = h2 - h1, h_sum = h1 + h2, CC = C1 * C2;
  double dH = h_diff;
  if (h_diff > M_PI) dH -= 2 * M_PI;
  if (h_diff < -M_PI) dH += 2 * M_PI;
  if (CC == 0.) dH = 0.;
  const double dH_term = 2 * std::sqrt(CC) * std::sin(dH / 2);
  double Hbar = h_sum;
  const bool wrap = CC != 0. && std::fabs(h_diff) > M_PI;
  if (wrap && h_sum < 2 * M_PI) Hbar += 2 * M_PI;
  if (wrap && h_sum >= 2 * M_PI) Hbar -= 2 * M_PI;
  if (CC == 0.) Hbar *= 2;
  Hbar *= 0.5;
  const double deg = M_PI / 180;
  const double T = 1 - 0.17 * std::cos(Hbar - 30 * deg) + 0.24 * std::cos(2 * Hbar) +
                   0.32 * std::cos(3 * Hbar + 6 * deg) - 0.20 * std::cos(4 * Hbar - 63 * deg);
  const double H_term = dH_term / (1 + 0.015 * Cbar * T);
  c7 = std::pow(Cbar, 7);
  const double Rc = 2 * std::sqrt(c7 / (c7 + std::pow(25.0, 7)));
  const double e = (Hbar * (180.0 / M_PI) - 275) / 25;
  const double dtheta = 30 * deg * std::exp(-(e * e));
  const double R_term = -std::sin(2 * dtheta) * Rc * C_term * H_term;
  const double dE2 = L_term * L_term + C_term * C_term + H_term * H_term + R_term;
  return std::sqrt(std::max(dE2, 0.0));
}

void check_pair(const cv::Vec3d& x, const cv::Vec3d& y) {
  const double want = ciede2000_reference(x, y);
  INFO(x << " " << y);
  CHECK(std::fabs(ciede2000(x, y) - want) <= 1e-12 * std::max(want, 1.0));
  CHECK(std::fabs(ciede2000(y, x) - ciede2000_reference(y, x)) <= 1e-12 * std::max(want, 1.0));
}

}  // namespace

TEST_CASE("ciede2000 equals the term-by-term formula to 1e-12", "[metrics][ccm]") {
  std::mt19937_64 rng(20261207);
  std::uniform_real_distribution<double> L(0, 100), ab(-128, 127), small(-1e-3, 1e-3), angle(0, 2 * M_PI);
  for (int k = 0; k < 200000; ++k) check_pair({L(rng), ab(rng), ab(rng)}, {L(rng), ab(rng), ab(rng)});
  for (int k = 0; k < 20000; ++k) {
    const cv::Vec3d grey{L(rng), 0, 0}, colour{L(rng), ab(rng), ab(rng)};
    check_pair(grey, colour);
    check_pair(grey, {L(rng), 0, 0});
    check_pair(colour, colour);
    check_pair({L(rng), small(rng), small(rng)}, colour);  // nearly achromatic
    // Hues either side of the wrap (h near 0 and near 2π) and about π apart, either way round.
    const double r1 = std::fabs(ab(rng)) + 1, r2 = std::fabs(ab(rng)) + 1, t = angle(rng), u = small(rng);
    check_pair({L(rng), r1 * std::cos(u), r1 * std::sin(u)}, {L(rng), r2 * std::cos(-u / 2), r2 * std::sin(-u / 2)});
    check_pair({L(rng), r1 * std::cos(t), r1 * std::sin(t)}, {L(rng), r2 * std::cos(t + M_PI + u), r2 * std::sin(t + M_PI + u)});
  }
  // The colours of 8-bit pixels, as the camouflage degree compares them.
  std::uniform_int_distribution<int> byte(0, 255);
  for (int k = 0; k < 100000; ++k) {
    const cv::Vec3b p(byte(rng), byte(rng), byte(rng)), q(byte(rng), byte(rng), byte(rng));
    check_pair(skimage_rgb2lab(p), skimage_rgb2lab(q));
  }
}

TEST_CASE("ciede2000_pairs gives ciede2000's doubles, pair by pair", "[metrics][ccm]") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> L(0, 100), ab(-128, 127);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(5), std::size_t(64), std::size_t(1000)}) {
    std::vector<cv::Vec3d> x(n), y(n);
    for (std::size_t k = 0; k < n; ++k) {
      x[k] = k % 7 == 0 ? cv::Vec3d(L(rng), 0, 0) : cv::Vec3d(L(rng), ab(rng), ab(rng));  // some achromatic
      y[k] = k % 5 == 0 ? skimage_rgb2lab(cv::Vec3b(byte(rng), byte(rng), byte(rng))) : cv::Vec3d(L(rng), ab(rng), ab(rng));
      if (k % 11 == 0) y[k] = x[k];
    }
    std::vector<double> out(n + 1, -1.0);
    ciede2000_pairs(x.data(), y.data(), n, out.data());
    for (std::size_t k = 0; k < n; ++k) REQUIRE(out[k] == ciede2000(x[k], y[k]));
    CHECK(out[n] == -1.0);  // nothing written past n
  }
}

namespace {

// scikit-image 0.19's rgb2lab written out with std::pow and std::cbrt.
cv::Vec3d rgb2lab_reference(const cv::Vec3b& rgb) {
  auto linear = [](int v) {
    const double x = v * (1.0 / 255);
    return x > 0.04045 ? std::pow((x + 0.055) / 1.055, 2.4) : x / 12.92;
  };
  auto f = [](double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16. / 116.; };
  const double r = linear(rgb[0]), g = linear(rgb[1]), b = linear(rgb[2]);
  const double fx = f((r * 0.412453 + g * 0.357580 + b * 0.180423) / 0.95047);
  const double fy = f((r * 0.212671 + g * 0.715160 + b * 0.072169) / 1.0);
  const double fz = f((r * 0.019334 + g * 0.119193 + b * 0.950227) / 1.08883);
  return {116. * fy - 16., 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

}  // namespace

TEST_CASE("skimage_rgb2lab is within 1e-12 of the formula with std::cbrt, and the same doubles in bulk",
          "[metrics][ccm]") {
  // Every 61st of the 2^24 colours, all greys and the primaries' ramps, in bulk and one by one.
  std::vector<cv::Vec3b> colours;
  for (std::uint32_t c = 0; c < (1u << 24); c += 61) colours.emplace_back(c >> 16, (c >> 8) & 255, c & 255);
  for (int v = 0; v < 256; ++v) colours.emplace_back(v, v, v), colours.emplace_back(v, 0, 0), colours.emplace_back(0, 0, v);
  std::vector<cv::Vec3d> bulk(colours.size());
  skimage_rgb2lab_pixels(colours.data(), colours.size(), bulk.data());
  double worst = 0;
  std::size_t bulk_differs = 0;
  for (std::size_t k = 0; k < colours.size(); ++k) {
    const cv::Vec3d one = skimage_rgb2lab(colours[k]), want = rgb2lab_reference(colours[k]);
    bulk_differs += one != bulk[k];
    for (int i = 0; i < 3; ++i) worst = std::max(worst, std::fabs(one[i] - want[i]));
  }
  CHECK(bulk_differs == 0);
  INFO("largest difference " << worst);
  CHECK(worst <= 1e-12);  // 3 ulp of the cube roots, times at most 500
}
