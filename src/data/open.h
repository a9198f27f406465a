// Opening a dataset by name: the entry point the run orchestration uses.
//
// `name` is "synthetic" (options n, size, seed → SyntheticDataset), a catalogue name (folder under
// data_root), or a path to a folder in the standard layout. Options: split (a split name resolved
// with resolve_split_file, or a path to a split file); for synthetic: n, size, seed. Unknown
// options → InputError (Options::reject_unknown).
#pragma once

#include <filesystem>
#include <string>

#include "core/options.h"
#include "data/dataset.h"

namespace sodlab::data {

DatasetPtr open_dataset(const std::string& name, const std::filesystem::path& data_root,
                        Options& options);

}  // namespace sodlab::data
