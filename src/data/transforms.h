// Resizing, the papers' training augmentations, and evaluation distortions.
//
// All functions take and return Samples/images in the Dataset conventions (RGB CV_8UC3, mask
// CV_8UC1 {0,255}) and never modify their inputs. Randomness comes only from the Rng passed in
// (or the seed given), so results are reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/names.h"
#include "core/options.h"
#include "data/dataset.h"
#include "data/random.h"

namespace sodlab::data {

// Image: bilinear. Mask: bilinear then thresholded at 128 (keeps masks binary).
Sample resize_sample(const Sample& s, int width, int height);

// Training augmentation. kind:
//  none  : resize only.
//  menet : MEnet (reference-formulas A.1): crop of int(H·r)×int(W·r) with r = randint(90,100)/100
//          at a uniform position, resize to the input size (bilinear), horizontal flip p = 0.5.
//  szn   : Kolkin §5.1 "randomly permuting standard data transformations as described in [7]
//          (FlowNet): image flips, random noise, changing contrast levels, and global color
//          shifts". Resize first, then each transform is applied with probability `p_apply` in a
//          random order (permute = true): horizontal flip (p_hflip; vertical p_vflip), additive
//          Gaussian noise with σ ~ U[0, noise_max]·255, contrast c ~ U[contrast_min, contrast_max]
//          (pixel ← mean + (1 + c)(pixel − mean)), multiplicative per-channel colour factor
//          ~ U[color_min, color_max]. Defaults are FlowNet's ranges; the paper does not give them.
struct AugmentSpec {
  std::string kind = "none";
  // menet
  int crop_min_percent = 90, crop_max_percent = 100;
  double p_hflip = 0.5;
  // szn
  double p_vflip = 0.0;
  double p_apply = 0.5;
  bool permute = true;
  double noise_max = 0.04;
  double contrast_min = -0.8, contrast_max = 0.4;
  double color_min = 0.5, color_max = 2.0;
};

// The augmentation registry: each kind with a summary and the reader of its options.
struct AugmentationEntry {
  std::string name, summary;
  std::function<void(Options&, AugmentSpec&)> read;  // reads this kind's keys (defaults above)
};
const NameRegistry<AugmentationEntry>& augmentation_registry();

// The spec of `kind` with its options read from `opts` (defaults above, recorded in
// opts.resolved()); unknown kind or option → InputError naming the closest one.
AugmentSpec read_augment_spec(const std::string& kind, Options& opts);

// The augmented sample at width×height.
Sample augment_sample(const Sample& s, const AugmentSpec& spec, Rng& rng, int width, int height);

// Evaluation distortions. kind none | awgn (sigma on the 0-255 scale; pixel + N(0, σ²) per
// channel, rounded and clipped) | jpeg (re-encoded with cv::imencode at `quality` 1..100).
// A random-strength distortion (MEnet's "random strengths") draws each image's level from a
// uniform law: σ ~ U[low, high] (awgn), quality ~ U{low, ..., high} (jpeg), seeded per image.
struct Distortion {
  std::string kind = "none";
  double sigma = 0.0;
  int quality = 100;
  bool random = false;         // level drawn per image from [low, high]
  double low = 0, high = 0;
  // "none", "awgn_s10", "jpeg_q50"; random: "awgn_U5-50", "jpeg_U10-50". The label stored with
  // results.
  std::string label() const;
  // σ (awgn), quality (jpeg), 0 (none); for a random distortion, meaningless until drawn.
  double level() const;
  // The fixed distortion of one image: a random one's level drawn from `seed`, else itself.
  Distortion draw(std::uint64_t seed) const;
};
// Parses "none", "awgn:10" / "awgn_s10", "jpeg:50" / "jpeg_q50", and the random forms
// "awgn:U5-50" / "awgn_U5-50", "jpeg:U10-50" / "jpeg_U10-50"; InputError otherwise.
Distortion parse_distortion(const std::string& text);

// Seeds of one image's distortion, from the root seed and the image's stem (independent of the
// dataset's order and of batching): the level draw and the AWGN noise.
std::uint64_t distortion_level_seed(std::uint64_t root, const std::string& stem);
std::uint64_t distortion_noise_seed(std::uint64_t root, const std::string& stem);

// Applies the fixed distortion `d` (draw() a random one first) to an RGB image; `seed` drives the
// AWGN noise (distortion_noise_seed). A random `d` (not drawn) is a RuntimeFailure.
cv::Mat apply_distortion(const cv::Mat& rgb, const Distortion& d, std::uint64_t seed);
cv::Mat add_awgn(const cv::Mat& rgb, double sigma, std::uint64_t seed);
cv::Mat jpeg_reencode(const cv::Mat& rgb, int quality);

}  // namespace sodlab::data
