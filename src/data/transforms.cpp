#include "data/transforms.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace sodlab::data {

Sample resize_sample(const Sample& s, int width, int height) {
  if (width < 1 || height < 1)
    throw InputError("resize: size must be positive, got " + std::to_string(width) + "x" +
                     std::to_string(height));
  Sample out;
  out.stem = s.stem;
  if (s.image.cols == width && s.image.rows == height) {
    out.image = s.image.clone();
    out.mask = s.mask.clone();
    return out;
  }
  cv::resize(s.image, out.image, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  cv::Mat m;
  cv::resize(s.mask, m, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  cv::threshold(m, out.mask, 127, 255, cv::THRESH_BINARY);
  return out;
}

const NameRegistry<AugmentationEntry>& augmentation_registry() {
  static const NameRegistry<AugmentationEntry> registry(
      "augmentation",
      {
          {"none", "resize only", [](Options&, AugmentSpec&) {}},
          {"menet", "MEnet: random 90-100 % crop, bilinear resize, horizontal flip",
           [](Options& o, AugmentSpec& a) {
             a.crop_min_percent = static_cast<int>(o.get_int("crop_min_percent", a.crop_min_percent, 1, 100));
             a.crop_max_percent = static_cast<int>(
                 o.get_int("crop_max_percent", a.crop_max_percent, a.crop_min_percent, 100));
             a.p_hflip = o.get_double("p_hflip", a.p_hflip, 0, 1);
           }},
          {"szn", "Kolkin/FlowNet: flips, noise, contrast, colour shifts in a random order",
           [](Options& o, AugmentSpec& a) {
             a.p_hflip = o.get_double("p_hflip", a.p_hflip, 0, 1);
             a.p_vflip = o.get_double("p_vflip", a.p_vflip, 0, 1);
             a.p_apply = o.get_double("p_apply", a.p_apply, 0, 1);
             a.permute = o.get_bool("permute", a.permute);
             a.noise_max = o.get_double("noise_max", a.noise_max, 0, 1);
             a.contrast_min = o.get_double("contrast_min", a.contrast_min, -1, 10);
             a.contrast_max = o.get_double("contrast_max", a.contrast_max, a.contrast_min, 10);
             a.color_min = o.get_double("color_min", a.color_min, 0, 10);
             a.color_max = o.get_double("color_max", a.color_max, a.color_min, 10);
           }},
      });
  return registry;
}

AugmentSpec read_augment_spec(const std::string& kind, Options& o) {
  AugmentSpec a;
  const AugmentationEntry& entry = augmentation_registry().at(kind);
  a.kind = entry.name;
  if (o.context() == "options") o.set_context("augmentation '" + kind + "'");
  entry.read(o, a);
  o.reject_unknown();
  return a;
}

namespace {

void flip_sample(Sample& s, int code) {
  cv::flip(s.image, s.image, code);
  cv::flip(s.mask, s.mask, code);
}

Sample szn_augment(const Sample& in, const AugmentSpec& a, Rng& rng, int width, int height) {
  Sample s = resize_sample(in, width, height);
  if (rng.bernoulli(a.p_hflip)) flip_sample(s, 1);
  if (rng.bernoulli(a.p_vflip)) flip_sample(s, 0);
  std::array<int, 3> ops{0, 1, 2};  // 0 noise, 1 contrast, 2 colour
  if (a.permute)
    for (int i = 2; i > 0; --i) std::swap(ops[i], ops[rng.uniform_int(0, i)]);
  cv::Mat f;
  s.image.convertTo(f, CV_32FC3);
  for (int op : ops) {
    if (!rng.bernoulli(a.p_apply)) continue;
    if (op == 0) {
      const double sigma = rng.uniform(0, a.noise_max) * 255.0;
      for (int y = 0; y < f.rows; ++y) {
        float* p = f.ptr<float>(y);
        for (int x = 0; x < f.cols * 3; ++x) p[x] += static_cast<float>(sigma * rng.normal());
      }
    } else if (op == 1) {
      const double c = rng.uniform(a.contrast_min, a.contrast_max);
      const cv::Scalar m = cv::mean(f);
      const double mean = (m[0] + m[1] + m[2]) / 3.0;
      f = (f - cv::Scalar::all(mean)) * (1.0 + c) + cv::Scalar::all(mean);
    } else {
      cv::Scalar k;
      for (int c = 0; c < 3; ++c) k[c] = rng.uniform(a.color_min, a.color_max);
      cv::multiply(f, k, f);
    }
  }
  f.convertTo(s.image, CV_8UC3);  // rounds and saturates to [0, 255]
  return s;
}

Sample menet_augment(const Sample& in, const AugmentSpec& a, Rng& rng, int width, int height) {
  const double r = rng.uniform_int(a.crop_min_percent, a.crop_max_percent) / 100.0;
  const int H = in.image.rows, W = in.image.cols;
  const int h = std::max(1, static_cast<int>(H * r)), w = std::max(1, static_cast<int>(W * r));
  const int y0 = rng.uniform_int(0, H - h), x0 = rng.uniform_int(0, W - w);
  Sample crop;
  crop.stem = in.stem;
  crop.image = in.image(cv::Rect(x0, y0, w, h));
  crop.mask = in.mask(cv::Rect(x0, y0, w, h));
  Sample s = resize_sample(crop, width, height);
  if (rng.bernoulli(a.p_hflip)) flip_sample(s, 1);
  return s;
}

}  // namespace

Sample augment_sample(const Sample& s, const AugmentSpec& spec, Rng& rng, int width, int height) {
  if (spec.kind == "none") return resize_sample(s, width, height);
  if (spec.kind == "szn") return szn_augment(s, spec, rng, width, height);
  if (spec.kind == "menet") return menet_augment(s, spec, rng, width, height);
  throw InputError("unknown augmentation '" + spec.kind + "' (none, szn, menet)");
}

std::string Distortion::label() const {
  std::ostringstream os;
  if (kind == "awgn") random ? os << "awgn_U" << low << "-" << high : os << "awgn_s" << sigma;
  else if (kind == "jpeg") random ? os << "jpeg_U" << low << "-" << high : os << "jpeg_q" << quality;
  else os << "none";
  return os.str();
}

double Distortion::level() const {
  if (kind == "awgn") return sigma;
  if (kind == "jpeg") return quality;
  return 0.0;
}

Distortion Distortion::draw(std::uint64_t seed) const {
  if (!random) return *this;
  Distortion d = *this;
  d.random = false;
  Rng rng(seed);
  if (kind == "awgn") d.sigma = rng.uniform(low, high);
  else if (kind == "jpeg") d.quality = rng.uniform_int(static_cast<int>(low), static_cast<int>(high));
  return d;
}

std::uint64_t distortion_level_seed(std::uint64_t root, const std::string& stem) {
  return derive_seed(root, "distortion-level:" + stem);
}

std::uint64_t distortion_noise_seed(std::uint64_t root, const std::string& stem) {
  return derive_seed(root, "distortion-noise:" + stem);
}

Distortion parse_distortion(const std::string& text) {
  Distortion d;
  auto fail = [&] {
    throw InputError("bad distortion '" + text +
                     "': expected none, awgn:SIGMA (0-255 scale, e.g. awgn:10), jpeg:QUALITY "
                     "(1-100, e.g. jpeg:50), or a random strength awgn:ULOW-HIGH / jpeg:ULOW-HIGH "
                     "(e.g. awgn:U5-50, jpeg:U10-50)");
  };
  if (text.empty() || text == "none") return d;
  std::string kind, value;
  if (auto c = text.find(':'); c != std::string::npos) kind = text.substr(0, c), value = text.substr(c + 1);
  else if (text.rfind("awgn_s", 0) == 0) kind = "awgn", value = text.substr(6);
  else if (text.rfind("jpeg_q", 0) == 0) kind = "jpeg", value = text.substr(6);
  else if (text.rfind("awgn_U", 0) == 0) kind = "awgn", value = text.substr(5);
  else if (text.rfind("jpeg_U", 0) == 0) kind = "jpeg", value = text.substr(5);
  else fail();
  if (kind != "awgn" && kind != "jpeg") fail();
  d.kind = kind;
  // A number that must use the whole string.
  auto number = [&](const std::string& v) {
    std::size_t used = 0;
    double x = 0;
    try {
      x = std::stod(v, &used);
    } catch (const std::logic_error&) {
      fail();
    }
    if (used != v.size() || v.empty() || !std::isfinite(x)) fail();
    return x;
  };
  const double max = kind == "awgn" ? 255.0 : 100.0, min = kind == "awgn" ? 0.0 : 1.0;
  auto integral = [&](double x) { return kind == "awgn" || x == std::floor(x); };
  if (!value.empty() && value[0] == 'U') {
    const auto dash = value.find('-', 1);
    if (dash == std::string::npos) fail();
    d.random = true;
    d.low = number(value.substr(1, dash - 1));
    d.high = number(value.substr(dash + 1));
    if (!(d.low >= min) || !(d.high <= max) || !(d.low < d.high) || !integral(d.low) || !integral(d.high)) fail();
    return d;
  }
  const double x = number(value);
  if (!(x >= min) || !(x <= max) || !integral(x)) fail();
  if (kind == "awgn") d.sigma = x;
  else d.quality = static_cast<int>(x);
  return d;
}

cv::Mat add_awgn(const cv::Mat& rgb, double sigma, std::uint64_t seed) {
  CV_Assert(rgb.type() == CV_8UC3);
  Rng rng(seed);
  cv::Mat out(rgb.size(), CV_8UC3);
  for (int y = 0; y < rgb.rows; ++y) {
    const unsigned char* p = rgb.ptr<unsigned char>(y);
    unsigned char* q = out.ptr<unsigned char>(y);
    for (int x = 0; x < rgb.cols * 3; ++x) {
      const double v = std::round(p[x] + sigma * rng.normal());
      q[x] = static_cast<unsigned char>(std::clamp(v, 0.0, 255.0));
    }
  }
  return out;
}

cv::Mat jpeg_reencode(const cv::Mat& rgb, int quality) {
  CV_Assert(rgb.type() == CV_8UC3);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> buf;
  if (!cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality}))
    throw RuntimeFailure("JPEG encoding failed");
  cv::Mat dec = cv::imdecode(buf, cv::IMREAD_COLOR);
  if (dec.empty()) throw RuntimeFailure("JPEG decoding failed");
  cv::Mat out;
  cv::cvtColor(dec, out, cv::COLOR_BGR2RGB);
  return out;
}

cv::Mat apply_distortion(const cv::Mat& rgb, const Distortion& d, std::uint64_t seed) {
  if (d.random) throw RuntimeFailure("apply_distortion: " + d.label() + " has no level (draw() it first)");
  if (d.kind == "awgn") return add_awgn(rgb, d.sigma, seed);
  if (d.kind == "jpeg") return jpeg_reencode(rgb, d.quality);
  return rgb.clone();
}

}  // namespace sodlab::data
