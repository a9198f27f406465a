// The dataset registry: every name an experiment's `dataset = "..."` may use, and opening one.
//
// One table (registry.cpp): the built-in generator "synthetic" (options n, size, seed) and the
// catalogue of real datasets, each a folder under the data root in the standard layout
// (folder.h). A name that is not in the table but contains '/' or starts with '.' is a path to
// such a folder. Every dataset takes the option `split` (a split name resolved with
// resolve_split_file, or a path to a split file; "" or "all" = the whole set). Unknown names and
// options → InputError naming the closest known one.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/names.h"
#include "core/options.h"
#include "data/dataset.h"

namespace sodlab::data {

struct DatasetEntry {
  std::string name;
  std::string folder;   // folder under the data root; "" for generated datasets
  std::string summary;
  // Opens the whole set (no split) from its options; reads every option it knows.
  std::function<DatasetPtr(const std::filesystem::path& dir, Options&)> open;
};

const NameRegistry<DatasetEntry>& dataset_registry();

// DATA_ROOT/<folder of name>. Unknown name → InputError listing the known names (and the closest);
// a known name whose folder is absent → InputError saying where it was looked for.
std::filesystem::path resolve_dataset_dir(const std::filesystem::path& data_root,
                                          const std::string& name);

// Opens `name` (registry name or folder path) with its options, `split` applied.
DatasetPtr open_dataset(const std::string& name, const std::filesystem::path& data_root,
                        Options& options);

}  // namespace sodlab::data
