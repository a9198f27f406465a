#include "data/registry.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "data/datasets_file.h"
#include "data/folder.h"
#include "data/splits.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

DatasetPtr open_synthetic(const FolderSpec&, Options& options) {
  SyntheticSpec spec;
  spec.n = static_cast<int>(options.get_int("n", spec.n, 1, 10'000'000));
  spec.size = static_cast<int>(options.get_int("size", spec.size, 16, 4096));
  spec.seed = static_cast<std::uint64_t>(options.get_int("seed", 0, 0));
  return std::make_shared<SyntheticDataset>(spec);
}

std::string fmt(const char* format, int a, int b = 0, int c = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

// The facts of one catalogue dataset (see DatasetEntry); the standard layout is appended last.
struct Facts {
  std::string name, folder, summary;
  std::vector<Layout> layouts;
  std::size_t published = 0;
  std::vector<SplitSize> splits;
  bool soft_gt = false;
  std::function<std::string(int)> stem;
};

// Folder datasets take `gt_threshold` (0.5 by default, in [0, 1)): a mask pixel is foreground
// when its value / 255 exceeds it, which binarises soft ground truth (averaged annotations).
DatasetEntry folder_entry(Facts f) {
  const std::string label = f.name;
  f.layouts.push_back(standard_layout());
  return {std::move(f.name), std::move(f.folder), std::move(f.summary),
          [label](const FolderSpec& folders, Options& options) -> DatasetPtr {
            const double t = options.get_double("gt_threshold", 0.5, 0.0, 1.0);
            if (t >= 1.0) throw InputError(options.context() + ": gt_threshold must be < 1");
            return std::make_shared<FolderDataset>(folders, label, static_cast<int>(std::floor(t * 255.0)));
          },
          std::move(f.layouts), f.published, std::move(f.splits), f.soft_gt, std::move(f.stem)};
}

// Side by side in one folder, images and masks are told apart by extension (.jpg / .png); in
// folders of their own, any image extension is accepted (redistributions re-encode: .png images,
// .jpg masks), the archive's own first (what data synth writes).
const std::vector<std::string> kJpg = {".jpg", ".jpeg"}, kPng = {".png"};
const std::vector<std::string> kImages = {".jpg", ".jpeg", ".png", ".bmp"}, kPngImages = {".png", ".jpg", ".jpeg", ".bmp"};
const std::vector<std::string> kMasks = {".png", ".jpg", ".jpeg", ".bmp"};
// MSRA-B's split lists (Jiang et al., DRFI) → sodlab's split names.
const std::vector<SplitList> kMsraBLists = {
    {"train", {"train_cvpr2013.txt"}, "mask"}, {"val", {"valid_cvpr2013.txt"}, "mask"}, {"test", {"test_cvpr2013.txt"}, "mask"}};
// HKU-IS's official lists ship as MAT-files (a text list with the same stem is accepted too).
const std::vector<SplitList> kHkuLists = {{"test", {"testImgSet.mat", "testImgSet.txt"}},
                                          {"train", {"trainImgSet.mat", "trainImgSet.txt"}},
                                          {"val", {"valImgSet.mat", "valImgSet.txt"}}};

std::string msra_stem(int i) { return fmt("%d_%d_%d", i % 10, i / 10 % 10, 100 + i); }  // "0_0_547"

}  // namespace

const NameRegistry<DatasetEntry>& dataset_registry() {
  static const NameRegistry<DatasetEntry> registry(
      "dataset",
      {
          {"synthetic", "", "built-in generator: objects on textured backgrounds (options n, size, seed)",
           open_synthetic, {}, 0, {}, false, nullptr},
          folder_entry({"msra-b", "msra-b", "MSRA-B, 5000 images (Kolkin: 2500 train / 500 val / 2000 test)",
                        {{"drfi", "MSRA-B", "", "", kJpg, kPng, {""}, kMsraBLists},
                         {"nldf", "MSRA-B", "image", "annotation", kImages, kMasks, {""}, kMsraBLists}},
                        5000, {{"train", 2500}, {"val", 500}, {"test", 2000}}, false, msra_stem}),
          folder_entry({"msra10k", "msra10k", "MSRA10K, 10000 images (MEnet training set)",
                        {{"cheng", "MSRA10K_Imgs_GT", "Imgs", "Imgs", kJpg, kPng, {""}, {}}},
                        10000, {{"train", 8500}, {"val", 500}}, false,
                        [](int i) { return std::to_string(75 + 7 * i); }}),
          folder_entry({"msra1000", "msra1000", "MSRA1000 / ASD, 1000 images",
                        {{"cheng", "", "Imgs", "Imgs", kJpg, kPng, {""}, {}},
                         {"achanta", "", "images", "binarymasks", kImages, {".bmp", ".png", ".jpg", ".jpeg"}, {""}, {}}},
                        1000, {}, false, msra_stem}),
          folder_entry({"ecssd", "ecssd", "ECSSD, 1000 images",
                        {{"cuhk", "", "images", "ground_truth_mask", kImages, kMasks, {""}, {}}},
                        1000, {}, false, [](int i) { return fmt("%04d", i + 1); }}),
          folder_entry({"hku-is", "hku-is", "HKU-IS, 4447 images (official test list testImgSet: 1447)",
                        {{"hku", "HKU-IS", "imgs", "gt", kPngImages, kMasks, {""}, kHkuLists}},
                        4447, {{"test", 1447}}, false, [](int i) { return fmt("%04d", 4 + 3 * i); }}),
          folder_entry({"pascal-s", "pascal-s", "PASCAL-S, 850 images, soft GT (gt_threshold binarises, default 0.5)",
                        {{"salobj", "", "datasets/imgs/pascal", "datasets/masks/pascal", kImages, kMasks, {""}, {}}},
                        850, {}, true, [](int i) { return std::to_string(i + 1); }}),
          folder_entry({"dut-omron", "dut-omron", "DUT-OMRON, 5168 images",
                        {{"dut", "", "DUT-OMRON-image", "pixelwiseGT-new-PNG", kImages, kMasks, {""}, {}}},
                        5168, {}, false, [](int i) { return fmt("im%03d", 5 + 2 * i); }}),
          folder_entry({"sod", "sod300", "SOD (Movahedi & Elder), 300 BSDS images",
                        {{"salbenchmark", "SOD", "Imgs", "Imgs", kJpg, kPng, {""}, {}}},
                        300, {}, false, [](int i) { return std::to_string(2092 + 37 * i); }}),
          folder_entry({"duts-tr", "duts-tr", "DUTS training set, 10553 images",
                        {{"duts", "DUTS-TR", "DUTS-TR-Image", "DUTS-TR-Mask", kImages, kMasks, {""}, {}}},
                        10553, {}, false, [](int i) { return fmt("ILSVRC2012_test_%08d", 4 + 3 * i); }}),
          folder_entry({"duts-te", "duts-te", "DUTS test set, 5019 images",
                        {{"duts", "DUTS-TE", "DUTS-TE-Image", "DUTS-TE-Mask", kImages, kMasks, {""}, {}}},
                        5019, {}, false, [](int i) { return fmt("ILSVRC2012_test_%08d", 3 + 3 * i); }}),
          folder_entry({"weizmann-horses", "weizmann-horses", "Weizmann horses, 328 images",
                        {{"weizmann", "weizmann_horse_db", "rgb", "figure_ground", kImages, {".jpg", ".png", ".jpeg", ".bmp"}, {""}, {}},
                         {"horse-mask", "weizmann_horse_db", "horse", "mask", kPngImages, kMasks, {""}, {}}},
                        328, {}, false, [](int i) { return fmt("horse%03d", i + 1); }}),
          folder_entry({"portraits", "portraits",
                        "Shen et al. portrait segmentation, 1800 images (splits train 1500 / test 300)",
                        {{"eg1800", "EG1800", "images_data_crop", "GT_png", kImages, kMasks, {"", "_mask"},
                          {{"train", {"EG1800_train.txt"}}, {"test", {"EG1800_val.txt"}}}},
                         {"shen2016", "data", "images_data_crop", "images_mask", kImages, kMasks, {"_mask", ""},
                          {{"train", {"trainlist.txt", "list/trainlist.txt"}}, {"test", {"testlist.txt", "list/testlist.txt"}}}}},
                        1800, {{"train", 1500}, {"test", 300}}, false, [](int i) { return fmt("%05d", i + 1); }}),
          folder_entry({"mturk-distractors", "mturk-distractors",
                        "Fried et al. MTurk distractors, 403 images, soft GT (averaged annotations; "
                        "gt_threshold binarises, default 0.5)",
                        {}, 403, {}, true, [](int i) { return fmt("%04d", i + 1); }}),
          folder_entry({"dist9", "dist9",
                        "Dist9 distractors, 4019 images, MCG-averaged soft GT; class subsets as splits "
                        "(light, object, person, clutter, pole, trash, sign, shadow, reflection)",
                        {}, 4019,
                        {{"light"}, {"object"}, {"person"}, {"clutter"}, {"pole"}, {"trash"}, {"sign"},
                         {"shadow"}, {"reflection"}},
                        true, [](int i) { return fmt("%05d", i + 1); }}),
      });
  return registry;
}

const DatasetEntry* find_dataset_entry(const std::string& name) {
  for (const auto& e : dataset_registry().entries())
    if (e.name == name || (!e.folder.empty() && e.folder == name)) return &e;
  return nullptr;
}

LayoutMatch recognise_dataset(const DatasetEntry& entry, const fs::path& path) {
  if (auto m = match_layout(path, entry.layouts)) return *m;
  throw InputError("dataset '" + entry.name + "' at " + path.string() +
                   ": no known layout found; expected one of (folders relative to " + path.string() +
                   ", [TOP/] an optional top folder):" + describe_layouts(entry.layouts));
}

DatasetLocation locate_dataset(const fs::path& data_root, const std::string& name) {
  const DatasetEntry* e = find_dataset_entry(name);
  if (!e || e->folder.empty())
    throw InputError(unknown_name_message("dataset", name, dataset_registry().names(), "",
                                          ", or a path to a folder with images/ and masks/"));
  const fs::path file = datasets_file_path();
  const auto entries = read_datasets_file(file);
  for (const auto& f : entries)
    if (!find_dataset_entry(f.name) || find_dataset_entry(f.name)->folder.empty())
      throw InputError("datasets file " + file.string() + ":" + std::to_string(f.line) + ": " +
                       unknown_name_message("dataset", f.name, dataset_registry().names()));
  for (const auto& f : entries) {
    if (find_dataset_entry(f.name) != e) continue;
    if (!fs::is_directory(f.path))
      throw InputError("datasets file " + file.string() + ":" + std::to_string(f.line) + ": key '" + f.name +
                       "' names " + f.path.string() + ", which is not a folder (fix it, or run sodlab data locate " +
                       e->name + " PATH)");
    try {
      return {recognise_dataset(*e, f.path), "datasets file " + file.string(), f.path};
    } catch (const InputError& err) {
      throw InputError("datasets file " + file.string() + ":" + std::to_string(f.line) + ": key '" + f.name +
                       "': " + err.what());
    }
  }
  const fs::path dir = data_root / e->folder;
  if (!fs::is_directory(dir))
    throw InputError("dataset '" + name + "' not found: no entry in the datasets file " + file.string() +
                     " and no folder " + dir.string() + " under the data root (run sodlab data locate " +
                     e->name + " PATH, or set the data root)");
  return {recognise_dataset(*e, dir), "data root " + data_root.string(), dir};
}

fs::path resolve_dataset_dir(const fs::path& data_root, const std::string& name) {
  return locate_dataset(data_root, name).match.root;
}

DatasetPtr open_dataset(const std::string& name, const fs::path& data_root, Options& options) {
  if (options.context() == "options") options.set_context("dataset '" + name + "'");
  const std::string split = options.get_string("split", "");
  const DatasetEntry* entry = find_dataset_entry(name);
  const bool is_path = !entry && (name.find('/') != std::string::npos || name.rfind('.', 0) == 0);
  std::optional<LayoutMatch> match;
  DatasetPtr ds;
  if (entry && entry->folder.empty()) {
    ds = entry->open(FolderSpec{}, options);
  } else if (!is_path) {
    match = locate_dataset(data_root, name).match;  // unknown names fail here
    ds = entry->open(folder_spec(*match), options);
  } else {
    if (!fs::is_directory(name)) throw InputError("dataset folder " + name + " does not exist");
    match = LayoutMatch{&standard_layout(), name, fs::path(name) / "images", fs::path(name) / "masks"};
    ds = std::make_shared<FolderDataset>(fs::path(name), fs::path(name).filename().string());
  }
  options.reject_unknown();
  if (split.empty() || split == "all") return ds;
  if (!match) throw InputError(options.context() + ": option 'split' needs a folder dataset");
  const fs::path file = fs::is_regular_file(split) ? fs::path(split) : resolve_layout_split(*match, split);
  return apply_split_file(ds, file, split);
}

}  // namespace sodlab::data
