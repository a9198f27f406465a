// Size invariance (Li et al., "Size-invariance Matters", ICML 2024) as PySODMetrics 1.6.2's
// SizeInvarianceMAE and SizeInvarianceFmeasureV2 compute it, with the handlers of its
// examples/test_metrics.py.
//
// Targets of an image: the 4-connected GT components of >= 50 pixels (if there are none, the
// largest ones, ties all kept; an empty GT has none and is one target: the whole image). Each
// target is evaluated on the whole image with the map and the GT kept only inside its bounding box
// (outside: map 0, GT 0), as FmeasureV2 does; overlapping boxes each keep all they cover.
//   si_sample_<mode><m> (mode adp, mean, max, bi): per image the mean over its targets of the
//                   target's value (mean/max: over the target's 256-threshold curve), mean over images
//   si_overall_mean<m>/max<m>: of the mean over every target of every image of the targets' curves
//   si_overall_bi<m>: of the map > 0.5 counts pooled over every target
//   si_sample_auc_pr/roc: per image the mean over targets of each target's curve AUC; si_overall_auc_*
//                   of the pooled curves
//   si_mae: per image (1/(T + r))·(r·MAE outside every box + Σ_k MAE in box k), r = the area outside
//           every box over the area inside; NaN where the boxes cover the image (r = 0/0), as in
//           PySODMetrics (si_mae_nanmean, si_mae_n_nan: the mean over the others, their count)
// A GT without background (PySODMetrics: an AssertionError) has no size-invariant value: such an
// image is left out of every si_* value (si_n_skipped counts them).
#pragma once

#include "metrics/confusion_metrics.h"
#include "metrics/convention.h"
#include "metrics/exact_sum.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sodlab::metrics {

constexpr const char* kSizeInvarianceGroup = "size_invariance";
constexpr const char* kSiMaeFamily = "si_mae";
constexpr const char* kSiAucPrFamily = "si_auc_pr";
constexpr const char* kSiAucRocFamily = "si_auc_roc";
std::string size_invariance_family(int member);  // "si_" + member name
bool any_size_invariance(const MetricSelection& selection);
// The registry's size-invariance families (convention.cpp adds them).
const std::vector<MetricFamilyEntry>& size_invariance_families();

// What one image contributes.
struct SizeInvariantImage {
  bool defined = false;  // false: the GT has no background (left out)
  double si_mae = 0;
  std::array<std::array<double, 4>, kConfusionMembers> sample{};  // adp, mean, max, bi: mean over targets
  double auc_pr = 0, auc_roc = 0;                                  // mean over targets
  std::int64_t n_targets = 0;
  std::array<ConfusionCurve, kConfusionMembers> curve_sum{};  // Σ over targets of their curves
  Confusion binary;                                           // map > 0.5 counts, Σ over targets
  // Each target's curve (threshold 0..255 ascending), for the Python classes, whose
  // SizeInvarianceFmeasureV2 returns them per sample (PySODMetrics' T x 256 lists).
  std::array<std::vector<ConfusionCurve>, kConfusionMembers> target_curves;
};

// pred: the raw CV_8UC1 map; gt: 0/1 per pixel (row-major, pred's size); p[v], bin[v]: the
// normalised value and the threshold bin of raw value v (image_metrics.cpp). Fills `image`
// (and values["si_mae"], the one per-image key PySODMetrics has) for the selected families.
void evaluate_size_invariance(const cv::Mat& pred, const std::uint8_t* gt, const std::array<double, 256>& p,
                              const std::array<int, 256>& bin, const MetricSelection& selection,
                              SizeInvariantImage& image, std::map<std::string, double>& values);

// Dataset aggregation (order-independent sums; not thread-safe).
class SizeInvarianceAccumulator {
 public:
  explicit SizeInvarianceAccumulator(const MetricSelection& selection);
  void add(const SizeInvariantImage& image);  // also an undefined image (counted as skipped)
  void result(std::map<std::string, double>& dataset, std::map<std::string, std::vector<double>>& curves) const;

 private:
  MetricSelection selection_;
  std::array<bool, kConfusionMembers> needed_{};
  std::int64_t n_images_ = 0, n_skipped_ = 0, n_targets_ = 0, n_mae_nan_ = 0;
  ExactSum mae_, mae_finite_, auc_pr_, auc_roc_;
  std::array<std::array<ExactSum, 4>, kConfusionMembers> sample_;
  std::array<std::array<ExactSum, 256>, kConfusionMembers> curve_sums_;
  Confusion binary_;
};

}  // namespace sodlab::metrics
