#include "metrics/size_invariance.h"

#include "metrics/binary_masks.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sodlab::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kAreaThreshold = 50;  // PySODMetrics' parse_connected_components default
enum SampleMode { kAdp, kMean, kMax, kBi };
constexpr const char* kSampleModes[4] = {"adp", "mean", "max", "bi"};

using Hist = std::array<std::int64_t, 256>;

// The targets' bounding boxes (see the header); empty for an empty GT.
std::vector<cv::Rect> target_boxes(const cv::Mat& gt01) {
  const Components components = label_components(gt01, 4);
  std::vector<cv::Rect> valid, largest;
  int max_area = 0;
  for (int l = 1; l < components.count; ++l) {
    const int area = components.area[l];
    const cv::Rect& box = components.box[l];
    if (area >= kAreaThreshold) valid.push_back(box);
    if (area > max_area) max_area = area, largest.clear();
    if (area == max_area) largest.push_back(box);
  }
  return valid.empty() ? largest : valid;
}

}  // namespace

std::string size_invariance_family(int member) { return std::string("si_") + confusion_members()[member].name; }

bool any_size_invariance(const MetricSelection& sel) {
  for (const auto& e : size_invariance_families())
    if (sel.has(e.name)) return true;
  return false;
}

const std::vector<MetricFamilyEntry>& size_invariance_families() {
  static const std::vector<MetricFamilyEntry> families = [] {
  std::vector<MetricFamilyEntry> out;
  out.push_back({kSiMaeFamily, "size-invariant MAE (Li et al. 2024; PySODMetrics SizeInvarianceMAE)",
                 {{"si_mae", Better::lower,
                   "mean over images of the target-balanced MAE (NaN if an image's target boxes cover it)"},
                  {"si_mae_nanmean", Better::lower, "si_mae over the images where it is defined"},
                  {"si_mae_n_nan", Better::neither, "images whose target boxes cover the whole image (si_mae NaN)"},
                  {"si_n_skipped", Better::neither, "images left out of every si_* value (GT without background)"}},
                 kSizeInvarianceGroup});
  const auto& members = confusion_members();
  for (int i = 0; i < kConfusionMembers; ++i) {
    const ConfusionMember& m = members[i];
    const std::string name = m.name;
    MetricFamilyEntry e{size_invariance_family(i),
                        "size-invariant " + name + " (per GT target in its bounding box; PySODMetrics "
                        "SizeInvarianceFmeasureV2)",
                        {},
                        kSizeInvarianceGroup};
    e.keys.push_back({"si_sample_adp" + name, m.better, name + " at the adaptive threshold, mean over targets, then images"});
    e.keys.push_back({"si_sample_mean" + name, m.better, "mean over 256 thresholds of each target's " + name + " curve, mean over targets, then images"});
    e.keys.push_back({"si_sample_max" + name, m.better, "maximum over 256 thresholds of each target's " + name + " curve, mean over targets, then images"});
    e.keys.push_back({"si_sample_bi" + name, m.better, name + " of the map > 0.5, mean over targets, then images"});
    e.keys.push_back({"si_overall_mean" + name, m.better, "mean over thresholds of the mean over all targets of their " + name + " curves"});
    e.keys.push_back({"si_overall_max" + name, m.better, "maximum over thresholds of the mean over all targets of their " + name + " curves"});
    e.keys.push_back({"si_overall_bi" + name, m.better, name + " of the map > 0.5 counts pooled over all targets"});
    out.push_back(std::move(e));
  }
  out.push_back({kSiAucPrFamily, "size-invariant area under the precision-recall curve",
                 {{"si_sample_auc_pr", Better::higher, "per target AUC-PR (256 thresholds), mean over targets, then images"},
                  {"si_overall_auc_pr", Better::higher, "AUC-PR of the precision and recall curves pooled over all targets"}},
                 kSizeInvarianceGroup});
  out.push_back({kSiAucRocFamily, "size-invariant area under the ROC curve",
                 {{"si_sample_auc_roc", Better::higher, "per target AUC-ROC (256 thresholds), mean over targets, then images"},
                  {"si_overall_auc_roc", Better::higher, "AUC-ROC of the recall and FPR curves pooled over all targets"}},
                 kSizeInvarianceGroup});
  return out;
  }();
  return families;
}

namespace {

std::array<bool, kConfusionMembers> needed_members(const MetricSelection& sel) {
  std::array<bool, kConfusionMembers> need{};
  for (int i = 0; i < kConfusionMembers; ++i) need[i] = sel.has(size_invariance_family(i));
  if (sel.has(kSiAucPrFamily)) need[confusion_member_index("pre")] = need[confusion_member_index("rec")] = true;
  if (sel.has(kSiAucRocFamily)) need[confusion_member_index("rec")] = need[confusion_member_index("fpr")] = true;
  return need;
}

}  // namespace

void evaluate_size_invariance(const cv::Mat& pred, const std::uint8_t* gt, const std::array<double, 256>& p,
                              const std::array<int, 256>& bin, const MetricSelection& sel,
                              SizeInvariantImage& image, std::map<std::string, double>& values) {
  const int rows = pred.rows, cols = pred.cols;
  const std::int64_t n = static_cast<std::int64_t>(rows) * cols;
  const cv::Mat gt01(rows, cols, CV_8UC1, const_cast<std::uint8_t*>(gt));
  const std::int64_t n_fg = cv::countNonZero(gt01);
  image = SizeInvariantImage{};
  if (n_fg == n) return;  // no background: PySODMetrics asserts; left out
  image.defined = true;
  std::vector<cv::Rect> boxes = target_boxes(gt01);
  const bool whole = boxes.empty();  // empty GT: the image is the one target
  if (whole) boxes.push_back(cv::Rect(0, 0, cols, rows));

  // Per box: histograms of the raw value over GT foreground and background.
  auto histograms = [&](const cv::Rect& box, Hist& fg, Hist& bg) {
    fg.fill(0), bg.fill(0);
    for (int r = box.y; r < box.y + box.height; ++r) {
      const std::uint8_t* pr = pred.ptr<std::uint8_t>(r);
      const std::uint8_t* gr = gt + static_cast<std::size_t>(r) * cols;
      for (int c = box.x; c < box.x + box.width; ++c) (gr[c] ? fg : bg)[pr[c]]++;
    }
  };
  auto abs_error = [&](const Hist& fg, const Hist& bg) {
    double s = 0;
    for (int v = 0; v < 256; ++v) s += fg[v] * (1 - p[v]) + bg[v] * p[v];
    return s;
  };

  const auto need = needed_members(sel);
  const auto& members = confusion_members();
  const bool confusion = std::any_of(need.begin(), need.end(), [](bool b) { return b; });
  const int T = static_cast<int>(boxes.size());
  double mae_targets = 0;  // Σ_k (error in box k / area of box k)
  Hist fg, bg;
  for (const cv::Rect& box : boxes) {
    histograms(box, fg, bg);
    const std::int64_t area = static_cast<std::int64_t>(box.width) * box.height;
    mae_targets += abs_error(fg, bg) / static_cast<double>(area);
    if (!confusion) continue;
    // The target on the whole image: outside its box the map is 0 (bin 0) and the GT background.
    std::int64_t t_fg = 0;
    double map_sum = 0;
    Hist bf{}, bb{};
    for (int v = 0; v < 256; ++v) {
      t_fg += fg[v];
      map_sum += (fg[v] + bg[v]) * p[v];
      bf[bin[v]] += fg[v], bb[bin[v]] += bg[v];
    }
    bb[0] += n - area;
    const std::int64_t t_bg = n - t_fg;
    std::array<std::int64_t, 256> tp{}, fp{};
    std::int64_t cf = 0, cb = 0;
    for (int t = 255; t >= 0; --t) cf += bf[t], cb += bb[t], tp[t] = cf, fp[t] = cb;
    const double thr = std::min(2 * (map_sum / static_cast<double>(n)), 1.0);
    Confusion adaptive, binary;
    for (int v = 0; v < 256; ++v) {
      if (p[v] >= thr) adaptive.tp += fg[v], adaptive.fp += bg[v];
      if (p[v] > 0.5) binary.tp += fg[v], binary.fp += bg[v];
    }
    if (thr <= 0) adaptive.fp += n - area;  // the map's 0 outside the box is >= a zero threshold
    for (Confusion* c : {&adaptive, &binary}) c->fn = t_fg - c->tp, c->tn = t_bg - c->fp;
    image.binary.tp += binary.tp, image.binary.fp += binary.fp;
    image.binary.tn += binary.tn, image.binary.fn += binary.fn;
    std::array<std::vector<double>, kConfusionMembers> curve;
    for (int i = 0; i < kConfusionMembers; ++i) {
      if (!need[i]) continue;
      curve[i].resize(256);
      double sum = 0, mx = -std::numeric_limits<double>::infinity();
      for (int t = 0; t < 256; ++t) {
        const double x = members[i].value({tp[t], fp[t], t_bg - fp[t], t_fg - tp[t]});
        curve[i][t] = x;
        image.curve_sum[i][t] += x;
        sum += x, mx = std::max(mx, x);
      }
      image.sample[i][kAdp] += members[i].value(adaptive);
      image.sample[i][kMean] += sum / 256;
      image.sample[i][kMax] += mx;
      image.sample[i][kBi] += members[i].value(binary);
    }
    const int pre = confusion_member_index("pre"), rec = confusion_member_index("rec"),
              fpr = confusion_member_index("fpr");
    if (sel.has(kSiAucPrFamily)) image.auc_pr += trapezoid_auc(curve[pre], curve[rec]);
    if (sel.has(kSiAucRocFamily)) image.auc_roc += trapezoid_auc(curve[rec], curve[fpr]);
    for (int i = 0; i < kConfusionMembers; ++i) {
      if (!need[i]) continue;
      ConfusionCurve& kept = image.target_curves[i].emplace_back();
      std::copy(curve[i].begin(), curve[i].end(), kept.begin());
    }
  }
  image.n_targets = T;
  for (auto& modes : image.sample)
    for (double& x : modes) x /= T;
  image.auc_pr /= T, image.auc_roc /= T;

  if (sel.has(kSiMaeFamily)) {
    if (whole) {
      image.si_mae = mae_targets;  // the plain MAE
    } else {
      // Outside every box: the target-free background.
      cv::Mat covered = cv::Mat::zeros(rows, cols, CV_8UC1);
      for (const cv::Rect& box : boxes) covered(box).setTo(1);
      Hist out_fg{}, out_bg{};
      std::int64_t bg_area = 0;
      for (int r = 0; r < rows; ++r) {
        const std::uint8_t* pr = pred.ptr<std::uint8_t>(r);
        const std::uint8_t* cr = covered.ptr<std::uint8_t>(r);
        const std::uint8_t* gr = gt + static_cast<std::size_t>(r) * cols;
        for (int c = 0; c < cols; ++c)
          if (!cr[c]) (gr[c] ? out_fg : out_bg)[pr[c]]++, ++bg_area;
      }
      if (bg_area == 0) {
        image.si_mae = kNaN;  // PySODMetrics: 0·0/0
      } else {
        const double ratio = static_cast<double>(bg_area) / static_cast<double>(n - bg_area);
        const double factor = 1 / (T + ratio);
        // PySODMetrics' order: ratio·error/area·factor, then += error_k/area_k·factor per target.
        double mae = ratio * abs_error(out_fg, out_bg) / static_cast<double>(bg_area) * factor;
        for (const cv::Rect& box : boxes) {
          histograms(box, fg, bg);
          mae += abs_error(fg, bg) / (static_cast<double>(box.width) * box.height) * factor;
        }
        image.si_mae = mae;
      }
    }
    values["si_mae"] = image.si_mae;
  }
}

SizeInvarianceAccumulator::SizeInvarianceAccumulator(const MetricSelection& sel)
    : selection_(sel), needed_(needed_members(sel)) {}

void SizeInvarianceAccumulator::add(const SizeInvariantImage& image) {
  ++n_images_;
  if (!image.defined) {
    ++n_skipped_;
    return;
  }
  mae_.add(image.si_mae);
  if (std::isnan(image.si_mae)) ++n_mae_nan_;
  else mae_finite_.add(image.si_mae);
  auc_pr_.add(image.auc_pr);
  auc_roc_.add(image.auc_roc);
  n_targets_ += image.n_targets;
  for (int i = 0; i < kConfusionMembers; ++i) {
    if (!needed_[i]) continue;
    for (int m = 0; m < 4; ++m) sample_[i][m].add(image.sample[i][m]);
    for (int t = 0; t < 256; ++t) curve_sums_[i][t].add(image.curve_sum[i][t]);
  }
  binary_.tp += image.binary.tp, binary_.fp += image.binary.fp;
  binary_.tn += image.binary.tn, binary_.fn += image.binary.fn;
}

void SizeInvarianceAccumulator::result(std::map<std::string, double>& d,
                                       std::map<std::string, std::vector<double>>& curves) const {
  const double n = static_cast<double>(n_images_ - n_skipped_);
  if (selection_.has(kSiMaeFamily)) {
    d["si_mae"] = n > 0 ? mae_.value() / n : kNaN;
    const double finite = n - static_cast<double>(n_mae_nan_);
    d["si_mae_nanmean"] = finite > 0 ? mae_finite_.value() / finite : kNaN;
    d["si_mae_n_nan"] = static_cast<double>(n_mae_nan_);
    d["si_n_skipped"] = static_cast<double>(n_skipped_);
  }
  const auto& members = confusion_members();
  std::array<std::vector<double>, kConfusionMembers> curve;
  for (int i = 0; i < kConfusionMembers; ++i) {
    if (!needed_[i]) continue;
    curve[i].assign(256, kNaN);
    if (n_targets_ > 0)
      for (int t = 0; t < 256; ++t) curve[i][t] = curve_sums_[i][t].value() / static_cast<double>(n_targets_);
    if (!selection_.has(size_invariance_family(i))) continue;
    const std::string m = members[i].name;
    for (int k = 0; k < 4; ++k) d["si_sample_" + std::string(kSampleModes[k]) + m] = n > 0 ? sample_[i][k].value() / n : kNaN;
    double sum = 0, mx = curve[i][0];
    for (double v : curve[i]) sum += v, mx = std::max(mx, v);
    d["si_overall_mean" + m] = sum / 256;
    d["si_overall_max" + m] = mx;
    d["si_overall_bi" + m] = members[i].value(binary_);
    curves["curve_" + size_invariance_family(i)] = curve[i];
  }
  const int pre = confusion_member_index("pre"), rec = confusion_member_index("rec"), fpr = confusion_member_index("fpr");
  if (selection_.has(kSiAucPrFamily)) {
    d["si_sample_auc_pr"] = n > 0 ? auc_pr_.value() / n : kNaN;
    d["si_overall_auc_pr"] = trapezoid_auc(curve[pre], curve[rec]);
  }
  if (selection_.has(kSiAucRocFamily)) {
    d["si_sample_auc_roc"] = n > 0 ? auc_roc_.value() / n : kNaN;
    d["si_overall_auc_roc"] = trapezoid_auc(curve[rec], curve[fpr]);
  }
}

}  // namespace sodlab::metrics
