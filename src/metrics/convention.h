// Named metric conventions (see ../../../shared/research/metric-conventions.md) and the metric
// families the evaluator can compute.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "core/names.h"

namespace sodlab::metrics {

// pysodmetrics: PySODMetrics 1.6.2 (GT > 128, min-max stretched maps, 256 thresholds >=, dataset
// F/E curves = mean of per-image curves). sal_eval_toolbox: ArcherFMY/sal_eval_toolbox (MATLAB;
// GT >= 0.1·255, maps divided by their max, dataset curves = Σ/totalNum, F of mean P and R).
enum class Convention { pysodmetrics, sal_eval_toolbox };

// Throws InputError listing the valid names.
Convention parse_convention(const std::string& name);
const char* convention_name(Convention c);
std::vector<std::string> convention_names();

// The label-mask rule of core/label_mask.h on a CV_8UC1 mask: true (and `mask` scaled to 0/255 in
// place) when it holds 0/1 labels.
bool expand_label_mask(cv::Mat& mask);

// Which metric families the evaluator computes (every one by default).
struct MetricSelection {
  bool mae = true, fm = true, wfm = true, sm = true, em = true, auroc = true, iou = true, miou = true;
  // "all" or a comma-separated subset of the registry's names; InputError on an unknown name.
  static MetricSelection parse(const std::string& csv);
  static MetricSelection from_names(const std::vector<std::string>& names);  // same, as a list
  std::string to_string() const;
};

// The metric-family registry (convention.cpp): name, what it computes, its MetricSelection flag
// and the dataset-level keys it produces (results.metric; "n_images" is added for every set).
// The one list of family names and of metric names.
struct MetricFamilyEntry {
  std::string name, summary;
  bool MetricSelection::*flag;
  std::vector<std::string> produces;
};
const NameRegistry<MetricFamilyEntry>& metric_family_registry();
// Every dataset-level key the families of `selection` produce, plus "n_images".
std::vector<std::string> metric_names(const MetricSelection& selection = {});

}  // namespace sodlab::metrics
