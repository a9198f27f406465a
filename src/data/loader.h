// Batching with worker threads.
//
// Contract: batch b of epoch e is a pure function of (dataset, spec, e, b): the order of epoch e
// is a permutation drawn from derive_seed(seed, "order", e) (identity when shuffle is false) and
// each sample's augmentation uses its own stream derive_seed(seed, "augment", e, dataset index),
// so the result does not depend on the number of workers or on which batches were read before
// (a resumed run sees exactly the batches of an uninterrupted one). With augment_pool = K > 0 the
// augmentation is drawn from a fixed pool instead: K augmented copies per image (copy k's stream
// derive_seed(seed, "augment_pool", k, index)), of which epoch e takes copy
// derive_seed(seed, "augment_pool_pick", e, index) mod K; what a frozen backbone sees then repeats,
// so its activations can be cached (train/feature_cache.h). Images are N×3×H×W float32
// RGB in [0, 255]; masks N×1×H×W float32 in {0, 1}. A sample that fails to load propagates its
// InputError (naming the file).
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/transforms.h"

namespace sodlab::data {

struct LoaderSpec {
  int batch_size = 8;
  int width = 224, height = 224;  // model input size
  bool shuffle = true;
  bool drop_last = false;         // drop a final batch smaller than batch_size
  std::uint64_t seed = 0;
  int workers = 0;                // <= 0: resolve_threads(0)
  AugmentSpec augment;            // kind "none" for evaluation
  int augment_pool = 0;           // 0: fresh augmentation every epoch; K > 0: a fixed pool of K
                                  // augmented copies per image, one drawn per epoch
  bool pin_memory = false;        // batches in page-locked memory (needs CUDA): the copy to the GPU
                                  // of the batch prefetched by EpochReader can then be asynchronous
};

struct Batch {
  torch::Tensor images;              // N×3×H×W float32 [0,255]
  torch::Tensor masks;               // N×1×H×W float32 {0,1}
  std::vector<std::string> stems;
  std::vector<std::size_t> indices;  // dataset indices
};

// The seed of sample `index`'s augmentation in `epoch` (the contract above).
std::uint64_t augment_seed(const LoaderSpec& spec, int epoch, std::size_t index);

// Converts samples (already at a common size) into a Batch.
Batch make_batch(const std::vector<Sample>& samples, const std::vector<std::size_t>& indices);

class DataLoader {
 public:
  DataLoader(DatasetPtr dataset, LoaderSpec spec);  // InputError on an empty dataset or bad spec
  std::size_t batches_per_epoch() const;
  std::vector<std::size_t> order(int epoch) const;  // dataset indices in epoch order
  Batch batch(int epoch, std::size_t b) const;      // loads with `workers` threads

  // Reads the batches of one epoch in order, loading batch b+1 in the background while the
  // caller works on batch b.
  class EpochReader {
   public:
    EpochReader(const DataLoader& loader, int epoch, std::size_t first_batch = 0);
    ~EpochReader();
    bool next(Batch& out);  // false after the last batch

   private:
    const DataLoader& loader_;
    int epoch_;
    std::size_t next_;
    std::future<Batch> pending_;
  };
  EpochReader epoch(int e, std::size_t first_batch = 0) const { return EpochReader(*this, e, first_batch); }

  // Throughput of everything loaded so far (images and wall seconds spent inside batch()).
  double images_per_second() const;
  std::uint64_t images_loaded() const { return images_.load(); }

  const LoaderSpec& spec() const { return spec_; }
  const DatasetPtr& dataset() const { return dataset_; }

 private:
  DatasetPtr dataset_;
  LoaderSpec spec_;
  int workers_;
  mutable std::atomic<std::uint64_t> images_{0};
  mutable std::atomic<std::uint64_t> nanos_{0};
};

}  // namespace sodlab::data
