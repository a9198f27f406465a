#include "metrics/convention.h"

#include "core/error.h"

#include <sstream>

namespace sodlab::metrics {

Convention parse_convention(const std::string& name) {
  if (name == "pysodmetrics") return Convention::pysodmetrics;
  if (name == "sal_eval_toolbox") return Convention::sal_eval_toolbox;
  throw InputError(unknown_name_message("metric convention", name, convention_names()));
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
           &MetricSelection::fm, {"maxF", "meanF", "adpF", "adpP", "adpR"}},
          {"wfm", "weighted F-measure (Margolin 2014)", &MetricSelection::wfm, {"wFm"}},
          {"sm", "S-measure (structure, α = 0.5)", &MetricSelection::sm, {"Sm"}},
          {"em", "E-measure: adaptive, max and mean; E curve", &MetricSelection::em,
           {"maxEm", "meanEm", "adpEm"}},
          {"auroc", "exact AUROC per image (ties 1/2), TPR/FPR curves", &MetricSelection::auroc,
           {"AUROC"}},
          {"iou", "IoU over 256 thresholds (mean, max, at the max-F threshold)", &MetricSelection::iou,
           {"meanIoU", "maxIoU"}},
      });
  return registry;
}

MetricSelection MetricSelection::from_names(const std::vector<std::string>& names) {
  MetricSelection s{false, false, false, false, false, false, false};
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
