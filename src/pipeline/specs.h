// The one adapter from a validated config (config::RunSpec) to the specs of the lower layers:
// data (loader, augmentation, distortion), train (stages, optimiser, schedule). Units are
// converted here and nowhere else; every config key reaches its spec.
#pragma once

#include "config/experiment.h"
#include "data/loader.h"
#include "data/transforms.h"
#include "train/spec.h"

namespace sodlab::pipeline {

// Training protocol of `run` (stages, batch size, seed); `threads` = resolved intra-op threads.
train::TrainSpec train_spec(const config::RunSpec& run, const std::string& checkpoint_dir, int threads,
                            const std::string& device = "cpu");
// The training caches of `run` under `cache_dir` (features/, targets/), written for `run_id`:
// the feature cache as train.feature_cache says; the target cache when train.target_cache is on
// and masks repeat from epoch to epoch (augmentation none or szn, which only resize and flip
// masks, or a fixed augmentation pool).
void set_training_caches(const config::RunSpec& run, const std::string& cache_dir, const std::string& run_id,
                         train::TrainSpec& spec);
// The augmentation with its options (InputError naming the kind or key).
data::AugmentSpec augment_spec(const config::RunSpec& run);
// The shuffled, augmented training loader at the run's input size; on a CUDA `device` its batches
// are pinned (the prefetched batch's copy to the GPU is asynchronous then).
data::LoaderSpec train_loader_spec(const config::RunSpec& run, const std::string& device = "cpu");
// The validation set's loader: as the training loader, with the evaluation batch size
// (data.batch_size), fixed order and no augmentation.
data::LoaderSpec validation_loader_spec(const config::RunSpec& run, const std::string& device = "cpu");
// σ is on the 0-255 scale in the config and in data::Distortion; jpeg level = quality.
data::Distortion distortion_spec(const config::Distortion& d);

}  // namespace sodlab::pipeline
