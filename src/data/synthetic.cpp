#include "data/synthetic.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/hash.h"
#include "data/random.h"

namespace sodlab::data {
namespace {

constexpr int kGeneratorVersion = 1;  // bump when the images change

cv::Vec3f random_colour(Rng& rng) {
  return {static_cast<float>(rng.uniform(0, 255)), static_cast<float>(rng.uniform(0, 255)),
          static_cast<float>(rng.uniform(0, 255))};
}

float colour_distance(const cv::Vec3f& a, const cv::Vec3f& b) {
  const cv::Vec3f d = a - b;
  return std::sqrt(d.dot(d));
}

// Outline of a random shape centred at (cx, cy) with typical radius r (pixels).
std::vector<cv::Point> random_shape(Rng& rng, double cx, double cy, double r) {
  const int type = rng.uniform_int(0, 2);  // 0 ellipse, 1 polygon, 2 blob
  std::vector<cv::Point> pts;
  if (type == 0) {
    const double a = r * rng.uniform(0.7, 1.3), b = r * rng.uniform(0.45, 1.0);
    const double phi = rng.uniform(0, M_PI);
    for (int k = 0; k < 72; ++k) {
      const double t = 2 * M_PI * k / 72;
      const double x = a * std::cos(t), y = b * std::sin(t);
      pts.emplace_back(cvRound(cx + x * std::cos(phi) - y * std::sin(phi)),
                       cvRound(cy + x * std::sin(phi) + y * std::cos(phi)));
    }
  } else if (type == 1) {
    const int m = rng.uniform_int(3, 9);
    const double t0 = rng.uniform(0, 2 * M_PI);
    for (int k = 0; k < m; ++k) {
      const double t = t0 + 2 * M_PI * (k + rng.uniform(-0.3, 0.3)) / m;
      const double rr = r * rng.uniform(0.6, 1.25);
      pts.emplace_back(cvRound(cx + rr * std::cos(t)), cvRound(cy + rr * std::sin(t)));
    }
  } else {
    double amp[3], ph[3];
    for (int k = 0; k < 3; ++k) amp[k] = rng.uniform(0, 0.22), ph[k] = rng.uniform(0, 2 * M_PI);
    for (int k = 0; k < 96; ++k) {
      const double t = 2 * M_PI * k / 96;
      double rr = 1;
      for (int j = 0; j < 3; ++j) rr += amp[j] * std::sin((j + 2) * t + ph[j]);
      pts.emplace_back(cvRound(cx + r * rr * std::cos(t)), cvRound(cy + r * rr * std::sin(t)));
    }
  }
  return pts;
}

// Smooth textured field: base colour, a second colour mixed in by a sum of oriented gratings.
cv::Mat textured_field(Rng& rng, int size, const cv::Vec3f& c0, const cv::Vec3f& c1, double noise) {
  cv::Mat f(size, size, CV_32FC3);
  double fx[3], fy[3], ph[3], w[3];
  for (int k = 0; k < 3; ++k) {
    const double freq = rng.uniform(1.0, 12.0) * 2 * M_PI / size, ang = rng.uniform(0, M_PI);
    fx[k] = freq * std::cos(ang), fy[k] = freq * std::sin(ang);
    ph[k] = rng.uniform(0, 2 * M_PI), w[k] = rng.uniform(0.2, 1.0);
  }
  const double wsum = w[0] + w[1] + w[2];
  for (int y = 0; y < size; ++y) {
    auto* row = f.ptr<cv::Vec3f>(y);
    for (int x = 0; x < size; ++x) {
      double t = 0;
      for (int k = 0; k < 3; ++k) t += w[k] * std::sin(fx[k] * x + fy[k] * y + ph[k]);
      t = 0.5 + 0.5 * t / wsum;
      cv::Vec3f p = c0 * static_cast<float>(1 - t) + c1 * static_cast<float>(t);
      for (int c = 0; c < 3; ++c) p[c] += static_cast<float>(noise * rng.normal());
      row[x] = p;
    }
  }
  return f;
}

}  // namespace

SyntheticDataset::SyntheticDataset(SyntheticSpec spec) : spec_(spec) {
  if (spec_.n < 1) throw InputError("synthetic dataset: n must be >= 1, got " + std::to_string(spec_.n));
  if (spec_.size < 16)
    throw InputError("synthetic dataset: size must be >= 16, got " + std::to_string(spec_.size));
}

std::string SyntheticDataset::stem(std::size_t index) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "synth_%06zu", index);
  return buf;
}

std::string SyntheticDataset::manifest_sha() const {
  return sha256_hex("synthetic v" + std::to_string(kGeneratorVersion) + " n=" +
                    std::to_string(spec_.n) + " size=" + std::to_string(spec_.size) +
                    " seed=" + std::to_string(spec_.seed));
}

Sample SyntheticDataset::get(std::size_t index) const {
  if (index >= size())
    throw InputError("synthetic dataset: index " + std::to_string(index) + " out of range (n = " +
                     std::to_string(spec_.n) + ")");
  Rng rng(derive_seed(spec_.seed, "synthetic", index));
  const int S = spec_.size;

  // Background: two related colours mixed by gratings, plus pixel noise.
  const cv::Vec3f bg0 = random_colour(rng);
  cv::Vec3f bg1 = bg0;
  for (int c = 0; c < 3; ++c)
    bg1[c] = static_cast<float>(std::clamp(bg0[c] + rng.uniform(-70, 70), 0.0, 255.0));
  cv::Mat img = textured_field(rng, S, bg0, bg1, rng.uniform(3, 12));
  const cv::Vec3f bg_mean = (bg0 + bg1) * 0.5f;

  // Distractors: smaller shapes in background-like colours, not part of the mask.
  const int n_distract = rng.uniform_int(3, 8);
  for (int k = 0; k < n_distract; ++k) {
    cv::Vec3f c = bg_mean;
    for (int j = 0; j < 3; ++j)
      c[j] = static_cast<float>(std::clamp(c[j] + rng.uniform(-60, 60), 0.0, 255.0));
    // One draw per statement: the order of a call's arguments is unspecified (GCC and clang differ),
    // and this order is the one GCC used when these were arguments, so the data stay as they were.
    const double radius = S * rng.uniform(0.03, 0.1);
    const double y = rng.uniform(0, S);
    const double x = rng.uniform(0, S);
    const auto pts = random_shape(rng, x, y, radius);
    cv::fillPoly(img, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(c[0], c[1], c[2]), cv::LINE_8);
  }

  // Salient objects: one (or two) larger shapes with a contrasting colour and their own texture.
  cv::Mat mask = cv::Mat::zeros(S, S, CV_8UC1);
  const int n_obj = rng.bernoulli(0.2) ? 2 : 1;
  for (int k = 0; k < n_obj; ++k) {
    cv::Vec3f c0 = random_colour(rng);
    for (int tries = 0; tries < 32 && colour_distance(c0, bg_mean) < 110; ++tries) c0 = random_colour(rng);
    cv::Vec3f c1 = c0;
    for (int j = 0; j < 3; ++j)
      c1[j] = static_cast<float>(std::clamp(c0[j] + rng.uniform(-35, 35), 0.0, 255.0));
    const double r = S * (n_obj == 1 ? rng.uniform(0.16, 0.3) : rng.uniform(0.1, 0.18));
    const double cx = rng.uniform(r * 0.8, S - r * 0.8), cy = rng.uniform(r * 0.8, S - r * 0.8);
    cv::Mat shape = cv::Mat::zeros(S, S, CV_8UC1);
    cv::fillPoly(shape, std::vector<std::vector<cv::Point>>{random_shape(rng, cx, cy, r)}, cv::Scalar(255),
                 cv::LINE_8);
    const cv::Mat tex = textured_field(rng, S, c0, c1, rng.uniform(2, 8));
    tex.copyTo(img, shape);
    mask |= shape;
  }
  if (cv::countNonZero(mask) == 0) {  // degenerate outline: fall back to a central disc
    cv::circle(mask, {S / 2, S / 2}, std::max(2, S / 6), cv::Scalar(255), cv::FILLED);
    img.setTo(cv::Scalar(255 - bg_mean[0], 255 - bg_mean[1], 255 - bg_mean[2]), mask);
  }

  // A global illumination gradient over the whole scene.
  const double gx = rng.uniform(-0.25, 0.25) / S, gy = rng.uniform(-0.25, 0.25) / S;
  for (int y = 0; y < S; ++y) {
    auto* row = img.ptr<cv::Vec3f>(y);
    for (int x = 0; x < S; ++x) row[x] *= static_cast<float>(1 + gx * (x - S / 2) + gy * (y - S / 2));
  }

  Sample s;
  s.stem = stem(index);
  img.convertTo(s.image, CV_8UC3);  // saturating
  s.mask = mask;
  return s;
}

}  // namespace sodlab::data
