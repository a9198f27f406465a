#include "metrics/convention.h"

#include "core/error.h"
#include "core/label_mask.h"
#include "metrics/confusion_metrics.h"
#include "metrics/size_invariance.h"

#include <algorithm>
#include <cstdio>
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

namespace {

// The confusion-matrix families (confusion_metrics.h): one per member, its keys one per mode.
void add_confusion_families(std::vector<MetricFamilyEntry>& out) {
  const auto& members = confusion_members();
  for (int i = 0; i < kConfusionMembers; ++i) {
    const ConfusionMember& m = members[i];
    MetricFamilyEntry e{confusion_family(i),
                        std::string("confusion matrix: ") + m.definition +
                            "; adaptive, dynamic mean/max (curve), binary per image and pooled (PySODMetrics "
                            "FmeasureV2)",
                        {},
                        kConfusionGroup};
    for (const ConfusionMode& mode : confusion_modes())
      e.keys.push_back({mode.prefix + std::string(m.name), m.better, std::string(m.name) + " " + mode.description});
    out.push_back(std::move(e));
  }
  out.push_back({kAucPrFamily, "area under the dataset-mean precision-recall curve (256 thresholds)",
                 {{"auc_pr", Better::higher,
                   "trapezoid area of the dataset-mean precision over recall (256 thresholds, sorted by recall; "
                   "PySODMetrics' test script)"}},
                 kConfusionGroup});
  out.push_back({kAucRocFamily, "area under the dataset-mean ROC curve (256 thresholds)",
                 {{"auc_roc", Better::higher,
                   "trapezoid area of the dataset-mean recall over FPR (256 thresholds, sorted by FPR, no (0,0) "
                   "anchor; PySODMetrics' test script)"}},
                 kConfusionGroup});
}

// Every family, in the order tables list them.
std::vector<MetricFamilyEntry> all_families() {
  using B = Better;
  std::vector<MetricFamilyEntry> families(
      {
          {"mae", "mean absolute error", {{"MAE", B::lower, "mean over images of the mean |map - mask|", true}}},
          {"fm", "F-measure (β² = 0.3): adaptive, max and mean over 256 thresholds; P/R/F curves",
           {{"maxF", B::higher, "maximum over thresholds of the dataset F curve (the convention's)", true},
            {"meanF", B::higher, "mean over the 256 thresholds of the dataset F curve"},
            {"adpF", B::higher, "mean F at each image's adaptive threshold min(2·mean, 1)", true},
            {"adpP", B::higher, "mean precision at the adaptive threshold"},
            {"adpR", B::higher, "mean recall at the adaptive threshold"},
            {"maxF_threshold", B::neither, "the threshold (on [0, 1]) of maxF"},
            {"maxF_of_mean_F", B::higher, "maximum of the mean of per-image F curves (PySODMetrics)"},
            {"meanF_of_mean_F", B::higher, "mean of the mean of per-image F curves"},
            {"maxF_of_mean_PR", B::higher, "maximum of F computed from mean P and mean R (toolbox)"},
            {"meanF_of_mean_PR", B::higher, "mean of F computed from mean P and mean R"},
            {"mean_of_per_image_maxF", B::higher, "mean over images of each image's maximum F"}}},
          {"wfm", "weighted F-measure (Margolin 2014)",
           {{"wFm", B::higher, "weighted F-measure (β² = 1), mean over images", true}}},
          {"sm", "S-measure (structure, α = 0.5)",
           {{"Sm", B::higher, "structure measure, mean over images", true}}},
          {"em", "E-measure: adaptive, max and mean; E curve",
           {{"maxEm", B::higher, "maximum over thresholds of the mean E curve", true},
            {"meanEm", B::higher, "mean over thresholds of the mean E curve"},
            {"adpEm", B::higher, "mean E at the adaptive threshold"},
            {"maxEm_threshold", B::neither, "the threshold (on [0, 1]) of maxEm"},
            {"mean_of_per_image_maxEm", B::higher, "mean over images of each image's maximum E"}}},
          {"auroc", "exact AUROC per image (ties 1/2), 256-threshold curve AUC, TPR/FPR curves",
           {{"AUROC", B::higher, "exact pixel ROC AUC per image (ties ½), mean over images with both classes", true},
            {"AUROC_n_valid", B::neither, "images with both classes (those AUROC averages)"},
            {"AUROC_curve256", B::higher, "trapezoid AUC of the dataset's 256-threshold ROC curve"}}},
          {"iou", "IoU over 256 thresholds (mean, max; at the max-F threshold with fm)",
           {{"meanIoU", B::higher, "mean over thresholds of the dataset IoU curve"},
            {"maxIoU", B::higher, "maximum over thresholds of the dataset IoU curve"},
            {"IoU_at_maxF", B::higher, "IoU at maxF's threshold (with fm)"}}},
          {"miou",
           "IoU of the raw map thresholded at 0.5 (u8 >= 128; both empty = 1) per image, mean over "
           "images (Kolkin Table 3's MIoU, printed x100); not the threshold-averaged meanIoU",
           {{"mIoU50", B::higher, "mean over images of the IoU of the map thresholded at 0.5"}}},
          {"hce",
           "human correction effort (Qin et al. 2022; PySODMetrics, relax 5, epsilon 2): polygon points and "
           "regions to fix the map > 0.5",
           {{"HCE", B::lower,
             "mean over images of the control points and independent regions needed to correct the relaxed "
             "false positives and negatives of the map > 0.5"}}},
          {"cm",
           "Context-measure (Wang et al. 2025; PySODMetrics ContextMeasure, β² 1, α 6): forward inference "
           "and reverse deduction under a GT-shaped Gaussian kernel",
           {{"cm", B::higher,
             "mean over images of the F-measure of the kernel-spread GT's relevance of the map and the map's "
             "coverage of the GT"}}},
          {"ccm",
           "camouflage Context-measure (PySODMetrics CamouflageContextMeasure, β² 1.2, γ 8, λ 20): cm with "
           "the camouflage degree of the RGB image (--images DIR)",
           {{"ccm", B::higher,
             "mean over images of cm whose reverse deduction also weighs the GT by how well background "
             "patches rebuild it (CIEDE2000)"}},
           "",
           true},
          {"msiou",
           "multi-scale IoU of edges (Ahmadzadeh et al. 2021; PySODMetrics MSIoU, 10 grid levels): adaptive, "
           "dynamic mean/max over 257 thresholds, binary",
           {{"adpmsiou", B::higher, "mean over images of the MSIoU of the map >= the adaptive threshold"},
            {"meanmsiou", B::higher, "mean over the 257 thresholds of the dataset-mean MSIoU curve"},
            {"maxmsiou", B::higher, "maximum over the 257 thresholds of the dataset-mean MSIoU curve"},
            {"sample_bimsiou", B::higher, "mean over images of the MSIoU of the map > 0.5"}}},
      });
  add_confusion_families(families);
  for (const auto& e : size_invariance_families()) families.push_back(e);
  return families;
}

}  // namespace

const NameRegistry<MetricFamilyEntry>& metric_family_registry() {
  static const NameRegistry<MetricFamilyEntry> registry("metric family", all_families());
  return registry;
}

std::vector<std::string> metric_names(const MetricSelection& selection) {
  std::vector<std::string> out;
  for (const auto& e : metric_family_registry().entries())
    if (selection.has(e.name))
      for (const auto& k : e.keys) out.push_back(k.name);
  out.push_back("n_images");
  return out;
}

const MetricKey* find_metric_key(const std::string& name) {
  for (const auto& e : metric_family_registry().entries())
    for (const auto& k : e.keys)
      if (k.name == name) return &k;
  return nullptr;
}

Better metric_direction(const std::string& name) {
  const MetricKey* k = find_metric_key(name);
  return k ? k->better : Better::higher;
}

const char* better_name(Better b) {
  return b == Better::higher ? "higher" : b == Better::lower ? "lower" : "neither";
}

std::string describe_metric_families() {
  std::ostringstream os;
  os << "metric families (--metrics NAME,...; a group name selects its families; all = every family but ccm,\n"
     << "which needs --images DIR)\n"
     << "direction: higher / lower is better, neither = a diagnostic\n";
  for (const auto& e : metric_family_registry().entries()) {
    os << "\n" << e.name;
    if (!e.group.empty()) os << "  [group " << e.group << "]";
    os << ": " << e.summary << "\n";
    for (const auto& k : e.keys) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %-26s %-8s ", k.name.c_str(), better_name(k.better));
      os << buf << k.definition << "\n";
    }
  }
  return os.str();
}

MetricSelection::MetricSelection() {
  for (const auto& e : metric_family_registry().entries())
    if (!e.needs_images) families_.insert(e.name);
}

MetricSelection MetricSelection::none() {
  MetricSelection s;
  s.families_.clear();
  return s;
}

MetricSelection MetricSelection::from_names(const std::vector<std::string>& names) {
  MetricSelection s = none();
  for (const auto& name : names) {
    if (name == "all") {  // every map-and-mask family, and the other names listed ("all,ccm")
      const MetricSelection every;
      s.families_.insert(every.families_.begin(), every.families_.end());
      continue;
    }
    if (metric_family_registry().find(name)) {
      s.families_.insert(name);
      continue;
    }
    std::vector<std::string> known = metric_family_registry().names(), groups;
    for (const auto& e : metric_family_registry().entries())
      if (!e.group.empty() && std::find(groups.begin(), groups.end(), e.group) == groups.end())
        groups.push_back(e.group);
    if (std::find(groups.begin(), groups.end(), name) != groups.end()) {
      for (const auto& e : metric_family_registry().entries())
        if (e.group == name) s.families_.insert(e.name);
      continue;
    }
    known.insert(known.end(), groups.begin(), groups.end());
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
    if (has(e.name)) on.push_back(e.name);
  return join_names(on, ",");
}

}  // namespace sodlab::metrics
