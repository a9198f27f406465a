#include "data/splits.h"

#include <cmath>
#include <cstdio>

#include <algorithm>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "core/names.h"
#include "data/matfile.h"
#include "data/random.h"

namespace fs = std::filesystem;

namespace sodlab::data {

namespace {
// "0_0_547.png" → "0_0_547"; surrounding whitespace removed.
std::string list_stem(std::string stem) {
  const fs::path p(stem);
  static const char* exts[] = {".jpg", ".jpeg", ".png", ".bmp"};
  for (const char* x : exts)
    if (p.extension() == x) stem = p.stem().string();
  return stem;
}
}  // namespace

std::vector<std::string> read_split_file(const fs::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  if (ext == ".mat") {
    std::vector<std::string> stems;
    for (const auto& s : read_mat_strings(path)) {
      const auto b = s.find_first_not_of(" \t\r\n");
      if (b != std::string::npos) stems.push_back(list_stem(s.substr(b)));
    }
    if (stems.empty()) throw InputError("split file " + path.string() + " lists no stems");
    return stems;
  }
  std::ifstream in(path);
  if (!in) throw InputError("cannot read split file " + path.string());
  std::vector<std::string> stems;
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r\n");
    if (b == std::string::npos || line[b] == '#') continue;
    const auto e = line.find_last_not_of(" \t\r\n");
    stems.push_back(list_stem(line.substr(b, e - b + 1)));
  }
  if (stems.empty()) throw InputError("split file " + path.string() + " lists no stems");
  return stems;
}

fs::path resolve_split_file(const fs::path& dataset_dir, const std::string& split) {
  const fs::path a = dataset_dir / "splits" / (split + ".txt"), b = dataset_dir / (split + ".txt");
  if (fs::is_regular_file(a)) return a;
  if (fs::is_regular_file(b)) return b;
  throw InputError("split '" + split + "' not found: looked for " + a.string() + " and " + b.string());
}

DatasetPtr apply_split_file(DatasetPtr base, const fs::path& path, const std::string& label) {
  auto idx = indices_of_stems(*base, read_split_file(path), "split file " + path.string());
  return subset(std::move(base), std::move(idx), label);
}

FoldIndices kfold(std::size_t n, int k, int fold, std::uint64_t seed) {
  if (k < 2 || static_cast<std::size_t>(k) > n)
    throw InputError("k-fold: k = " + std::to_string(k) + " must be in [2, " + std::to_string(n) +
                     "] (the number of samples)");
  if (fold < 0 || fold >= k)
    throw InputError("k-fold: fold = " + std::to_string(fold) + " must be in [0, " +
                     std::to_string(k - 1) + "]");
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(derive_seed(seed, "kfold"));
  for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.next() % i]);
  const std::size_t lo = n * fold / k, hi = n * (fold + 1) / k;
  FoldIndices out;
  for (std::size_t i = 0; i < n; ++i) (i >= lo && i < hi ? out.test : out.train).push_back(perm[i]);
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

FoldDatasets kfold_datasets(DatasetPtr base, int k, int fold, std::uint64_t seed) {
  FoldIndices f = kfold(base->size(), k, fold, seed);
  const std::string tag = "fold" + std::to_string(fold) + "of" + std::to_string(k);
  FoldDatasets out;
  out.train = subset(base, std::move(f.train), tag + "-train");
  out.test = subset(base, std::move(f.test), tag + "-test");
  return out;
}

FoldDatasets holdout_datasets(DatasetPtr base, double fraction, std::uint64_t seed) {
  const std::size_t n = base->size();
  if (n < 2 || !(fraction > 0 && fraction < 1))
    throw InputError("validation hold-out: " + std::to_string(fraction) + " of " + std::to_string(n) +
                     " training samples leaves no training or no validation sample");
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(derive_seed(seed, "holdout"));
  for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng.next() % i]);
  const std::size_t n_val = std::min(n - 1, std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * n))));
  std::vector<std::size_t> train(perm.begin() + static_cast<std::ptrdiff_t>(n_val), perm.end()),
      val(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(n_val));
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  char tag[32];
  std::snprintf(tag, sizeof tag, "holdout%g", fraction);
  FoldDatasets out;
  out.train = subset(base, std::move(train), std::string(tag) + "-train");
  out.test = subset(base, std::move(val), std::string(tag) + "-val");
  return out;
}

}  // namespace sodlab::data
