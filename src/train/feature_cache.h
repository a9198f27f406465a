// The backbone-feature cache of frozen stages, and the per-epoch counters of the training caches.
//
// A stage whose model has a frozen prefix (models::PrefixCacheable: SZN's VGG-16 while "backbone"
// is frozen) gets that prefix's activations from a cache::TensorCache instead of recomputing
// them. An entry is one image's activations, one tensor per layer, stored as `dtype` (fp16 halves
// the bytes; fp32 is exact). Its key is the SHA-256 of: the prefix identity (architecture, input
// normalisation, the frozen weights), dtype, precision, and the input image's bytes (the
// augmented, resized N×3×H×W float sample itself, so input size, augmentation and pool copy are
// all in it). A miss is computed one image at a time and rounded to `dtype` before use, so the
// values a run trains on never depend on what the cache held when it started (a resumed or a
// second run sees the same numbers as a cold one).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cache/tensor_cache.h"
#include "models/model.h"
#include "train/device.h"

namespace sodlab::train {

// One epoch of one cache: hits served (read time, bytes read) and misses computed and stored
// (compute + write time, bytes written).
struct CacheCounters {
  std::int64_t hits = 0, misses = 0;
  std::int64_t bytes_read = 0, bytes_written = 0;
  double read_seconds = 0, miss_seconds = 0;
  bool used() const { return hits + misses > 0; }
};

// "fp16" → kHalf, "fp32" → kFloat; InputError naming train.feature_cache otherwise ("off" too).
torch::ScalarType feature_cache_dtype(const std::string& name);

class FeatureCache {
 public:
  // `dtype`: fp16 | fp32. `ref`: the run the entries are written for.
  FeatureCache(std::shared_ptr<cache::TensorCache> store, const std::string& dtype, std::string ref);
  // At a stage start (after the stage's groups are frozen): the prefix the model has frozen now,
  // 0 when the stage has none (the cache is then inactive for the stage). Hashes the frozen
  // weights once.
  int begin_stage(models::PrefixCacheable& model, Precision precision);
  bool active() const { return layers_ > 0; }
  // The prefix activations of `images` (CPU N×3×H×W float, as the loader gives them) on
  // `device` as float32, each image's read from the cache or computed (under autocast for the
  // precision), stored and rounded to the cache dtype.
  std::vector<torch::Tensor> features(models::PrefixCacheable& model, const torch::Tensor& images,
                                      torch::Device device, CacheCounters& counters);

 private:
  std::string key_of(const torch::Tensor& image) const;  // image: 3×H×W
  std::shared_ptr<cache::TensorCache> store_;
  torch::ScalarType dtype_;
  std::string dtype_name_, ref_, identity_;
  std::vector<std::string> names_;
  Precision precision_ = Precision::fp32;
  int layers_ = 0;
};

// SHA-256 hex of a CPU tensor's bytes (made contiguous), with its shape and dtype.
std::string tensor_sha256(const torch::Tensor& t);

}  // namespace sodlab::train
