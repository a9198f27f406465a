// Split files and k-fold cross-validation.
//
// A split file lists one stem per line (blank lines and lines starting with '#' are skipped;
// surrounding whitespace and a trailing extension such as ".jpg" are removed); a ".mat" split
// file is a MAT-file's cell array of names (matfile.h), read the same way. k-fold: the indices
// 0..n-1 are shuffled once with a seeded, portable RNG; fold f (0-based) is the f-th of k
// contiguous, near-equal parts of that permutation (test), the rest is train. The k test parts are
// disjoint and cover 0..n-1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace sodlab::data {

// InputError naming the file if it cannot be read or is empty.
std::vector<std::string> read_split_file(const std::filesystem::path& path);

// The split file of `split` for a dataset folder: DIR/splits/<split>.txt, else DIR/<split>.txt;
// InputError listing both places when neither exists.
std::filesystem::path resolve_split_file(const std::filesystem::path& dataset_dir,
                                         const std::string& split);

// `base` restricted to the stems in the split file (in file order).
DatasetPtr apply_split_file(DatasetPtr base, const std::filesystem::path& path,
                            const std::string& label);

struct FoldIndices {
  std::vector<std::size_t> train, test;  // each sorted ascending
};
// InputError unless 2 <= k <= n and 0 <= fold < k.
FoldIndices kfold(std::size_t n, int k, int fold, std::uint64_t seed);

// Train and test views of fold `fold` of k (named "<name>/fold<f>of<k>-train|test").
struct FoldDatasets {
  DatasetPtr train, test;
};
FoldDatasets kfold_datasets(DatasetPtr base, int k, int fold, std::uint64_t seed);

// A validation part of `base`: round(fraction × n) samples (at least 1, at most n − 1) drawn by a
// seeded portable shuffle (test), the rest (train); named "<name>/holdout<f>-train|val".
// InputError when n < 2 or fraction is not in (0, 1).
FoldDatasets holdout_datasets(DatasetPtr base, double fraction, std::uint64_t seed);

}  // namespace sodlab::data
