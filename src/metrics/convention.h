// Named metric conventions (see ../../../shared/research/metric-conventions.md) and the metric
// families the evaluator can compute.
#pragma once

#include <opencv2/core.hpp>

#include <set>
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

// Which metric families the evaluator computes (every registered one by default), by name.
class MetricSelection {
 public:
  MetricSelection();                 // every family of the registry that needs only maps and masks
  static MetricSelection none();     // no family (only the binary GT and the value range)
  // "all" or a comma-separated list of the registry's family names and group names (a group
  // selects each of its families); InputError on an unknown name. "all" leaves out the families
  // that need the RGB images (ccm): name them ("all,ccm").
  static MetricSelection parse(const std::string& csv);
  static MetricSelection from_names(const std::vector<std::string>& names);  // same, as a list
  bool has(const std::string& family) const { return families_.count(family) > 0; }
  const std::set<std::string>& families() const { return families_; }  // the selected names
  std::string to_string() const;    // the selected names, in registry order

 private:
  std::set<std::string> families_;
};

// Which way a dataset-level value is better: the one source of ↑ / ↓ in every table.
enum class Better { higher, lower, neither };

// One dataset-level key a family produces (results.metric).
struct MetricKey {
  std::string name;        // "MAE", "maxF", ...
  Better better;           // `neither` for diagnostics (thresholds, counts)
  std::string definition;  // one line, for --help, the report and README tables
  bool headline = false;   // a column of `sodlab eval`'s methods x datasets table
};

// The metric-family registry (convention.cpp): the one list of family names and of metric keys.
// A family: its name (--metrics, eval.metrics), what it computes, the dataset-level keys it
// produces ("n_images" is added for every set). A new family adds one entry here and its
// computation in image_metrics.cpp (per image) and evaluator.cpp (dataset); every table, the
// selection and the conformance test read the registry.
struct MetricFamilyEntry {
  std::string name, summary;
  std::vector<MetricKey> keys;
  std::string group = "";  // a name that selects several families at once ("confusion"), or ""
  bool needs_images = false;  // needs the RGB photographs (ccm): selected by name only, not by "all"
};
const NameRegistry<MetricFamilyEntry>& metric_family_registry();
// Every dataset-level key the families of `selection` produce, plus "n_images".
std::vector<std::string> metric_names(const MetricSelection& selection = {});
// The registry's entry for a dataset-level key (nullptr for a key no family produces).
const MetricKey* find_metric_key(const std::string& name);
// Its direction: `higher` for a key the registry does not know (e.g. a paper table's own column).
Better metric_direction(const std::string& name);
const char* better_name(Better b);  // "higher", "lower", "neither"
// Every family (with its group) and every key with its direction and definition, as text
// (`sodlab eval --list-metrics`).
std::string describe_metric_families();

}  // namespace sodlab::metrics
