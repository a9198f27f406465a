// Input-sensitivity (Jacobian) estimators of a segmentation model, for MEnet's Table III.
//
// Contract: every image (RGB CV_8UC3, any size) is resized bilinearly to input_size² (8-bit) and
// converted to float in 0..255, as train::predict_batch does; derivatives are with respect to that
// float input (units: per intensity level). The model output is nearest-resized to output_size².
// The model runs in eval mode on the device of its first parameter (its mode is restored); the
// parameters' .grad are never touched. Images are independent: a result does not depend on the
// batch it was computed in (up to float round-off), and random directions are seeded per image
// stem. Bad settings or inputs are InputErrors naming the key or the image.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/names.h"
#include "core/options.h"
#include "models/model.h"

namespace sodlab::robustness {

struct JacobianSettings {
  int input_size = 64;   // square model input
  int output_size = 0;   // square output resize (nearest); 0 = input_size / 2 (paper: 352 → 176)
  // f, the output map of salient_sum, mc_fd and exact_jacobian_fro2: "probability" = salient-class
  // probability from the logits (softmax channel 1 for C = 2, sigmoid for C = 1); "saliency" =
  // model.saliency(out).
  std::string output = "probability";
  int directions = 8;    // mc_fd: K
  double step = 1.0;     // mc_fd: h, on the 0..255 input scale
  // mc_fd direction law: "gaussian" v ~ N(0, I); "awgn" v = add_awgn(x8, σ) − x8; "jpeg"
  // v = jpeg_reencode(x8, quality) − x8 (x8: the resized 8-bit image). awgn and jpeg directions
  // are rescaled to ||v||² = n (the input dimension, = E||v||² of the gaussian law).
  std::string direction = "gaussian";
  double direction_level = 25;  // σ (awgn, 0..255 scale) or quality 1..100 (jpeg)
  std::uint64_t seed = 0;
  int batch_size = 8;    // model inputs per forward (images; for mc_fd, perturbed copies)

  int resolved_output_size() const { return output_size > 0 ? output_size : input_size / 2; }
  // Names the estimator and every setting that affects it: "paper_code/in64/out32",
  // "salient_sum/in64/out32/probability", "mc_fd/in64/out32/probability/K8/h1/gaussian/seed0"
  // (".../awgn_s25/seed0"; jpeg is deterministic: ".../h1/jpeg_q25"). The results' convention.
  std::string label(const std::string& estimator) const;
};

// InputError "<context>: option '<key>' ..." for the first invalid setting.
void validate(const JacobianSettings& s, const std::string& context = "jacobian settings");
// Reads input_size, output_size, output, directions, step, direction, direction_level, seed,
// batch_size (defaults above, recorded in opts.resolved()) and validates them; the caller then
// calls opts.reject_unknown().
JacobianSettings read_jacobian_settings(Options& opts);

// Statistics of |g| over the 3·in·in entries of one image's input gradient. median is torch's
// (the lower middle value); var is the unbiased variance.
struct GradientStats {
  double max = 0, min = 0, median = 0, mean = 0, var = 0;
};

// Eq. 12: s_k = ||(f(x + h v_k) − f(x − h v_k)) / (2h)||² over the output map (x ± h v neither
// clipped nor rounded); fro2 = mean_k s_k ≈ ||J||_F², fro2_se = sd(s_k) / sqrt(K), fro =
// sqrt(fro2). directions = the k actually used: a zero awgn/jpeg perturbation is skipped, and the
// jpeg law has a single member, evaluated once (fro2_se = 0: no sampling). With no direction
// left, fro2 and fro are NaN; with one random direction, fro2_se is NaN.
struct FdEstimate {
  double fro2 = 0, fro2_se = 0, fro = 0;
  int directions = 0;
};

// The script behind the published Table III: logits nearest-resized to output_size, objective =
// Σ over pixels and all channels of softmax over channels, g = d objective / d x in float32.
// The objective is constant (softmax sums to 1 per pixel), so g is float round-off (exactly 0
// for C = 1): it reproduces the published numbers, it measures no robustness.
std::vector<GradientStats> paper_code(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                      const JacobianSettings& s);
// The same statistics of g = d (Σ over output pixels of f) / d x: a meaningful input gradient.
std::vector<GradientStats> salient_sum(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                       const JacobianSettings& s);
// Image i's directions: k = 0..K−1 with seed data::derive_seed(s.seed, "jacobian:" + stems[i], k);
// gaussian: the first n values of data::Rng(seed).normal() in C×H×W order; awgn: the add_awgn seed.
std::vector<FdEstimate> mc_fd(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                              const std::vector<std::string>& stems, const JacobianSettings& s);
// The exact ||J||_F² of f at one image by autograd, one gradient per output pixel (batch_size
// copies of the image per backward). For tests on tiny models and images.
double exact_jacobian_fro2(models::SegmentationModel& model, const cv::Mat& rgb, const JacobianSettings& s);

// The estimator registry (one entry per estimator above) and what each stores per image: metric
// names are shared between estimators (the estimator is in the convention label).
//   paper_code, salient_sum: J_max, J_min, J_median, J_mean, J_var
//   mc_fd:                   J_fro2, J_fro2_se, J_fro, J_directions
using MetricValues = std::vector<std::pair<std::string, double>>;  // in `metrics` order
struct EstimatorEntry {
  std::string name, summary;
  std::vector<std::string> metrics;
  // Each image's metric values; stems seed the random directions (mc_fd).
  std::function<std::vector<MetricValues>(models::SegmentationModel&, const std::vector<cv::Mat>& rgb,
                                          const std::vector<std::string>& stems, const JacobianSettings&)>
      run;
};
const NameRegistry<EstimatorEntry>& estimator_registry();
std::vector<std::string> known_estimators();  // estimator_registry().names()
MetricValues metric_values(const GradientStats& g);
MetricValues metric_values(const FdEstimate& e);

}  // namespace sodlab::robustness
