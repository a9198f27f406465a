// Every per-image metric of one (prediction, mask) pair under a named convention, computed from
// one pass over the mask and, for the families that read them, 256-bin class histograms per
// S-measure quadrant (pixel_passes.h), plus each pixel-level family's own passes (wFm, HCE, the
// Context-measure, MSIoU, size invariance).
//
// Curves are indexed by threshold t = 0..255 ascending: a pixel is predicted foreground at t when
// its quantised value (PySOD: uint8(stretched·255); toolbox: the histc bin of sMap with edges
// k/255) is >= t.
#pragma once

#include "metrics/confusion_metrics.h"
#include "metrics/convention.h"
#include "metrics/multiscale_iou.h"
#include "metrics/size_invariance.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace sodlab::metrics {

using Curve = std::array<double, 256>;

struct ImageEvaluation {
  std::map<std::string, double> values;  // per-image metrics (keys as in expected.json); NaN = undefined
  std::int64_t n_pixels = 0, n_fg = 0;
  bool all_zero_map = false;             // every prediction pixel is 0 (toolbox totalNum quirk)
  std::array<std::int64_t, 256> tp{}, fp{};  // foreground / background pixels with bin >= t
  // Per-threshold curves (filled for the selected families): precision, recall, F(β²=0.3),
  // E-measure, TPR, FPR, IoU, toolbox hit rate and false alarm.
  Curve precision{}, recall{}, fmeasure{}, emeasure{}, tpr{}, fpr{}, iou{}, hit_rate{}, false_alarm{};
  ConfusionImage confusion;  // the confusion-matrix families' curves and counts
  MsiouCurve msiou{};        // MSIoU at thresholds 0..256 (family msiou)
  SizeInvariantImage size_invariance;  // the size-invariance families
};

// pred_u8, gt_u8: CV_8UC1 of the same, non-zero size (else InputError). Thread-safe.
// normalize = false (PySODMetrics `normalize=False`, pysodmetrics convention only): the map is
// v/255 without the min-max stretch, for every metric.
// rgb: the photograph (CV_8UC3, RGB order, the mask's size), needed by family ccm only
// (InputError without it).
ImageEvaluation evaluate_image(const cv::Mat& pred_u8, const cv::Mat& gt_u8, Convention convention,
                               const MetricSelection& selection = {}, bool normalize = true,
                               const cv::Mat& rgb = cv::Mat());

// E-measure (Fan et al. 2018, CODToolbox/PySOD form) of a binarised map from its pixel counts:
// tp, fp predicted-foreground pixels on GT foreground / background; n_fg GT pixels of n in all.
double emeasure_from_counts(std::int64_t tp, std::int64_t fp, std::int64_t n_fg, std::int64_t n);

// Exact pixel ROC AUC (Mann-Whitney, ties ½) from per-class histograms of a score; NaN when a
// class is empty.
double auroc_from_histograms(const std::array<std::int64_t, 256>& fg, const std::array<std::int64_t, 256>& bg);

}  // namespace sodlab::metrics
