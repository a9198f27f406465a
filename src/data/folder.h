// Folder datasets in the standard salient-object layout (the catalogue of names is registry.h).
//
// Layout: DIR/images/<stem>.{jpg,jpeg,png,bmp} and DIR/masks/<stem>.{png,bmp,jpg,jpeg}, matched by
// stem (samples sorted by stem). Masks are binarised: value > threshold → 255 (threshold 127 by
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

namespace sodlab::data {

class FolderDataset : public Dataset {
 public:
  // `name` defaults to the folder's name.
  // `mask_threshold`: an 8-bit mask value > it is foreground (a non-default value is part of the
  // manifest, so it is another dataset).
  explicit FolderDataset(const std::filesystem::path& dir, std::string name = "", int mask_threshold = 127);
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
  struct Item {
    std::string stem;
    std::filesystem::path image, mask;
  };
  std::filesystem::path dir_;
  std::string name_;
  int mask_threshold_ = 127;
  std::vector<Item> items_;
  mutable std::string manifest_;  // cached
};

// Reads a mask file as CV_8UC1 {0,255}; InputError naming the file if unreadable.
cv::Mat read_mask(const std::filesystem::path& path);
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
