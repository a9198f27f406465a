#include "data/check.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <unordered_set>

#include "core/error.h"
#include "core/label_mask.h"
#include "core/threads.h"
#include "data/splits.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

std::string count_vs_published(const std::string& what, std::size_t n, std::size_t published) {
  return what + " holds " + std::to_string(n) + " but the published size is " + std::to_string(published) +
         " (fine if you hold a subset on purpose; otherwise files are missing)";
}

bool is_binary(const cv::Mat& m) {
  for (int r = 0; r < m.rows; ++r) {
    const std::uint8_t* p = m.ptr<std::uint8_t>(r);
    for (int c = 0; c < m.cols; ++c)
      if (p[c] != 0 && p[c] != 255) return false;
  }
  return true;
}

}  // namespace

DatasetCheck check_dataset(const DatasetEntry* entry, const LayoutMatch& match, int threads) {
  DatasetCheck r;
  r.dataset = entry ? entry->name : "";
  r.match = match;
  const FolderPairs fp = pair_folder(folder_spec(match));
  r.images = fp.images;
  r.masks = fp.masks;
  r.pairs = fp.pairs.size();
  r.published = entry ? entry->published : 0;
  for (const auto& p : fp.images_without_mask) r.problems.push_back("image without mask: " + p.string());
  for (const auto& p : fp.masks_without_image) r.problems.push_back("mask without image: " + p.string());
  if (fp.pairs.empty()) r.problems.push_back("no image/mask pairs in " + match.root.string());
  if (r.published && r.pairs != r.published) r.warnings.push_back(count_vs_published("the set", r.pairs, r.published));

  const std::size_t n = fp.pairs.size();
  std::vector<std::string> problem(n), warning(n);
  std::vector<char> soft(n, 0);
  parallel_for(static_cast<int>(n), resolve_threads(threads), [&](int i) {
    const auto& p = fp.pairs[static_cast<std::size_t>(i)];
    cv::Mat img = cv::imread(p.image.string(), cv::IMREAD_COLOR);
    cv::Mat mask = cv::imread(p.mask.string(), cv::IMREAD_GRAYSCALE);
    std::string& pr = problem[static_cast<std::size_t>(i)];
    if (img.empty()) pr = "unreadable image " + p.image.string();
    if (mask.empty()) pr += (pr.empty() ? "" : "; ") + std::string("unreadable mask ") + p.mask.string();
    if (!pr.empty()) return;
    if (img.size() != mask.size()) {
      pr = "size mismatch: image " + p.image.string() + " is " + std::to_string(img.cols) + "x" +
           std::to_string(img.rows) + ", mask " + p.mask.string() + " is " + std::to_string(mask.cols) + "x" +
           std::to_string(mask.rows);
      return;
    }
    std::string& w = warning[static_cast<std::size_t>(i)];
    if (cv::countNonZero(mask) == 0) w = "empty mask (no salient pixel): " + p.mask.string();
    if (expand_label_mask(mask.ptr<std::uint8_t>(), mask.total()))
      w = "mask holds 0/1 labels (read as 0/255 by training and sodlab eval): " + p.mask.string();
    soft[static_cast<std::size_t>(i)] = !is_binary(mask);
  });
  for (std::size_t i = 0; i < n; ++i) {
    if (!problem[i].empty()) r.problems.push_back(problem[i]);
    if (!warning[i].empty()) r.warnings.push_back(warning[i]);
    r.non_binary += static_cast<std::size_t>(soft[i]);
  }
  if (r.non_binary) {
    const std::string line = std::to_string(r.non_binary) + " of " + std::to_string(n) +
                             " masks are not binary (values other than 0 and 255)";
    if (entry && entry->soft_gt) r.notes.push_back(line + ": expected, '" + entry->name + "' has soft ground truth (gt_threshold binarises it)");
    else r.warnings.push_back(line + ": binarised at 127 (gt_threshold)");
  }

  // Splits: the entry's named splits (a missing list is a warning), then the other lists the
  // layout names (checked when present: HKU-IS's train/val lists are optional).
  struct Wanted {
    std::string split;
    std::size_t published;
    bool required;
  };
  std::vector<Wanted> names;
  if (entry)
    for (const auto& s : entry->splits) names.push_back({s.split, s.published, true});
  for (const auto& l : match.layout->splits) {
    bool known = false;
    for (const auto& w : names) known |= w.split == l.split;
    if (!known) names.push_back({l.split, 0, false});
  }
  std::unordered_set<std::string> stems;
  for (const auto& p : fp.pairs) stems.insert(p.stem);
  for (const auto& [split, published, required] : names) {
    SplitCheck sc{split, {}, 0, published, 0};
    try {
      sc.file = resolve_layout_split(match, split);
    } catch (const InputError& e) {
      if (!required) continue;
      r.warnings.push_back("split '" + split + "': no list (" + e.what() + ")");
      r.splits.push_back(sc);
      continue;
    }
    std::vector<std::string> list;
    try {
      list = read_split_file(sc.file);
    } catch (const InputError& e) {
      r.problems.push_back(e.what());
      r.splits.push_back(sc);
      continue;
    }
    sc.size = list.size();
    for (std::size_t k = 0; k < list.size(); ++k)
      if (!stems.count(list[k])) {
        if (++sc.missing <= 5)
          r.problems.push_back("split '" + split + "' (" + sc.file.string() + "): entry " + std::to_string(k + 1) +
                               " '" + list[k] + "' has no image/mask pair");
      }
    if (sc.missing > 5)
      r.problems.push_back("split '" + split + "': " + std::to_string(sc.missing - 5) + " more entries without a pair");
    if (published && sc.size != published)
      r.warnings.push_back(count_vs_published("split '" + split + "' (" + sc.file.string() + ")", sc.size, published));
    r.splits.push_back(sc);
  }
  return r;
}

std::optional<FolderIdentity> identify_folder(const fs::path& dir) {
  if (auto m = match_layout(dir, {standard_layout()}); m && m->root == dir)
    return FolderIdentity{nullptr, {&standard_layout(), m->root, m->images, m->masks}};
  for (const auto& e : dataset_registry().entries()) {
    if (e.layouts.size() < 2) continue;  // the standard layout only
    const std::vector<Layout> archive(e.layouts.begin(), e.layouts.end() - 1);
    if (auto m = match_layout(dir, archive)) {
      // Point at the entry's own copy of the layout (the vector above dies here).
      for (const auto& l : e.layouts)
        if (l.name == m->layout->name) m->layout = &l;
      return FolderIdentity{&e, *m};
    }
  }
  if (auto m = match_layout(dir, {standard_layout()}))
    return FolderIdentity{nullptr, {&standard_layout(), m->root, m->images, m->masks}};
  return std::nullopt;
}

}  // namespace sodlab::data
