#include "metrics/convention.h"

#include "core/error.h"
#include "core/label_mask.h"

#include <sstream>

namespace sodlab::metrics {

Convention parse_convention(const std::string& name) {
  if (name == "pysodmetrics") return Convention::pysodmetrics;
  if (name == "sal_eval_toolbox") return Convention::sal_eval_toolbox;
  throw InputError(unknown_name_message("metric convention", name, convention_names()));
}

bool expand_label_mask(cv::Mat& mask) {
  if (mask.empty() || mask.type() != CV_8UC1) return false;
  if (!mask.isContinuous()) mask = mask.clone();
  return sodlab::expand_label_mask(mask.ptr<std::uint8_t>(), mask.total());
}

const char* convention_name(Convention c) {
  return c == Convention::pysodmetrics ? "pysodmetrics" : "sal_eval_toolbox";
}

std::vector<std::string> convention_names() { return {"pysodmetrics", "sal_eval_toolbox"}; }

const NameRegistry<MetricFamilyEntry>& metric_family_registry() {
  static const NameRegistry<MetricFamilyEntry> registry(
      "metric family",
      {
          {"mae", "mean absolute error", &MetricSelection::mae, {"MAE"}},
          {"fm", "F-measure (β² = 0.3): adaptive, max and mean over 256 thresholds; P/R/F curves",
           &MetricSelection::fm,
           {"maxF", "meanF", "adpF", "adpP", "adpR", "maxF_threshold", "maxF_of_mean_F",
            "meanF_of_mean_F", "maxF_of_mean_PR", "meanF_of_mean_PR", "mean_of_per_image_maxF"}},
          {"wfm", "weighted F-measure (Margolin 2014)", &MetricSelection::wfm, {"wFm"}},
          {"sm", "S-measure (structure, α = 0.5)", &MetricSelection::sm, {"Sm"}},
          {"em", "E-measure: adaptive, max and mean; E curve", &MetricSelection::em,
           {"maxEm", "meanEm", "adpEm", "maxEm_threshold", "mean_of_per_image_maxEm"}},
          {"auroc", "exact AUROC per image (ties 1/2), 256-threshold curve AUC, TPR/FPR curves",
           &MetricSelection::auroc, {"AUROC", "AUROC_n_valid", "AUROC_curve256"}},
          {"iou", "IoU over 256 thresholds (mean, max; at the max-F threshold with fm)",
           &MetricSelection::iou, {"meanIoU", "maxIoU", "IoU_at_maxF"}},
          {"miou",
           "IoU of the raw map thresholded at 0.5 (u8 >= 128; both empty = 1) per image, mean over "
           "images (Kolkin Table 3's MIoU, printed x100); not the threshold-averaged meanIoU",
           &MetricSelection::miou, {"mIoU50"}},
      });
  return registry;
}

std::vector<std::string> metric_names(const MetricSelection& selection) {
  std::vector<std::string> out;
  for (const auto& e : metric_family_registry().entries())
    if (selection.*(e.flag)) out.insert(out.end(), e.produces.begin(), e.produces.end());
  out.push_back("n_images");
  return out;
}

MetricSelection MetricSelection::from_names(const std::vector<std::string>& names) {
  MetricSelection s{false, false, false, false, false, false, false, false};
  for (const auto& name : names) {
    if (name == "all") return MetricSelection{};
    if (const MetricFamilyEntry* e = metric_family_registry().find(name)) {
      s.*(e->flag) = true;
      continue;
    }
    std::vector<std::string> known = metric_family_registry().names();
    known.push_back("all");
    throw InputError(unknown_name_message("metric family", name, known, "metric families"));
  }
  return s;
}

MetricSelection MetricSelection::parse(const std::string& csv) {
  if (csv.empty() || csv == "all") return MetricSelection{};
  std::vector<std::string> names;
  std::stringstream in(csv);
  std::string item;
  while (std::getline(in, item, ',')) names.push_back(item);
  return from_names(names);
}

std::string MetricSelection::to_string() const {
  std::vector<std::string> on;
  for (const auto& e : metric_family_registry().entries())
    if (this->*(e.flag)) on.push_back(e.name);
  return join_names(on, ",");
}

}  // namespace sodlab::metrics
