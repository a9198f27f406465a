// Datasets: indexed collections of (image, mask) samples.
//
// Contract: get(i) is const and thread-safe (the loader calls it from worker threads). Images are
// CV_8UC3 in RGB order, masks CV_8UC1 with values {0, 255} and the image's size. A file that is
// missing, unreadable or of the wrong size throws InputError naming the file. manifest_sha()
// identifies the content (for run ids): equal manifests mean equal samples.
#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace sodlab::data {

struct Sample {
  std::string stem;  // file stem or synthetic id, unique within a dataset
  cv::Mat image;     // CV_8UC3, RGB
  cv::Mat mask;      // CV_8UC1, 0 or 255, same size as image
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  virtual Sample get(std::size_t index) const = 0;
  virtual std::string stem(std::size_t index) const = 0;  // without loading the sample
  virtual std::string name() const = 0;
  virtual std::string manifest_sha() const = 0;  // lower-case hex SHA-256
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// A view of `base` restricted to `indices` (in that order). Its name is base name + "/" + label;
// its manifest hashes the base manifest and the selected stems.
DatasetPtr subset(DatasetPtr base, std::vector<std::size_t> indices, const std::string& label);

// Index of every stem of `base`, in `stems` order. Unknown stem → InputError naming `origin`
// (e.g. the split file) and the stem.
std::vector<std::size_t> indices_of_stems(const Dataset& base, const std::vector<std::string>& stems,
                                          const std::string& origin);

}  // namespace sodlab::data
