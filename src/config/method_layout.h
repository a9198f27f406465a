// Where each method's saliency maps and each dataset's masks live, for `sodlab eval --config`
// (the role of PySODEvalToolkit's method and dataset JSON files):
//
//   [datasets.sod]
//   masks = "../shared/data/sod300/masks"     # folder of masks
//   prefix = ""                               # optional: mask file = <prefix><name><suffix>.png
//   suffix = ""
//
//   [methods.DSS]
//   maps = "maps/DSS/{dataset}"               # {dataset} → the dataset's name
//   suffix = "_dss"                           # map file = <prefix><name><suffix>.png|jpg|bmp
//   [methods.DSS.datasets.sod]                # optional: this dataset elsewhere / named otherwise
//   maps = "elsewhere/DSS-SOD"
//
// Relative paths are relative to the config file's folder. Methods and datasets keep their file
// order. A method's `maps` without {dataset} holds one dataset when the file lists one, else one
// subfolder per dataset (<maps>/<dataset>). Unknown keys are errors (file:line:column, the closest
// known key), as everywhere in sodlab's TOML.
#pragma once

#include <string>
#include <vector>

namespace sodlab::config {

struct FolderRule {
  std::string dir;              // resolved against the config file's folder
  std::string prefix, suffix;   // file stem = prefix + image name + suffix
};

struct DatasetLayout {
  std::string name;
  FolderRule masks;
};

struct MethodLayout {
  std::string name;
  FolderRule maps;                                         // dir may hold {dataset}
  std::vector<std::pair<std::string, FolderRule>> per_dataset;  // overrides, by dataset name (dir ""
                                                                // = the method's folder for it)
};

struct EvalLayout {
  std::string path;  // the config file
  std::vector<DatasetLayout> datasets;
  std::vector<MethodLayout> methods;
  // The folder and name rule of `method`'s maps on `dataset` (override, {dataset}, or subfolder).
  FolderRule maps_of(const MethodLayout& method, const std::string& dataset) const;
};

// InputError naming file:line:column and key on any problem (no datasets, no methods, a method
// override naming an unknown dataset, a missing `masks` / `maps`).
EvalLayout load_eval_layout(const std::string& path);

}  // namespace sodlab::config
