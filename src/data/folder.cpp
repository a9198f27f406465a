#include "data/folder.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "core/label_mask.h"
#include "core/names.h"
#include "core/hash.h"
#include "core/options.h"
#include "core/threads.h"
#include "data/layout.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

// stem → path of the files in `dir` with one of `exts` (first extension in `exts` order wins).
std::map<std::string, fs::path> list_files(const fs::path& dir, const std::vector<std::string>& exts) {
  std::map<std::string, fs::path> out;
  std::map<std::string, std::size_t> rank;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string ext = ascii_lower(e.path().extension().string());
    auto it = std::find(exts.begin(), exts.end(), ext);
    if (it == exts.end()) continue;
    const std::string stem = e.path().stem().string();
    const std::size_t r = static_cast<std::size_t>(it - exts.begin());
    if (!rank.count(stem) || r < rank[stem]) out[stem] = e.path(), rank[stem] = r;
  }
  if (ec) throw InputError("cannot list folder " + dir.string() + ": " + ec.message());
  return out;
}

void require_folders(const FolderSpec& spec) {
  if (!fs::is_directory(spec.root))
    throw InputError("dataset folder " + spec.root.string() + " does not exist");
  for (const fs::path& sub : {spec.images, spec.masks})
    if (!fs::is_directory(sub))
      throw InputError("dataset folder " + spec.root.string() + " has no '" +
                       sub.lexically_relative(spec.root).string() +
                       "/' subfolder (expected the standard layout images/ + masks/, or an archive layout: "
                       "sodlab data check " + spec.root.string() + ")");
}

}  // namespace

bool is_image_file(const fs::path& path) {
  const std::string ext = ascii_lower(path.extension().string());
  const auto& exts = standard_layout().image_exts;
  return std::find(exts.begin(), exts.end(), ext) != exts.end();
}

cv::Mat read_image(const fs::path& path) {
  cv::Mat bgr = cv::imread(path.string(), cv::IMREAD_COLOR);
  if (bgr.empty()) throw InputError("cannot read image " + path.string() + " (missing or corrupt)");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat read_mask(const fs::path& path, int threshold) {
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_GRAYSCALE);
  if (m.empty()) throw InputError("cannot read mask " + path.string() + " (missing or corrupt)");
  if (expand_label_mask(m.ptr<std::uint8_t>(), m.total())) {  // the one rule for 0/1 label masks (core/label_mask.h)
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) log::warn("mask " + path.string() + " holds 0/1 labels: read as 0/255 (so are others like it)");
  }
  cv::Mat out;
  cv::threshold(m, out, threshold, 255, cv::THRESH_BINARY);
  return out;
}

FolderSpec standard_folder_spec(const fs::path& dir) { return folder_spec({&standard_layout(), dir, dir / "images", dir / "masks"}); }

FolderSpec folder_spec(const LayoutMatch& m) {
  return {m.root, m.images, m.masks, m.layout->image_exts, m.layout->mask_exts, m.layout->mask_suffixes};
}

FolderPairs pair_folder(const FolderSpec& spec) {
  const auto images = list_files(spec.images, spec.image_exts);
  const auto masks = list_files(spec.masks, spec.mask_exts);
  FolderPairs out;
  out.images = images.size();
  out.masks = masks.size();
  std::map<std::string, bool> used;
  for (const auto& [stem, path] : images) {
    bool found = false;
    for (const auto& suffix : spec.mask_suffixes)
      if (auto m = masks.find(stem + suffix); m != masks.end()) {
        out.pairs.push_back({stem, path, m->second});
        used[m->first] = found = true;
        break;
      }
    if (!found) out.images_without_mask.push_back(path);
  }
  for (const auto& [stem, path] : masks)
    if (!used.count(stem)) out.masks_without_image.push_back(path);
  return out;
}

FolderDataset::FolderDataset(const fs::path& dir, std::string name, int mask_threshold)
    : dir_(dir), name_(name.empty() ? dir.filename().string() : std::move(name)), mask_threshold_(mask_threshold) {
  open(standard_folder_spec(dir));
}

FolderDataset::FolderDataset(const FolderSpec& spec, std::string name, int mask_threshold)
    : dir_(spec.root), name_(name.empty() ? spec.root.filename().string() : std::move(name)), mask_threshold_(mask_threshold) {
  open(spec);
}

void FolderDataset::open(const FolderSpec& spec) {
  require_folders(spec);
  FolderPairs p = pair_folder(spec);
  items_ = std::move(p.pairs);
  const auto& missing = p.images_without_mask;
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += "\n  " + missing[i].string();
    throw InputError("dataset '" + name_ + "': " + std::to_string(missing.size()) +
                     " image(s) have no mask in " + spec.masks.string() + ":" + list +
                     (missing.size() > 5 ? "\n  ..." : "") +
                     "\n(run 'sodlab data check " + dir_.string() + "' for a full report)");
  }
  if (items_.empty())
    throw InputError("dataset '" + name_ + "': no image/mask pairs in " + dir_.string());
}

Sample FolderDataset::get(std::size_t index) const {
  const Item& it = items_.at(index);
  Sample s;
  s.stem = it.stem;
  s.image = read_image(it.image);
  s.mask = read_mask(it.mask, mask_threshold_);
  if (s.image.size() != s.mask.size())
    throw InputError("dataset '" + name_ + "': image " + it.image.string() + " is " +
                     std::to_string(s.image.cols) + "x" + std::to_string(s.image.rows) +
                     " but its mask " + it.mask.string() + " is " + std::to_string(s.mask.cols) +
                     "x" + std::to_string(s.mask.rows));
  return s;
}

std::string FolderDataset::manifest_sha() const {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (manifest_.empty()) {
    Sha256 h;
    h.update("folder\n");
    if (mask_threshold_ != 127) h.update("mask_threshold " + std::to_string(mask_threshold_) + "\n");
    for (const auto& it : items_)
      h.update(it.stem + " " + sha256_file_hex(it.image.string()) + " " +
               sha256_file_hex(it.mask.string()) + "\n");
    manifest_ = h.hex();
  }
  return manifest_;
}

CheckReport check_folder(const fs::path& dir, int threads) {
  const FolderSpec spec = standard_folder_spec(dir);
  require_folders(spec);
  CheckReport r;
  const FolderPairs fp = pair_folder(spec);
  r.images = fp.images;
  r.masks = fp.masks;
  for (const auto& path : fp.images_without_mask) r.problems.push_back("missing mask for image " + path.string());
  for (const auto& path : fp.masks_without_image) r.problems.push_back("mask without image: " + path.string());
  std::vector<std::pair<fs::path, fs::path>> pairs;
  for (const auto& p : fp.pairs) pairs.emplace_back(p.image, p.mask);
  r.pairs = pairs.size();
  std::vector<std::string> found(pairs.size()), empty(pairs.size());
  parallel_for(static_cast<int>(pairs.size()), resolve_threads(threads), [&](int i) {
    const auto& [img_path, mask_path] = pairs[i];
    cv::Mat img = cv::imread(img_path.string(), cv::IMREAD_COLOR);
    cv::Mat mask = cv::imread(mask_path.string(), cv::IMREAD_GRAYSCALE);
    std::string p;
    if (img.empty()) p += "unreadable image " + img_path.string();
    if (mask.empty()) p += std::string(p.empty() ? "" : "; ") + "unreadable mask " + mask_path.string();
    if (p.empty() && img.size() != mask.size())
      p = "size mismatch: image " + img_path.string() + " is " + std::to_string(img.cols) + "x" +
          std::to_string(img.rows) + ", mask " + std::to_string(mask.cols) + "x" +
          std::to_string(mask.rows);
    if (p.empty() && cv::countNonZero(mask) == 0) empty[i] = "empty mask (no salient pixel): " + mask_path.string();
    if (p.empty() && expand_label_mask(mask.ptr<std::uint8_t>(), mask.total()))
      empty[i] = "mask holds 0/1 labels (read as 0/255 by training and sodlab eval): " + mask_path.string();
    found[i] = p;
  });
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (!found[i].empty()) r.problems.push_back(found[i]);
    if (!empty[i].empty()) r.warnings.push_back(empty[i]);
  }
  return r;
}

}  // namespace sodlab::data
