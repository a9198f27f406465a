#include "data/layout.h"

#include <algorithm>

#include "core/error.h"
#include "core/names.h"
#include "data/splits.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

bool holds_files(const fs::path& dir, const std::vector<std::string>& exts) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (std::find(exts.begin(), exts.end(), ascii_lower(it->path().extension().string())) != exts.end()) return true;
  }
  return false;
}

std::optional<LayoutMatch> match_at(const fs::path& dir, const Layout& layout) {
  auto images = find_path_ci(dir, layout.images), masks = find_path_ci(dir, layout.masks);
  if (!images || !masks || !fs::is_directory(*images) || !fs::is_directory(*masks)) return std::nullopt;
  if (!holds_files(*images, layout.image_exts) || !holds_files(*masks, layout.mask_exts)) return std::nullopt;
  return LayoutMatch{&layout, dir, *images, *masks};
}

std::string folder_text(const std::string& rel) { return rel.empty() ? "." : rel + "/"; }

}  // namespace

const Layout& standard_layout() {
  static const Layout layout{"standard", "", "images", "masks", {".jpg", ".jpeg", ".png", ".bmp"},
                             {".png", ".bmp", ".jpg", ".jpeg"}, {""}, {}};
  return layout;
}

std::optional<fs::path> find_path_ci(const fs::path& dir, const std::string& rel) {
  fs::path cur = dir;
  for (const auto& part : fs::path(rel)) {
    const std::string want = part.string();
    if (want.empty() || want == ".") continue;
    if (fs::exists(cur / want)) {
      cur /= want;
      continue;
    }
    std::optional<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(cur, ec), end; !ec && it != end; it.increment(ec))
      if (ascii_lower(it->path().filename().string()) == ascii_lower(want)) {
        found = it->path();
        break;
      }
    if (!found) return std::nullopt;
    cur = *found;
  }
  return cur;
}

std::optional<LayoutMatch> match_layout(const fs::path& dir, const std::vector<Layout>& layouts) {
  if (!fs::is_directory(dir)) return std::nullopt;
  for (const Layout& l : layouts)
    if (auto m = match_at(dir, l)) return m;
  // One nested top folder: the layout's own, else the folder's only sub-folder.
  for (const Layout& l : layouts)
    if (!l.top.empty())
      if (auto top = find_path_ci(dir, l.top); top && fs::is_directory(*top))
        if (auto m = match_at(*top, l)) return m;
  std::vector<fs::path> subdirs;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) subdirs.push_back(it->path());
  if (subdirs.size() == 1)
    for (const Layout& l : layouts)
      if (auto m = match_at(subdirs[0], l)) return m;
  return std::nullopt;
}

std::string describe_layouts(const std::vector<Layout>& layouts) {
  std::string out;
  for (const Layout& l : layouts) {
    std::string exts_i, exts_m;
    for (const auto& e : l.image_exts) exts_i += (exts_i.empty() ? "" : "/") + e.substr(1);
    for (const auto& e : l.mask_exts) exts_m += (exts_m.empty() ? "" : "/") + e.substr(1);
    out += "\n  " + (l.top.empty() ? "" : "[" + l.top + "/]") + folder_text(l.images) + "*." + exts_i +
           " + " + folder_text(l.masks) + "*" + (l.mask_suffixes.front().empty() ? "" : l.mask_suffixes.front()) +
           "." + exts_m + "  (" + l.name + ")";
  }
  return out;
}

std::optional<fs::path> layout_split_file(const LayoutMatch& match, const std::string& split) {
  for (const SplitList& s : match.layout->splits)
    if (s.split == split)
      for (const auto& f : s.files)
        if (auto p = find_path_ci(match.root, f); p && fs::is_regular_file(*p)) return p;
  return std::nullopt;
}

fs::path resolve_layout_split(const LayoutMatch& match, const std::string& split) {
  if (auto p = layout_split_file(match, split)) return *p;
  std::string looked;
  for (const SplitList& s : match.layout->splits)
    if (s.split == split)
      for (const auto& f : s.files) looked += (match.root / f).string() + ", ";
  try {
    return resolve_split_file(match.root, split);
  } catch (const InputError&) {
    throw InputError("split '" + split + "' not found: looked for " + looked +
                     (match.root / "splits" / (split + ".txt")).string() + " and " +
                     (match.root / (split + ".txt")).string());
  }
}

}  // namespace sodlab::data
