// Content-addressed HDF5 cache of 2-D maps (8-bit predictions, float GT-derived maps).
//
// An entry lives in ROOT/<kk>/<key>.h5 (kk = first two hex digits of the key) and holds the
// dataset "map" (H×W, uint8 or float32) with the attributes "key" (the entry's key) and "sha256"
// (of the map's bytes). put() writes to a temporary file and renames it into place, so a crash
// never leaves a half-written entry under a valid name. get() verifies the stored key and checksum;
// an entry that fails verification or cannot be read is removed, logged, and reported as a miss.
// The key is the SHA-256 of everything the map depends on (make_key). Thread-safe (HDF5 calls are
// serialised: Debian's HDF5 is built without thread safety).
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sodlab::cache {

// SHA-256 of the parts, each length-prefixed (so ("ab","c") and ("a","bc") differ).
std::string make_key(const std::vector<std::string>& parts);

struct CacheStats {
  std::uint64_t entries = 0, bytes = 0;
};

// One entry as listed by entries(): its file, key, the run it was written for ("" = none
// recorded) and its size. Listing reads the attributes only, not the map.
struct CacheEntry {
  std::filesystem::path path;
  std::string key, ref;
  std::uint64_t bytes = 0;
  bool readable = true;  // false: the file could not be opened as an entry (ref unknown)
};

class MapCache {
 public:
  explicit MapCache(std::filesystem::path root);  // creates the folder; InputError if impossible
  // CV_8UC1 or CV_32FC1 (other types → InputError). Overwrites an existing entry. `ref`: the run
  // the entry is written for (attribute "ref"), what `sodlab cache gc` keeps entries by.
  void put(const std::string& key, const cv::Mat& map, const std::string& ref = "");
  std::optional<cv::Mat> get(const std::string& key) const;
  bool contains(const std::string& key) const;
  std::filesystem::path path_of(const std::string& key) const;
  CacheStats stats() const;
  // Verifies every entry; returns the paths that failed (and removes them when `remove`).
  std::vector<std::string> verify(bool remove);
  // Every entry file under the root, in path order.
  std::vector<CacheEntry> entries() const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Key of a prediction: run × dataset (manifest) × sample × distortion.
std::string prediction_key(const std::string& run_id, const std::string& dataset_manifest,
                           const std::string& stem, const std::string& distortion);
// Key of a GT-derived map: the mask bytes' SHA-256 × map name × its parameters.
std::string gt_map_key(const std::string& mask_sha256, const std::string& map_name,
                       const std::string& params);

}  // namespace sodlab::cache
