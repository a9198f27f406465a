// The training-target cache: a loss's mask-only precomputation (losses::Loss::prepare: distance
// transforms, AF_β^w's B weights, nearest-foreground indices, the DNC band) read from a
// cache::TensorCache instead of recomputed for every batch.
//
// An entry is one mask's Targets (the binarised mask and every map, sliced to that mask). Its key
// is the SHA-256 of the loss identity (name and options: whatever prepare() depends on) and the
// mask's bytes as the loader gives it, so it serves exactly the masks it was computed from: with
// augmentation that only resizes and flips masks (none, szn) or a fixed augmentation pool, masks
// repeat every epoch and the cache hits; the pipeline leaves it off otherwise. prepare() works
// per mask, so a batch assembled from entries equals prepare() of the batch bit for bit. A loss
// whose prepare() yields no maps (plain cross-entropy) is passed straight through.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "cache/tensor_cache.h"
#include "losses/loss.h"
#include "train/feature_cache.h"  // CacheCounters

namespace sodlab::train {

class TargetCache {
 public:
  // `loss_identity`: what the loss's prepare() depends on; `ref`: the run entries are written for.
  TargetCache(std::shared_ptr<cache::TensorCache> store, std::string loss_identity, std::string ref);
  // loss.prepare(masks) for CPU N×1×H×W masks, with the result on `device`.
  losses::Targets prepare(const losses::Loss& loss, const torch::Tensor& masks, torch::Device device,
                          CacheCounters& counters);

 private:
  std::shared_ptr<cache::TensorCache> store_;
  std::string identity_, ref_;
  bool pass_through_ = false;  // the loss has no maps: nothing worth caching
};

}  // namespace sodlab::train
