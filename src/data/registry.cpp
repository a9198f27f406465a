#include "data/registry.h"

#include <cmath>

#include "core/error.h"
#include "data/folder.h"
#include "data/splits.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

DatasetPtr open_synthetic(const fs::path&, Options& options) {
  SyntheticSpec spec;
  spec.n = static_cast<int>(options.get_int("n", spec.n, 1, 10'000'000));
  spec.size = static_cast<int>(options.get_int("size", spec.size, 16, 4096));
  spec.seed = static_cast<std::uint64_t>(options.get_int("seed", 0, 0));
  return std::make_shared<SyntheticDataset>(spec);
}

// Folder datasets take `gt_threshold` (0.5 by default, in [0, 1)): a mask pixel is foreground
// when its value / 255 exceeds it, which binarises soft ground truth (averaged annotations).
DatasetEntry folder_entry(std::string name, std::string folder, std::string summary) {
  const std::string label = name;
  return {std::move(name), std::move(folder), std::move(summary),
          [label](const fs::path& dir, Options& options) -> DatasetPtr {
            const double t = options.get_double("gt_threshold", 0.5, 0.0, 1.0);
            if (t >= 1.0) throw InputError(options.context() + ": gt_threshold must be < 1");
            return std::make_shared<FolderDataset>(dir, label, static_cast<int>(std::floor(t * 255.0)));
          }};
}

const DatasetEntry* find_entry(const std::string& name);

}  // namespace

const NameRegistry<DatasetEntry>& dataset_registry() {
  static const NameRegistry<DatasetEntry> registry(
      "dataset",
      {
          {"synthetic", "", "built-in generator: objects on textured backgrounds (options n, size, seed)",
           open_synthetic},
          folder_entry("msra-b", "msra-b", "MSRA-B, 5000 images (Kolkin: 2500 train / 500 val / 2000 test)"),
          folder_entry("msra10k", "msra10k", "MSRA10K, 10000 images (MEnet training set)"),
          folder_entry("msra1000", "msra1000", "MSRA1000 / ASD, 1000 images"),
          folder_entry("ecssd", "ecssd", "ECSSD, 1000 images"),
          folder_entry("hku-is", "hku-is", "HKU-IS, 4447 images"),
          folder_entry("pascal-s", "pascal-s", "PASCAL-S, 850 images"),
          folder_entry("dut-omron", "dut-omron", "DUT-OMRON, 5168 images"),
          folder_entry("sod", "sod300", "SOD (Movahedi & Elder), 300 BSDS images"),
          folder_entry("duts-tr", "duts-tr", "DUTS training set, 10553 images"),
          folder_entry("duts-te", "duts-te", "DUTS test set, 5019 images"),
          folder_entry("weizmann-horses", "weizmann-horses", "Weizmann horses, 328 images"),
          folder_entry("portraits", "portraits",
                       "Shen et al. portrait segmentation, 1800 images (splits train 1500 / test 300)"),
          folder_entry("mturk-distractors", "mturk-distractors",
                       "Fried et al. MTurk distractors, 403 images, soft GT (averaged annotations; "
                       "gt_threshold binarises, default 0.5)"),
          folder_entry("dist9", "dist9",
                       "Dist9 distractors, 4019 images, MCG-averaged soft GT; class subsets as splits "
                       "(light, object, person, clutter, pole, trash, sign, shadow, reflection)"),
      });
  return registry;
}

namespace {
// By registry name, or by the folder name of a catalogue entry ("sod300" is "sod").
const DatasetEntry* find_entry(const std::string& name) {
  for (const auto& e : dataset_registry().entries())
    if (e.name == name || (!e.folder.empty() && e.folder == name)) return &e;
  return nullptr;
}
}  // namespace

fs::path resolve_dataset_dir(const fs::path& data_root, const std::string& name) {
  if (const DatasetEntry* e = find_entry(name); e && !e->folder.empty()) {
    const fs::path dir = data_root / e->folder;
    if (!fs::is_directory(dir))
      throw InputError("dataset '" + name + "' not found: expected folder " + dir.string() +
                       " (images/ + masks/); set the data root or copy the dataset there");
    return dir;
  }
  throw InputError(unknown_name_message("dataset", name, dataset_registry().names(), "",
                                        ", or a path to a folder with images/ and masks/"));
}

DatasetPtr open_dataset(const std::string& name, const fs::path& data_root, Options& options) {
  if (options.context() == "options") options.set_context("dataset '" + name + "'");
  const std::string split = options.get_string("split", "");
  const DatasetEntry* entry = find_entry(name);
  const bool is_path = !entry && (name.find('/') != std::string::npos || name.rfind('.', 0) == 0);
  fs::path dir;
  DatasetPtr ds;
  if (entry && entry->folder.empty()) {
    ds = entry->open(dir, options);
  } else if (!is_path) {
    dir = resolve_dataset_dir(data_root, name);  // unknown names fail here
    ds = entry->open(dir, options);
  } else {
    dir = name;
    if (!fs::is_directory(dir)) throw InputError("dataset folder " + name + " does not exist");
    ds = std::make_shared<FolderDataset>(dir, fs::path(name).filename().string());
  }
  options.reject_unknown();
  if (split.empty() || split == "all") return ds;
  if (dir.empty()) throw InputError(options.context() + ": option 'split' needs a folder dataset");
  const fs::path file = fs::is_regular_file(split) ? fs::path(split) : resolve_split_file(dir, split);
  return apply_split_file(ds, file, split);
}

}  // namespace sodlab::data
