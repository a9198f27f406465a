#include "metrics/evaluator.h"

#include "core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sodlab::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Largest value ignoring NaN (MATLAB max / numpy on NaN-free curves) and the largest threshold
// that reaches it (argmax over the descending threshold order); NaN, -1 if all NaN.
std::pair<double, int> max_with_threshold(const std::vector<double>& c) {
  double best = kNaN;
  int at = -1;
  for (int t = 255; t >= 0; --t)
    if (!std::isnan(c[t]) && (at < 0 || c[t] > best)) best = c[t], at = t;
  return {best, at};
}

double mean_of(const std::vector<double>& c) {
  double s = 0;
  for (double x : c) s += x;
  return s / static_cast<double>(c.size());
}

}  // namespace

Evaluator::Evaluator(Convention convention, MetricSelection selection, bool normalize)
    : convention_(convention), selection_(selection), normalize_(normalize), confusion_(selection_),
      size_invariance_(selection_), curve_sums_(kCurves) {
  if (!normalize && convention != Convention::pysodmetrics)
    throw InputError(std::string("--no-normalize (PySODMetrics' normalize=False) applies to the pysodmetrics "
                                 "convention only, not ") + convention_name(convention));
}

void Evaluator::add(const std::string& stem, const cv::Mat& pred_u8, const cv::Mat& gt_u8, const cv::Mat& rgb) {
  ImageEvaluation image;
  try {
    image = evaluate_image(pred_u8, gt_u8, convention_, selection_, normalize_, rgb);
  } catch (const InputError& e) {
    throw InputError("image '" + stem + "': " + e.what());
  }
  add(stem, image);
}

void Evaluator::add(const std::string& stem, const ImageEvaluation& image) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!per_image_.emplace(stem, image.values).second)
    throw InputError("image '" + stem + "' was added twice (duplicate stem)");
  ++n_images_;
  for (const auto& [key, value] : image.values) {
    sums_[key].add(value);
    if (!std::isnan(value)) {
      sums_finite_[key].add(value);
      ++n_finite_[key];
    }
  }
  const Curve* curves[kCurves] = {&image.precision, &image.recall, &image.fmeasure,
                                  &image.emeasure, &image.tpr, &image.fpr, &image.iou,
                                  &image.hit_rate, &image.false_alarm};
  for (int k = 0; k < kCurves; ++k)
    for (int t = 0; t < 256; ++t) curve_sums_[k][t].add((*curves[k])[t]);
  confusion_.add(image.confusion);
  if (selection_.has("msiou")) msiou_.add(image.msiou);
  if (any_size_invariance(selection_)) size_invariance_.add(image.size_invariance);
  if (n_images_ == 1 || stem > last_stem_) {
    last_stem_ = stem;
    last_all_zero_ = image.all_zero_map;
  }
}

EvaluationResult Evaluator::result() const {
  std::lock_guard<std::mutex> lock(mutex_);
  EvaluationResult out;
  out.convention = convention_;
  out.normalize = normalize_;
  out.n_images = n_images_;
  out.per_image = per_image_;
  if (n_images_ == 0) return out;
  const bool pysod = convention_ == Convention::pysodmetrics;
  const double n = static_cast<double>(n_images_);
  // Toolbox: curves and adaptive P/R/F are divided by totalNum, which performCalcu.m resets for
  // every image, so only the last image (in file-name order) can lower it.
  const double total_num = pysod ? n : n - (last_all_zero_ ? 1 : 0);
  auto& d = out.dataset;
  auto mean = [&](const char* key) {
    auto it = sums_.find(key);
    return it == sums_.end() ? kNaN : it->second.value() / n;
  };
  auto mean_finite = [&](const char* key) {
    auto it = sums_finite_.find(key);
    return it == sums_finite_.end() ? kNaN : it->second.value() / n_finite_.at(key);
  };
  auto curve = [&](int id, double denom) {
    std::vector<double> c(256);
    for (int t = 0; t < 256; ++t) c[t] = curve_sums_[id][t].value() / denom;
    return c;
  };
  auto f_of = [](const std::vector<double>& p, const std::vector<double>& r, bool zero_if_zero) {
    std::vector<double> f(256);
    for (int t = 0; t < 256; ++t) {
      const double num = 1.3 * p[t] * r[t];
      f[t] = (zero_if_zero && num == 0) ? 0.0 : num / (0.3 * p[t] + r[t]);
    }
    return f;
  };

  if (selection_.has("mae")) d["MAE"] = pysod ? mean("MAE") : mean_finite("MAE");
  if (selection_.has("sm")) d["Sm"] = pysod ? mean("Sm") : mean_finite("Sm");
  if (selection_.has("wfm")) d["wFm"] = mean("wFm");
  if (selection_.has("miou")) d["mIoU50"] = mean("IoU50");
  if (selection_.has("hce")) d["HCE"] = mean("HCE");
  if (selection_.has("cm")) d["cm"] = mean("cm");
  if (selection_.has("ccm")) d["ccm"] = mean("ccm");
  if (selection_.has("msiou")) {
    d["adpmsiou"] = mean("adpmsiou");
    d["sample_bimsiou"] = mean("sample_bimsiou");
    msiou_.result(n_images_, d, out.curves);
  }

  std::vector<double> f_primary;
  if (selection_.has("fm")) {
    const auto P = curve(kP, total_num), R = curve(kR, total_num);
    const auto F_mean = curve(kF, total_num);
    const auto F_pr = f_of(P, R, pysod);
    f_primary = pysod ? F_mean : F_pr;
    const auto [maxf, at] = max_with_threshold(f_primary);
    d["maxF"] = maxf;
    d["meanF"] = mean_of(f_primary);
    d["maxF_threshold"] = at / 255.0;  // on the [0, 1] scale of the maps: the 8-bit threshold / 255
    d["maxF_of_mean_F"] = max_with_threshold(F_mean).first;
    d["meanF_of_mean_F"] = mean_of(F_mean);
    d["maxF_of_mean_PR"] = max_with_threshold(F_pr).first;
    d["meanF_of_mean_PR"] = mean_of(F_pr);
    d["mean_of_per_image_maxF"] = mean("maxF");
    if (pysod) {
      d["adpF"] = mean("adpF");
      d["adpP"] = mean("adpP");
      d["adpR"] = mean("adpR");
    } else {
      d["adpF"] = sums_.at("adpF").value() / total_num;
      d["adpP"] = sums_.at("adpP").value() / total_num;
      d["adpR"] = sums_.at("adpR").value() / total_num;
    }
    out.curves["curve_P"] = P;
    out.curves["curve_R"] = R;
    out.curves["curve_F"] = f_primary;
    out.curves["curve_F_of_mean_F"] = F_mean;
    out.curves["curve_F_of_mean_PR"] = F_pr;
  }
  if (selection_.has("em")) {
    const auto E = curve(kE, n);
    const auto [maxe, at] = max_with_threshold(E);
    d["maxEm"] = maxe;
    d["meanEm"] = mean_of(E);
    d["maxEm_threshold"] = at / 255.0;
    d["adpEm"] = mean("adpEm");
    d["mean_of_per_image_maxEm"] = mean("maxEm");
    out.curves["curve_E"] = E;
  }
  if (selection_.has("auroc")) {
    d["AUROC"] = mean_finite("AUROC");
    d["AUROC_n_valid"] = static_cast<double>(n_finite_.count("AUROC") ? n_finite_.at("AUROC") : 0);
    const auto TPR = curve(kTPR, total_num), FPR = curve(kFPR, total_num);
    double auc = 0;
    if (pysod) {  // PySOD test script: ascending threshold, sorted by FPR, np.trapz
      std::vector<int> idx(256);
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return FPR[a] < FPR[b]; });
      for (int i = 0; i + 1 < 256; ++i)
        auc += (FPR[idx[i + 1]] - FPR[idx[i]]) * (TPR[idx[i + 1]] + TPR[idx[i]]) / 2.0;
    } else {  // performCalcu.m: trapz(mean false alarm, mean hit rate), thresholds descending
      const auto hit = curve(kHit, total_num), fa = curve(kFalseAlarm, total_num);
      for (int t = 255; t > 0; --t) auc += (fa[t - 1] - fa[t]) * (hit[t - 1] + hit[t]);
      auc /= 2;
    }
    d["AUROC_curve256"] = auc;
    out.curves["curve_TPR"] = TPR;
    out.curves["curve_FPR"] = FPR;
  }
  if (selection_.has("iou")) {
    const auto IoU = curve(kIoU, total_num);
    d["meanIoU"] = mean_of(IoU);
    d["maxIoU"] = max_with_threshold(IoU).first;
    if (!f_primary.empty()) {
      const int at = max_with_threshold(f_primary).second;
      d["IoU_at_maxF"] = at >= 0 ? IoU[at] : kNaN;
    }
    out.curves["curve_IoU"] = IoU;
  }
  if (any_size_invariance(selection_)) size_invariance_.result(d, out.curves);
  confusion_.result(n_images_, [&](const std::string& key) { return mean(key.c_str()); }, d, out.curves);
  return out;
}

}  // namespace sodlab::metrics
