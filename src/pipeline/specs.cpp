#include "pipeline/specs.h"

#include <cmath>
#include <filesystem>

#include "train/device.h"

namespace sodlab::pipeline {

train::TrainSpec train_spec(const config::RunSpec& run, const std::string& checkpoint_dir, int threads,
                            const std::string& device) {
  train::TrainSpec spec;
  spec.device = device;
  spec.precision = run.train.precision;
  spec.stages = run.train.stages;  // one struct (config/stage.h): nothing to copy field by field
  if (run.train.rehearse > 0)      // a rehearsal (rehearsal.h): one epoch (one batch, one step) per stage
    for (auto& stage : spec.stages) stage.epochs = 1;
  spec.batch_size = run.train.batch_size;
  spec.seed = static_cast<std::uint64_t>(run.seed);
  spec.checkpoint_dir = checkpoint_dir;
  spec.threads = threads;
  return spec;
}

void set_training_caches(const config::RunSpec& run, const std::string& cache_dir, const std::string& run_id,
                         train::TrainSpec& spec) {
  const std::filesystem::path root(cache_dir);
  spec.cache_ref = run_id;
  spec.feature_cache = run.train.feature_cache;
  spec.feature_cache_dir = run.train.feature_cache == "off" ? "" : (root / "features").string();
  const std::string& aug = run.data.augmentation.name;
  const bool masks_repeat = aug == "none" || aug == "szn" || run.data.augmentation_pool > 0;
  spec.target_cache_dir = run.train.target_cache && masks_repeat ? (root / "targets").string() : "";
  spec.target_identity = run.loss.name;
  for (const auto& [key, value] : run.loss.options.given())
    spec.target_identity += " " + key + "=" + option_value_to_string(value);
}

data::AugmentSpec augment_spec(const config::RunSpec& run) {
  Options options = run.data.augmentation.options;
  return data::read_augment_spec(run.data.augmentation.name, options);
}

data::LoaderSpec train_loader_spec(const config::RunSpec& run, const std::string& device) {
  data::LoaderSpec spec;
  spec.batch_size = run.train.batch_size;
  spec.width = spec.height = run.data.input_size;
  spec.shuffle = true;
  spec.seed = static_cast<std::uint64_t>(run.seed);
  spec.workers = run.data.workers;
  spec.augment = augment_spec(run);
  spec.augment_pool = run.data.augmentation_pool;
  spec.pin_memory = train::device_kind(device) == "cuda";
  return spec;
}

data::LoaderSpec validation_loader_spec(const config::RunSpec& run, const std::string& device) {
  data::LoaderSpec spec = train_loader_spec(run, device);
  spec.batch_size = run.data.batch_size;
  spec.shuffle = false;
  spec.augment = data::AugmentSpec{};  // kind "none"
  spec.augment_pool = 0;
  return spec;
}

data::Distortion distortion_spec(const config::Distortion& c) {
  data::Distortion d;
  d.kind = c.kind;
  if (c.kind == "awgn") d.sigma = c.level;
  if (c.kind == "jpeg") d.quality = static_cast<int>(std::lround(c.level));
  d.random = !c.random.empty();
  d.low = c.low;
  d.high = c.high;
  return d;
}

}  // namespace sodlab::pipeline
