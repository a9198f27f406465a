// Synthetic pairs (SyntheticDataset) written to disk exactly as a catalogue dataset's archive
// lays them out: its top folder and folder nesting, its file extensions, real-looking stems (the
// entry's synth_stem: MSRA-B's "0_0_547", DUTS's "ILSVRC2012_test_00000004", ...) and its split
// lists in their own format (MSRA-B's train_cvpr2013.txt with mask names, HKU-IS's
// testImgSet.mat as a compressed MAT-file cell array, splits/<name>.txt for the standard layout),
// each split holding its published share of n (at least 1). Tests and profile rehearsals use it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "data/registry.h"
#include "data/synthetic.h"

namespace sodlab::data {

struct SynthLayoutResult {
  std::filesystem::path root;   // the dataset path to locate (OUT, the archive's top folder inside)
  std::string layout;           // the layout written
  std::vector<std::pair<std::string, std::size_t>> splits;  // split name → size written
};

// Split sizes for n samples: each split's published share of n, at least 1 (splits without a
// published size share the samples evenly). InputError when n is smaller than the splits need.
std::vector<std::pair<std::string, std::size_t>> synth_split_sizes(const DatasetEntry& entry, std::size_t n);

// Writes `spec.n` pairs under `out` in the entry's first (archive) layout, or in `layout_name`
// when given (a name of entry.layouts). Files are written atomically (core/output_files.h).
SynthLayoutResult write_synthetic_layout(const DatasetEntry& entry, const std::filesystem::path& out,
                                         const SyntheticSpec& spec, int threads,
                                         const std::string& layout_name = "");

}  // namespace sodlab::data
