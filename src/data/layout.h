// Folder layouts: where a dataset's images, masks and split lists lie relative to its path.
//
// A Layout names an image folder and a mask folder relative to the dataset path ("" = the path
// itself; both may be the same folder, the files then told apart by extension), the extensions of
// each, how a mask's stem follows from its image's (a suffix such as "_mask"), and the split lists
// the archive ships (sodlab split name ← file, text with one name per line or a MAT-file). The
// layouts of each catalogue dataset are listed in its registry entry (registry.cpp); this file
// only matches them against folders. Folder names match case-insensitively ("Imgs" = "imgs").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sodlab::data {

struct SplitList {
  std::string split;                // sodlab's split name ("train", "val", "test")
  std::vector<std::string> files;   // candidate files relative to the dataset path; the first present is read
  std::string names = "image";      // what a line holds: "image" or "mask" file names, or "stem" (data synth)
};

struct Layout {
  std::string name;                 // "standard", "drfi", "duts", ...
  std::string top;                  // the archive's top folder ("DUTS-TR"), "" when it has none
  std::string images, masks;        // folders relative to the dataset path ("" = the path itself)
  std::vector<std::string> image_exts, mask_exts;  // lower case, with the dot; first = what synth writes
  std::vector<std::string> mask_suffixes = {""};   // mask stem = image stem + one of these
  std::vector<SplitList> splits;    // the archive's split lists; every layout also takes splits/<name>.txt
};

// images/ + masks/, images .jpg/.jpeg/.png/.bmp, masks .png/.bmp/.jpg/.jpeg, same stems.
const Layout& standard_layout();

// A layout found at a folder: the dataset path it applies to and its resolved folders.
struct LayoutMatch {
  const Layout* layout = nullptr;
  std::filesystem::path root;       // the dataset path (the given folder, or its nested top folder)
  std::filesystem::path images, masks;
};

// The first of `layouts` whose image and mask folders exist under `dir` and hold files of their
// extensions; tried at `dir` itself, then inside one nested top folder (the layout's `top`, or the
// only sub-folder of `dir`, e.g. ECSSD/images). nullopt when none matches.
std::optional<LayoutMatch> match_layout(const std::filesystem::path& dir, const std::vector<Layout>& layouts);

// What the layouts look for, one line each ("images/ + masks/ (standard)"), for error messages.
std::string describe_layouts(const std::vector<Layout>& layouts);

// `rel` ("datasets/imgs/pascal") under `dir` with each component matched case-insensitively;
// nullopt when a component is absent.
std::optional<std::filesystem::path> find_path_ci(const std::filesystem::path& dir, const std::string& rel);

// The split list file `layout` ships for `split` under `root` (first candidate present), nullopt
// when the layout has none for that name or none is present.
std::optional<std::filesystem::path> layout_split_file(const LayoutMatch& match, const std::string& split);

// The split list of `split` for a recognised dataset: the layout's own list, else
// ROOT/splits/<split>.txt or ROOT/<split>.txt; InputError listing every place looked at.
std::filesystem::path resolve_layout_split(const LayoutMatch& match, const std::string& split);

}  // namespace sodlab::data
