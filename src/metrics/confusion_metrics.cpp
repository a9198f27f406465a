#include "metrics/confusion_metrics.h"

#include <algorithm>
#include <numeric>

namespace sodlab::metrics {
namespace {

using I128 = __int128;

// PySODMetrics' `divide`: num / den, 0 where den == 0.
double divide(double num, double den) { return den != 0 ? num / den : 0.0; }
// An integer ratio: both exact integers rounded once to double (as numpy converts them), then divided.
double ratio(I128 num, I128 den) { return den != 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }

double precision(const Confusion& c) { return ratio(c.tp, I128(c.tp) + c.fp); }
double recall(const Confusion& c) { return ratio(c.tp, I128(c.tp) + c.fn); }
double fbeta(const Confusion& c, double beta2) {
  const double p = precision(c), r = recall(c);
  return divide((beta2 + 1) * p * r, beta2 * p + r);
}
double fm(const Confusion& c) { return fbeta(c, 0.3); }
double f1(const Confusion& c) { return fbeta(c, 1.0); }
double fpr(const Confusion& c) { return ratio(c.fp, I128(c.tn) + c.fp); }
double iou(const Confusion& c) { return ratio(c.tp, I128(c.tp) + c.fp + c.fn); }
double dice(const Confusion& c) { return ratio(2 * I128(c.tp), I128(c.tp) + c.fn + c.tp + c.fp); }
double spec(const Confusion& c) { return ratio(c.tn, I128(c.tn) + c.fp); }
double ber(const Confusion& c) {
  return 1 - 0.5 * (ratio(c.tp, I128(c.tp) + c.fn) + ratio(c.tn, I128(c.tn) + c.fp));
}
double oa(const Confusion& c) { return ratio(I128(c.tp) + c.tn, I128(c.tp) + c.fp + c.tn + c.fn); }
double kappa(const Confusion& c) {
  const I128 tp = c.tp, fp = c.fp, tn = c.tn, fn = c.fn, n = tp + fp + tn + fn;
  const double chance = ratio((tp + fp) * (tp + fn) + (tn + fn) * (tn + tp), n * n);
  return divide(oa(c) - chance, 1 - chance);
}

const std::array<ConfusionMember, kConfusionMembers> kMembers{{
    {"fm", Better::higher, "F_β (β² = 0.3) = 1.3·P·R/(0.3·P + R), P = TP/(TP+FP), R = TP/(TP+FN)", fm},
    {"f1", Better::higher, "F_1 = 2·P·R/(P + R)", f1},
    {"pre", Better::higher, "precision TP/(TP+FP)", precision},
    {"rec", Better::higher, "recall (TPR) TP/(TP+FN)", recall},
    {"fpr", Better::lower, "false-positive rate FP/(TN+FP)", fpr},
    {"iou", Better::higher, "IoU TP/(TP+FP+FN)", iou},
    {"dice", Better::higher, "Dice 2·TP/(2·TP+FN+FP)", dice},
    {"spec", Better::higher, "specificity (TNR) TN/(TN+FP)", spec},
    {"ber", Better::lower, "balanced error rate 1 − (TP/(TP+FN) + TN/(TN+FP))/2", ber},
    {"oa", Better::higher, "overall accuracy (TP+TN)/N", oa},
    {"kappa", Better::higher, "Cohen's κ (OA − p_e)/(1 − p_e), p_e = ((TP+FP)(TP+FN) + (TN+FN)(TN+TP))/N²", kappa},
}};

const std::array<ConfusionMode, 5> kModes{{
    {"adp", "at each image's adaptive threshold (map >= min(2·mean, 1)), mean over images"},
    {"mean", "mean over the 256 thresholds of the dataset-mean curve"},
    {"max", "maximum over the 256 thresholds of the dataset-mean curve (the maximum, whatever the direction)"},
    {"sample_bi", "of each image's map > 0.5, mean over images"},
    {"overall_bi", "of the map > 0.5 counts pooled over all images"},
}};

// Per-image key names, built once: [member][0] = adp<m>, [1] = sample_bi<m>.
const std::array<std::array<std::string, 2>, kConfusionMembers>& per_image_keys() {
  static const auto keys = [] {
    std::array<std::array<std::string, 2>, kConfusionMembers> k;
    for (int i = 0; i < kConfusionMembers; ++i) k[i] = {std::string("adp") + kMembers[i].name,
                                                         std::string("sample_bi") + kMembers[i].name};
    return k;
  }();
  return keys;
}

}  // namespace

int confusion_member_index(const char* name) {
  for (int i = 0; i < kConfusionMembers; ++i)
    if (std::string(kMembers[i].name) == name) return i;
  return -1;
}

double trapezoid_auc(const std::vector<double>& y, const std::vector<double>& x) {
  std::vector<int> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return x[a] < x[b]; });
  double auc = 0;
  for (std::size_t i = 0; i + 1 < idx.size(); ++i)
    auc += (x[idx[i + 1]] - x[idx[i]]) * (y[idx[i + 1]] + y[idx[i]]) / 2.0;
  return auc;
}

const std::array<ConfusionMember, kConfusionMembers>& confusion_members() { return kMembers; }
const std::array<ConfusionMode, 5>& confusion_modes() { return kModes; }
std::string confusion_family(int member) { return std::string("confusion_") + kMembers[member].name; }

std::array<bool, kConfusionMembers> confusion_needed(const MetricSelection& sel) {
  std::array<bool, kConfusionMembers> need{};
  for (int i = 0; i < kConfusionMembers; ++i) need[i] = sel.has(confusion_family(i));
  if (sel.has(kAucPrFamily)) need[confusion_member_index("pre")] = need[confusion_member_index("rec")] = true;
  if (sel.has(kAucRocFamily)) need[confusion_member_index("rec")] = need[confusion_member_index("fpr")] = true;
  return need;
}

bool any_confusion(const MetricSelection& sel) {
  const auto need = confusion_needed(sel);
  return std::any_of(need.begin(), need.end(), [](bool b) { return b; });
}

void evaluate_confusion(const std::array<std::int64_t, 256>& tp, const std::array<std::int64_t, 256>& fp,
                        std::int64_t n_fg, std::int64_t n, const Confusion& adaptive, const Confusion& binary,
                        const MetricSelection& sel, ConfusionImage& image, std::map<std::string, double>& values) {
  image.member = confusion_needed(sel);
  image.binary = binary;
  const std::int64_t n_bg = n - n_fg;
  for (int i = 0; i < kConfusionMembers; ++i) {
    if (!image.member[i]) continue;
    const auto f = kMembers[i].value;
    for (int t = 0; t < 256; ++t) image.curves[i][t] = f({tp[t], fp[t], n_bg - fp[t], n_fg - tp[t]});
    if (!sel.has(confusion_family(i))) continue;  // only a curve for auc_pr / auc_roc
    values[per_image_keys()[i][0]] = f(adaptive);
    values[per_image_keys()[i][1]] = f(binary);
  }
}

ConfusionAccumulator::ConfusionAccumulator(const MetricSelection& sel)
    : selection_(sel), needed_(confusion_needed(sel)) {}

void ConfusionAccumulator::add(const ConfusionImage& image) {
  for (int i = 0; i < kConfusionMembers; ++i)
    if (needed_[i])
      for (int t = 0; t < 256; ++t) curve_sums_[i][t].add(image.curves[i][t]);
  pooled_.tp += image.binary.tp;
  pooled_.fp += image.binary.fp;
  pooled_.tn += image.binary.tn;
  pooled_.fn += image.binary.fn;
}

void ConfusionAccumulator::result(std::int64_t n_images, const std::function<double(const std::string&)>& per_image_mean,
                                  std::map<std::string, double>& d,
                                  std::map<std::string, std::vector<double>>& curves) const {
  if (n_images == 0) return;
  std::array<std::vector<double>, kConfusionMembers> curve;
  for (int i = 0; i < kConfusionMembers; ++i) {
    if (!needed_[i]) continue;
    curve[i].resize(256);
    for (int t = 0; t < 256; ++t) curve[i][t] = curve_sums_[i][t].value() / static_cast<double>(n_images);
    if (!selection_.has(confusion_family(i))) continue;
    const std::string m = kMembers[i].name;
    double sum = 0, mx = curve[i][0];
    for (double v : curve[i]) sum += v, mx = std::max(mx, v);
    d["adp" + m] = per_image_mean(per_image_keys()[i][0]);
    d["mean" + m] = sum / 256;
    d["max" + m] = mx;
    d["sample_bi" + m] = per_image_mean(per_image_keys()[i][1]);
    d["overall_bi" + m] = kMembers[i].value(pooled_);
    curves["curve_" + confusion_family(i)] = curve[i];
  }
  if (selection_.has(kAucPrFamily)) d["auc_pr"] = trapezoid_auc(curve[confusion_member_index("pre")], curve[confusion_member_index("rec")]);
  if (selection_.has(kAucRocFamily))
    d["auc_roc"] = trapezoid_auc(curve[confusion_member_index("rec")], curve[confusion_member_index("fpr")]);
}

}  // namespace sodlab::metrics
