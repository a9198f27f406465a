// The training loop: stages → epochs → batches, with checkpoints and exact resume.
//
// fit(): for every stage, sets the frozen groups (model.set_frozen), builds the stage optimiser
// over the parameters that require grad, and trains epoch by epoch. The data of global epoch g
// (counted over all stages) is DataLoader::epoch(g), and torch's global RNG is re-seeded from
// (seed, g) at each epoch start, so an epoch's outcome depends only on the state at its start.
// After every epoch the full state (model parameters and buffers, optimiser state, stage, epoch,
// spec fingerprint) is written to checkpoint_dir/checkpoint.pt through a temporary file and a
// rename (hooks.before_commit runs in between, so the caller can record the new file's hash
// first). If that file exists when fit() starts and hooks.accept_for_resume agrees, training
// resumes after the saved epoch and ends with bitwise the same weights as an uninterrupted run
// (same threads, same machine). A checkpoint of a different protocol is an InputError.
// The model is moved to spec.device and every batch with it; spec.precision bf16 / fp16 runs the
// forward under autocast (train/device.h; fp16 with a dynamic loss scale), the loss in fp32.
// With spec.feature_cache_dir, a stage whose model has a frozen prefix (models::PrefixCacheable)
// trains the rest from that prefix's cached activations (train/feature_cache.h); with
// spec.target_cache_dir the loss's mask maps come from their cache (train/target_cache.h).
// hooks.stop_requested is polled between batches (train::Interrupted). A NaN or infinite loss throws RuntimeFailure naming
// stage, epoch, step and the batch's stems. on_epoch is called after each epoch, before its
// checkpoint: a crash in between retrains and reports that epoch again, so no report is lost.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "data/loader.h"
#include "losses/loss.h"
#include "models/model.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/feature_cache.h"
#include "train/interrupted.h"
#include "train/spec.h"
#include "train/target_cache.h"

namespace sodlab::train {

class Progress;

struct EpochReport {
  std::string stage;
  int stage_index = 0;   // 0-based
  int epoch = 0;         // 1-based within the stage
  int global_epoch = 0;  // 1-based over all stages
  double train_loss = 0; // mean over the epoch's batches (weighted by batch size)
  std::optional<double> val_loss;  // mean loss on the validation loader (eval mode, no grad)
  double lr = 0;         // learning rate of the epoch's last step
  double seconds = 0;    // wall time of the epoch (excluding the checkpoint write)
  std::int64_t images = 0;
  CacheCounters features, targets;  // the caches over the epoch (validation included)
};

struct FitResult {
  int epochs_trained = 0;    // epochs run by this call (excludes resumed ones)
  int epochs_resumed = 0;    // epochs restored from a checkpoint
  double seconds = 0;
  std::int64_t images = 0;
};

using EpochCallback = std::function<void(const EpochReport&)>;

// What the caller (the pipeline, with its store) decides about checkpoint files.
struct CheckpointHooks {
  // Called before an existing checkpoint is read for a resume. Return false to ignore it (the
  // file is then removed and training starts from scratch); throw to refuse it (e.g. its hash
  // does not match the recorded one).
  std::function<bool(const std::string& path)> accept_for_resume;
  // Called with the complete new checkpoint (PATH.tmp) before it replaces the previous one.
  std::function<void(const std::string& tmp_path, const std::string& path)> before_commit;
  // Polled between batches; true stops training at once with Interrupted (the last epoch's
  // checkpoint stays, so a later run resumes from it).
  std::function<bool()> stop_requested;
};

class Trainer {
 public:
  Trainer(std::shared_ptr<models::SegmentationModel> model, std::shared_ptr<losses::Loss> loss,
          TrainSpec spec);  // validates spec
  // Trains on `loader`'s dataset (the loader's batch size must equal spec.batch_size; its seed is
  // used for data order and augmentation).
  // `validation` (optional): after every epoch the model's mean loss on it, in eval mode without
  // gradients (batch-norm statistics untouched, no RNG drawn: training is bitwise the same with or
  // without it), goes to EpochReport::val_loss.
  FitResult fit(const data::DataLoader& loader, const EpochCallback& on_epoch = {},
                const CheckpointHooks& hooks = {}, const data::DataLoader* validation = nullptr);
  // Path of the checkpoint file ("" when checkpoint_dir is empty).
  std::string checkpoint_path() const;

 private:
  // The loss of one batch: inputs and masks moved to spec.device, the forward under autocast for
  // spec.precision, the loss in fp32.
  torch::Tensor batch_loss(const data::Batch& batch);
  // fit(), step by step. What changes the trained weights (spec and data), saved in checkpoints.
  std::string protocol_fingerprint(const data::DataLoader& loader) const;
  // Where to resume: the checkpoint's position when `hooks` accept it and it is of this protocol
  // (InputError otherwise); nullopt (a rejected file removed) to start from scratch.
  std::optional<CheckpointPosition> resume_position(const std::string& ckpt, const std::string& fingerprint,
                                                    const CheckpointHooks& hooks) const;
  struct EpochPlace {
    int stage_index;  // in spec.stages
    int epoch;        // 0-based within the stage
    int global;       // 0-based over all stages (seeds the epoch's RNG and data order)
  };
  // One epoch: every batch's step (stop requests and non-finite losses checked), and its report.
  EpochReport train_epoch(const EpochPlace& at, torch::optim::Optimizer& optimizer, const data::DataLoader& loader,
                          const data::DataLoader* validation, const CheckpointHooks& hooks, LossScaler& scaler,
                          Progress& progress);
  double validation_loss(const data::DataLoader& validation, int epoch);
  std::shared_ptr<models::SegmentationModel> model_;
  std::shared_ptr<losses::Loss> loss_;
  models::PrefixCacheable* cacheable_ = nullptr;  // model_ as one, when the feature cache is on
  std::unique_ptr<FeatureCache> features_;        // null: feature cache off
  std::unique_ptr<TargetCache> targets_;          // null: target cache off
  CacheCounters feature_counts_, target_counts_;  // of the current epoch
  TrainSpec spec_;
  torch::Device device_{torch::kCPU};     // spec.device
  Precision precision_ = Precision::fp32;  // spec.precision (fp16 only on CUDA)
};

}  // namespace sodlab::train
