// Folder datasets: an image folder and a mask folder matched by stem (the catalogue of names is
// registry.h, the layouts of its archives layout.h).
//
// Standard layout: DIR/images/<stem>.{jpg,jpeg,png,bmp} and DIR/masks/<stem>.{png,bmp,jpg,jpeg},
// matched by stem (samples sorted by stem). A FolderSpec names any two folders (possibly the same
// one), their extensions and the mask stem suffixes; the manifest depends only on the stems and
// the files' content, so the same files read from an archive layout and from the standard layout
// have the same manifest_sha. Masks are binarised: value > threshold → 255 (threshold 127 by
// default, i.e. 0.5 on the 0–1 scale, which is also how soft ground truth such as PASCAL-S's or
// the distractor sets' averaged annotations is binarised; masks whose maximum is 1 are read as
// 0/1 labels). Opening a folder whose image has
// no mask is an InputError naming the image; get() throws InputError naming the file when an
// image or mask cannot be decoded or their sizes differ.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/layout.h"

namespace sodlab::data {

// Where a folder dataset's files are.
struct FolderSpec {
  std::filesystem::path root;            // the dataset path (names and messages)
  std::filesystem::path images, masks;   // may be the same folder
  std::vector<std::string> image_exts, mask_exts;
  std::vector<std::string> mask_suffixes = {""};
};
// The standard layout under `dir` (no check that the folders exist).
FolderSpec standard_folder_spec(const std::filesystem::path& dir);
// The folders of a recognised layout.
FolderSpec folder_spec(const LayoutMatch& match);

// The files of a FolderSpec paired by stem (pairs sorted by image stem).
struct FolderPairs {
  struct Pair {
    std::string stem;
    std::filesystem::path image, mask;
  };
  std::size_t images = 0, masks = 0;
  std::vector<Pair> pairs;
  std::vector<std::filesystem::path> images_without_mask, masks_without_image;
};
// InputError naming the folder when a folder cannot be listed.
FolderPairs pair_folder(const FolderSpec& spec);

class FolderDataset : public Dataset {
 public:
  // `name` defaults to the folder's name.
  // `mask_threshold`: an 8-bit mask value > it is foreground (a non-default value is part of the
  // manifest, so it is another dataset).
  explicit FolderDataset(const std::filesystem::path& dir, std::string name = "", int mask_threshold = 127);
  // Any two folders (FolderSpec); `name` defaults to the root's name.
  explicit FolderDataset(const FolderSpec& spec, std::string name = "", int mask_threshold = 127);
  std::size_t size() const override { return items_.size(); }
  Sample get(std::size_t index) const override;
  std::string stem(std::size_t index) const override { return items_.at(index).stem; }
  std::string name() const override { return name_; }
  // SHA-256 over every stem with the content hashes of its image and mask (computed once).
  std::string manifest_sha() const override;
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path image_path(std::size_t i) const { return items_.at(i).image; }
  std::filesystem::path mask_path(std::size_t i) const { return items_.at(i).mask; }

 private:
  using Item = FolderPairs::Pair;
  void open(const FolderSpec& spec);
  std::filesystem::path dir_;
  std::string name_;
  int mask_threshold_ = 127;
  std::vector<Item> items_;
  mutable std::string manifest_;  // cached
};

// Reads a mask file as CV_8UC1 {0,255} (value > threshold → 255; 0/1 label masks expanded first);
// InputError naming the file if unreadable.
cv::Mat read_mask(const std::filesystem::path& path, int threshold = 127);
// Reads an image file as CV_8UC3 RGB; InputError naming the file if unreadable.
cv::Mat read_image(const std::filesystem::path& path);
// Whether the file's extension is one a dataset's images may have (.jpg .jpeg .png .bmp, any case).
bool is_image_file(const std::filesystem::path& path);

// Problems found by check_folder (one line each, naming the file).
struct CheckReport {
  std::size_t images = 0, masks = 0, pairs = 0;
  std::vector<std::string> problems;  // missing masks, orphan masks, unreadable files, size mismatches
  std::vector<std::string> warnings;  // empty masks (legal, but some metrics are undefined on them)
  bool ok() const { return problems.empty(); }
};
// Full check of a folder in the standard layout: decodes every file (threads workers).
CheckReport check_folder(const std::filesystem::path& dir, int threads = 0);

}  // namespace sodlab::data
