// `sodlab data check`: a full report on a dataset folder read in its recognised layout.
//
// Every image and mask is decoded (threads workers). Problems (exit 2 in the CLI): images without
// mask, masks without image, unreadable files, masks whose size differs from their image, split
// list entries with no pair, no pair at all. Warnings: a count differing from the published size
// (the user may hold a subset), a split list the layout names but the folder lacks, empty masks,
// 0/1 label masks, non-binary masks of a set whose ground truth is binary. Notes: non-binary masks
// of a soft-GT set (expected; gt_threshold binarises them).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/registry.h"

namespace sodlab::data {

struct SplitCheck {
  std::string split;
  std::filesystem::path file;      // empty when no list was found
  std::size_t size = 0, published = 0, missing = 0;  // missing: entries with no image/mask pair
};

struct DatasetCheck {
  std::string dataset;             // catalogue name, "" for a plain folder
  LayoutMatch match;
  std::size_t images = 0, masks = 0, pairs = 0, published = 0, non_binary = 0;
  std::vector<SplitCheck> splits;
  std::vector<std::string> problems, warnings, notes;  // one line each, naming the file
  bool ok() const { return problems.empty(); }
};

// Checks the dataset at `match` (`entry` gives published sizes, splits and soft GT; nullptr for
// a plain folder).
DatasetCheck check_dataset(const DatasetEntry* entry, const LayoutMatch& match, int threads = 0);

// The catalogue dataset whose layout a folder holds: the standard layout (no entry) first, then
// each entry's archive layouts in catalogue order. nullopt when nothing matches.
struct FolderIdentity {
  const DatasetEntry* entry = nullptr;
  LayoutMatch match;
};
std::optional<FolderIdentity> identify_folder(const std::filesystem::path& dir);

}  // namespace sodlab::data
