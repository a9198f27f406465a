// The confusion-matrix family of PySODMetrics 1.6.2 (`fmeasurev2.py` with the handlers of its
// `examples/test_metrics.py`): eleven metrics of one binarisation's TP/FP/TN/FN, each in four
// modes, plus the areas under the dataset-mean P/R and R/FPR curves.
//
// Modes (key = mode prefix + member name, e.g. adpfm, meaniou, sample_biber, overall_bikappa):
//   adp<m>        per image at the adaptive threshold (map >= min(2·mean, 1)), mean over images
//   mean<m>/max<m> mean / maximum over the 256 thresholds (u8 bin >= t) of the dataset-mean curve
//                 (the mean over images of each image's curve); `max` is the maximum even where
//                 lower is better (maxber, maxfpr), as PySODMetrics reports it
//   sample_bi<m>  per image at map > 0.5, mean over images
//   overall_bi<m> of the counts at map > 0.5 pooled over the dataset
// Divisions follow PySODMetrics' `divide`: x/0 = 0. Counts are exact integers (products in 128
// bits), so every value is the float expression PySODMetrics evaluates on the same counts.
#pragma once

#include "metrics/convention.h"
#include "metrics/exact_sum.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sodlab::metrics {

struct Confusion {
  std::int64_t tp = 0, fp = 0, tn = 0, fn = 0;
};

// One member of the family: its key suffix, direction, formula (one line) and value.
struct ConfusionMember {
  const char* name;  // "fm", "f1", "pre", ...
  Better better;
  const char* definition;
  double (*value)(const Confusion&);
};
constexpr int kConfusionMembers = 11;
// In PySODMetrics' order: fm, f1, pre, rec, fpr, iou, dice, spec, ber, oa, kappa.
const std::array<ConfusionMember, kConfusionMembers>& confusion_members();
// The family name of member i ("confusion_" + name) and the selection group of the whole family.
std::string confusion_family(int member);
constexpr const char* kConfusionGroup = "confusion";
constexpr const char* kAucPrFamily = "auc_pr";
constexpr const char* kAucRocFamily = "auc_roc";
// The four modes' key prefixes and their descriptions (for the registry).
struct ConfusionMode {
  const char* prefix;       // "adp", "mean", "max", "sample_bi", "overall_bi"
  const char* description;  // how the value is aggregated
};
const std::array<ConfusionMode, 5>& confusion_modes();

// Index of the member called `name` in confusion_members(), -1 if none.
int confusion_member_index(const char* name);

// PySODMetrics' test script `cal_auc`: the area under y(x) for points in ascending-threshold
// order, stably sorted by x, by trapezoids (np.trapz); no anchor points added.
double trapezoid_auc(const std::vector<double>& y, const std::vector<double>& x);

using ConfusionCurve = std::array<double, 256>;  // index = threshold 0..255 ascending

// What one image contributes (filled by evaluate_image for the selected families).
struct ConfusionImage {
  std::array<bool, kConfusionMembers> member{};  // members whose curves/values are needed
  Confusion binary;                                // map > 0.5 (pooled for overall_bi)
  std::array<ConfusionCurve, kConfusionMembers> curves{};
};

// Which members `selection` needs (a member's family, or pre/rec for auc_pr, rec/fpr for
// auc_roc); false everywhere when none.
std::array<bool, kConfusionMembers> confusion_needed(const MetricSelection& selection);
bool any_confusion(const MetricSelection& selection);

// Fills `image` and the per-image values adp<m>, sample_bi<m> of the selected families into
// `values`, from the 256 threshold counts (tp[t], fp[t]: GT foreground / background pixels with
// bin >= t), the adaptive and the > 0.5 counts.
void evaluate_confusion(const std::array<std::int64_t, 256>& tp, const std::array<std::int64_t, 256>& fp,
                        std::int64_t n_fg, std::int64_t n, const Confusion& adaptive, const Confusion& binary,
                        const MetricSelection& selection, ConfusionImage& image,
                        std::map<std::string, double>& values);

// Dataset aggregation of the family (order-independent sums). Not thread-safe: the Evaluator
// calls it under its lock.
class ConfusionAccumulator {
 public:
  explicit ConfusionAccumulator(const MetricSelection& selection);
  void add(const ConfusionImage& image);
  // Every dataset key of the selected families and their curves curve_confusion_<m>; adp<m> and
  // sample_bi<m> are `per_image_mean` of the per-image values of that name.
  void result(std::int64_t n_images, const std::function<double(const std::string&)>& per_image_mean,
              std::map<std::string, double>& dataset, std::map<std::string, std::vector<double>>& curves) const;

 private:
  MetricSelection selection_;
  std::array<bool, kConfusionMembers> needed_{};
  std::array<std::array<ExactSum, 256>, kConfusionMembers> curve_sums_;
  Confusion pooled_;  // binary counts summed over images
};

}  // namespace sodlab::metrics
