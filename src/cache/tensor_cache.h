// Content-addressed HDF5 cache of named tensors: the backbone activations of frozen stages
// ("features": one entry per image, one tensor per layer, fp16 or fp32) and the mask-derived
// training targets of a loss ("targets": one entry per mask).
//
// An entry is one file ROOT/<kk>/<key>.h5 (as MapCache's, cache/map_cache.h): one chunked
// dataset per tensor, each with the Fletcher-32 checksum filter (HDF5 verifies every chunk it
// reads) and its torch dtype, in HDF5's 1.10 format (its metadata is checksummed too), and the attributes "key", "names" (the tensors' order) and "ref"
// (the run it was written for). put() writes to a temporary file and renames it into place;
// get() checks the stored key and every chunk's checksum, and an entry that fails (or cannot be
// read) is removed, logged and reported as a miss, never returned. fp16 is stored as IEEE half
// (h5py reads it as float16). Thread-safe (HDF5 calls are serialised). Tensors are CPU tensors.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cache/map_cache.h"  // CacheEntry, make_key

namespace sodlab::cache {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

class TensorCache {
 public:
  explicit TensorCache(std::filesystem::path root);  // creates the folder; InputError if impossible
  // Stores the tensors (CPU, rank ≥ 1, non-empty; float16, float32, float64, int64, int32, uint8
  // or bool; names unique, without '/' or '.'; InputError otherwise) under `key`, overwriting an
  // existing entry. Returns the entry's size in bytes.
  std::uint64_t put(const std::string& key, const NamedTensors& tensors, const std::string& ref = "");
  // The entry's tensors in the order put() got them, or nullopt (no entry, or a bad one: removed).
  // `bytes` (optional) receives the entry's file size when it is read.
  std::optional<NamedTensors> get(const std::string& key, std::uint64_t* bytes = nullptr) const;
  bool contains(const std::string& key) const;
  std::filesystem::path path_of(const std::string& key) const;
  CacheStats stats() const;  // entries and bytes, without opening them
  // Reads every entry in full; returns "path: why" for those that fail (removed when `remove`).
  std::vector<std::string> verify(bool remove);
  // Every entry file under the root, in path order (attributes only).
  std::vector<CacheEntry> entries() const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// Whether the folder holds TensorCache entries (true) or MapCache ones (false), judged by the
// first entry; false for an empty folder.
bool holds_tensor_entries(const std::filesystem::path& root);

}  // namespace sodlab::cache
