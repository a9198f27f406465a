// The dataset registry: every name an experiment's `dataset = "..."` may use, and opening one.
//
// One table (registry.cpp), the one place for each dataset's facts: the built-in generator
// "synthetic" (options n, size, seed) and the catalogue of real datasets, each with its folder
// under the data root, the layouts of its official archive and the community's (layout.h; the
// standard layout images/ + masks/ is accepted for every name), its published sizes (whole set
// and splits), whether its ground truth is soft, and the file names `data synth --layout` writes.
//
// Where a catalogue dataset lives: its entry in the user's datasets file (datasets_file.h), else
// DATA_ROOT/<folder>; either may hold the archive layout or the standard one. A name that is not
// in the table but contains '/' or starts with '.' is a path to a folder in the standard layout.
// Every dataset takes the option `split` (a split name: the archive's split list, e.g. MSRA-B's
// train_cvpr2013.txt for "train", else splits/<name>.txt; or a path to a split file; "" or "all"
// = the whole set). Unknown names and options → InputError naming the closest known one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/names.h"
#include "core/options.h"
#include "data/dataset.h"
#include "data/folder.h"
#include "data/layout.h"

namespace sodlab::data {

struct SplitSize {
  std::string split;
  std::size_t published = 0;  // 0: no published size (sizes are compared, never required)
};

struct DatasetEntry {
  std::string name;
  std::string folder;   // folder under the data root; "" for generated datasets
  std::string summary;
  // Opens the whole set (no split) from its folders and options; reads every option it knows.
  std::function<DatasetPtr(const FolderSpec& folders, Options&)> open;
  std::vector<Layout> layouts;   // the archive's layout first, then variants, the standard layout last
  std::size_t published = 0;     // published number of images (0: none)
  std::vector<SplitSize> splits; // the named splits and their published sizes
  bool soft_gt = false;          // averaged (non-binary) ground truth, binarised by gt_threshold
  std::function<std::string(int)> synth_stem;  // a real-looking stem for sample i (data synth)
};

const NameRegistry<DatasetEntry>& dataset_registry();

// A catalogue entry by registry name or by its folder name ("sod300" is "sod"); nullptr if none.
const DatasetEntry* find_dataset_entry(const std::string& name);

// Where a catalogue dataset was found: the recognised layout and where the path came from.
struct DatasetLocation {
  LayoutMatch match;
  std::string found_in;  // "datasets file <FILE>" or "data root <ROOT>"
  std::filesystem::path given;  // the path as configured (before a nested top folder)
};

// The dataset `name` (a catalogue name): its datasets-file entry, else DATA_ROOT/<folder>, with
// its layout recognised. InputError: unknown name (listing the known ones and the closest), a
// malformed datasets file or an entry naming no folder (file, key, path), no folder found (where
// it was looked for), no layout matching (what was expected).
DatasetLocation locate_dataset(const std::filesystem::path& data_root, const std::string& name);

// The layout of `entry` at `path`; InputError naming the path and every layout looked for.
LayoutMatch recognise_dataset(const DatasetEntry& entry, const std::filesystem::path& path);

// locate_dataset(...).match.root: the dataset's folder.
std::filesystem::path resolve_dataset_dir(const std::filesystem::path& data_root,
                                          const std::string& name);

// Opens `name` (registry name or folder path) with its options, `split` applied.
DatasetPtr open_dataset(const std::string& name, const std::filesystem::path& data_root,
                        Options& options);

}  // namespace sodlab::data
