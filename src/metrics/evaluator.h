// Dataset evaluator: accumulates per-image metrics and 256-threshold curves under one convention.
//
// add() is thread-safe and keeps O(1) state per image besides the per-image scalar results (no
// maps are kept). Dataset sums are order-independent (ExactSum), so results do not depend on
// the number of threads. result() may be called at any time.
#pragma once

#include "metrics/convention.h"
#include "metrics/exact_sum.h"
#include "metrics/image_metrics.h"

#include <opencv2/core.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sodlab::metrics {

struct EvaluationResult {
  Convention convention = Convention::pysodmetrics;
  bool normalize = true;  // false: maps were v/255 without the min-max stretch (--no-normalize)
  std::int64_t n_images = 0;
  std::map<std::string, double> dataset;                             // NaN = undefined
  std::map<std::string, std::map<std::string, double>> per_image;    // stem → metric → value
  std::map<std::string, std::vector<double>> curves;                 // 256 values, threshold 0..255
};

class Evaluator {
 public:
  // normalize: as evaluate_image's (false only under pysodmetrics, else InputError).
  explicit Evaluator(Convention convention, MetricSelection selection = {}, bool normalize = true);

  // pred_u8, gt_u8: CV_8UC1, same size. InputError on bad input or a stem added twice.
  // rgb: the photograph (CV_8UC3, RGB order) for ccm, else empty.
  void add(const std::string& stem, const cv::Mat& pred_u8, const cv::Mat& gt_u8, const cv::Mat& rgb = cv::Mat());
  // Adds an evaluation computed elsewhere with evaluate_image (same convention and selection).
  void add(const std::string& stem, const ImageEvaluation& image);

  EvaluationResult result() const;
  Convention convention() const { return convention_; }
  const MetricSelection& selection() const { return selection_; }
  bool normalize() const { return normalize_; }

 private:
  enum CurveId { kP, kR, kF, kE, kTPR, kFPR, kIoU, kHit, kFalseAlarm, kCurves };

  Convention convention_;
  MetricSelection selection_;
  bool normalize_;
  mutable std::mutex mutex_;
  ConfusionAccumulator confusion_;
  MsiouAccumulator msiou_;
  SizeInvarianceAccumulator size_invariance_;
  std::int64_t n_images_ = 0;
  std::map<std::string, std::map<std::string, double>> per_image_;
  std::map<std::string, ExactSum> sums_;       // Σ per-image values
  std::map<std::string, ExactSum> sums_finite_;  // Σ over non-NaN values (toolbox MAE/Sm, AUROC)
  std::map<std::string, std::int64_t> n_finite_;
  std::vector<std::array<ExactSum, 256>> curve_sums_;
  std::string last_stem_;                      // toolbox totalNum quirk: last image in name order
  bool last_all_zero_ = false;
};

}  // namespace sodlab::metrics
