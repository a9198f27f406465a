#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "data/synthetic.h"
#include "data/transforms.h"

using namespace sodlab::data;

namespace {
bool equal(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}
}  // namespace

TEST_CASE("augmentations are deterministic for a given stream and keep masks binary", "[data][augment]") {
  SyntheticDataset ds({4, 80, 1});
  const Sample s = ds.get(2);
  for (const auto& entry : augmentation_registry().entries()) {  // every registered kind
    const std::string kind = entry.name;
    INFO("augmentation " << kind);
    sodlab::Options o;
    const AugmentSpec spec = read_augment_spec(kind, o);
    Rng r1(42), r2(42);
    const Sample a = augment_sample(s, spec, r1, 48, 40), b = augment_sample(s, spec, r2, 48, 40);
    CHECK(a.image.size() == cv::Size(48, 40));
    CHECK(equal(a.image, b.image));
    CHECK(equal(a.mask, b.mask));
    cv::Mat other = (a.mask != 0) & (a.mask != 255);
    CHECK(cv::countNonZero(other) == 0);
    if (kind != "none") {
      // Over a few draws the augmentation changes the image.
      bool changed = false;
      for (int seed = 0; seed < 8 && !changed; ++seed) {
        Rng r(seed);
        changed = !equal(augment_sample(s, spec, r, 48, 40).image, resize_sample(s, 48, 40).image);
      }
      CHECK(changed);
    }
  }
}

TEST_CASE("MEnet crop stays within 90-100 % and flips image and mask together", "[data][augment]") {
  // An image whose left half is salient: a horizontal flip moves the mask to the right half, and
  // the image's red channel (255 on the salient half) must follow it.
  Sample s;
  s.stem = "half";
  s.image = cv::Mat(100, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  s.mask = cv::Mat::zeros(100, 100, CV_8UC1);
  s.image(cv::Rect(0, 0, 50, 100)).setTo(cv::Scalar(255, 0, 0));
  s.mask(cv::Rect(0, 0, 50, 100)).setTo(255);
  AugmentSpec spec;
  spec.kind = "menet";
  int flipped = 0;
  for (int seed = 0; seed < 40; ++seed) {
    Rng rng(seed);
    const Sample a = augment_sample(s, spec, rng, 100, 100);
    cv::Mat red;
    cv::extractChannel(a.image, red, 0);
    cv::Mat red_bin = red > 127;
    CHECK(cv::norm(red_bin, a.mask, cv::NORM_L1) <= 2 * 255 * 100);  // at most the boundary columns differ
    const int fg = cv::countNonZero(a.mask);
    // Crop 90..100 %: the salient half covers between 40/90 and 50/90 of the crop width... → 44-56 %
    CHECK(fg >= 0.43 * 100 * 100);
    CHECK(fg <= 0.57 * 100 * 100);
    if (a.mask.at<unsigned char>(50, 99) == 255) ++flipped;
  }
  CHECK(flipped > 8);
  CHECK(flipped < 32);
}

TEST_CASE("AWGN adds noise of the requested sigma, seeded", "[data][distortion]") {
  const cv::Mat grey(200, 200, CV_8UC3, cv::Scalar(128, 128, 128));
  const cv::Mat a = add_awgn(grey, 10.0, 5), b = add_awgn(grey, 10.0, 5), c = add_awgn(grey, 10.0, 6);
  CHECK(equal(a, b));
  CHECK_FALSE(equal(a, c));
  cv::Mat diff;
  a.convertTo(diff, CV_64FC3);
  diff -= cv::Scalar(128, 128, 128);
  cv::Scalar mean, sd;
  cv::meanStdDev(diff.reshape(1), mean, sd);
  CHECK(mean[0] == Approx(0).margin(0.15));
  CHECK(sd[0] == Approx(std::sqrt(100 + 1.0 / 12)).epsilon(0.02));  // σ² plus rounding variance
  CHECK(equal(apply_distortion(grey, parse_distortion("awgn:0"), 1), grey));
}

TEST_CASE("JPEG re-encoding changes the image, more at lower quality", "[data][distortion]") {
  SyntheticDataset ds({1, 96, 4});
  const cv::Mat img = ds.get(0).image;
  const cv::Mat q90 = jpeg_reencode(img, 90), q10 = jpeg_reencode(img, 10);
  CHECK(q90.size() == img.size());
  CHECK(q90.type() == CV_8UC3);
  const double e90 = cv::norm(img, q90, cv::NORM_L2), e10 = cv::norm(img, q10, cv::NORM_L2);
  CHECK(e90 > 0);
  CHECK(e10 > 1.5 * e90);
  // Colour order preserved: the mean colour barely moves at q90.
  const cv::Scalar m0 = cv::mean(img), m1 = cv::mean(q90);
  for (int c = 0; c < 3; ++c) CHECK(std::abs(m0[c] - m1[c]) < 3);
}

TEST_CASE("distortion labels parse and round-trip", "[data][distortion]") {
  CHECK(parse_distortion("awgn:10").label() == "awgn_s10");
  CHECK(parse_distortion("awgn_s2.5").sigma == 2.5);
  CHECK(parse_distortion("jpeg:50").label() == "jpeg_q50");
  CHECK(parse_distortion(parse_distortion("jpeg_q30").label()).quality == 30);
  CHECK(parse_distortion("none").label() == "none");
  CHECK_THROWS_AS(parse_distortion("jpeg:0"), sodlab::InputError);
  CHECK_THROWS_AS(parse_distortion("blur:3"), sodlab::InputError);
  CHECK_THROWS_AS(parse_distortion("awgn:x"), sodlab::InputError);
}

TEST_CASE("random-strength distortions: labels, per-image draws in range, seeded by the stem",
          "[data][distortion]") {
  const Distortion awgn = parse_distortion("awgn:U5-50");
  CHECK(awgn.random);
  CHECK(awgn.label() == "awgn_U5-50");
  CHECK(parse_distortion(awgn.label()).label() == "awgn_U5-50");
  const Distortion jpeg = parse_distortion("jpeg_U10-50");
  CHECK(jpeg.label() == "jpeg_U10-50");
  CHECK_THROWS_AS(parse_distortion("awgn:U50-5"), sodlab::InputError);   // low < high
  CHECK_THROWS_AS(parse_distortion("jpeg:U0-50"), sodlab::InputError);   // quality ≥ 1
  CHECK_THROWS_AS(parse_distortion("jpeg:U10.5-50"), sodlab::InputError);  // integral qualities
  CHECK_THROWS_AS(parse_distortion("awgn:U5"), sodlab::InputError);
  // Draws: continuous σ in [5, 50), every integer quality of {10..12} reachable, nothing outside.
  std::set<int> qualities;
  double lo = 1e9, hi = -1e9;
  const Distortion q = parse_distortion("jpeg:U10-12");
  for (int i = 0; i < 400; ++i) {
    const std::string stem = "img" + std::to_string(i);
    const Distortion a = awgn.draw(distortion_level_seed(7, stem));
    CHECK_FALSE(a.random);
    lo = std::min(lo, a.sigma), hi = std::max(hi, a.sigma);
    qualities.insert(q.draw(distortion_level_seed(7, stem)).quality);
  }
  CHECK(lo >= 5);
  CHECK(hi < 50);
  CHECK(hi - lo > 40);  // spread over the range
  CHECK(qualities == std::set<int>{10, 11, 12});
  // Same root and stem → same level; another stem or root → (almost surely) another.
  CHECK(awgn.draw(distortion_level_seed(7, "a")).sigma == awgn.draw(distortion_level_seed(7, "a")).sigma);
  CHECK(awgn.draw(distortion_level_seed(7, "a")).sigma != awgn.draw(distortion_level_seed(7, "b")).sigma);
  CHECK(awgn.draw(distortion_level_seed(7, "a")).sigma != awgn.draw(distortion_level_seed(8, "a")).sigma);
  // A fixed distortion draws itself; an undrawn random one cannot be applied.
  CHECK(parse_distortion("awgn:10").draw(3).sigma == 10);
  const cv::Mat img(8, 8, CV_8UC3, cv::Scalar(100, 100, 100));
  CHECK_THROWS(apply_distortion(img, awgn, 1));
  CHECK_NOTHROW(apply_distortion(img, awgn.draw(distortion_level_seed(1, "x")), 1));
}
