#include "train/trainer.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/kill_point.h"
#include "core/log.h"
#include "core/threads.h"
#include "core/timer.h"
#include "data/random.h"
#include "train/checkpoint.h"
#include "train/progress.h"
#include "train/device.h"

namespace sodlab::train {
namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const StageSpec& s,
                                                        models::SegmentationModel& model) {
  std::vector<torch::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  if (params.empty())
    throw InputError("stage '" + s.name + "': every parameter is frozen, nothing to train");
  if (s.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(s.lr).momentum(s.momentum).nesterov(s.nesterov).weight_decay(s.weight_decay));
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(s.lr).betas(std::make_tuple(s.betas[0], s.betas[1])).eps(s.eps).weight_decay(s.weight_decay));
}

void apply_frozen(const StageSpec& s, models::SegmentationModel& model) {
  const auto groups = model.groups();
  for (const auto& f : s.frozen)
    if (std::find(groups.begin(), groups.end(), f) == groups.end()) {
      std::string list;
      for (const auto& g : groups) list += (list.empty() ? "" : ", ") + g;
      throw InputError("stage '" + s.name + "': unknown frozen group '" + f + "' (model groups: " + list + ")");
    }
  for (const auto& g : groups)
    model.set_frozen(g, std::find(s.frozen.begin(), s.frozen.end(), g) != s.frozen.end());
}

std::vector<torch::Tensor> optimizer_params(torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> params;
  for (auto& g : optimizer.param_groups())
    for (auto& p : g.params()) params.push_back(p);
  return params;
}

std::string stems_of(const data::Batch& b) {
  std::string out;
  for (std::size_t i = 0; i < b.stems.size(); ++i) out += (i ? ", " : "") + b.stems[i];
  return out;
}

}  // namespace

Trainer::Trainer(std::shared_ptr<models::SegmentationModel> model, std::shared_ptr<losses::Loss> loss,
                 TrainSpec spec)
    : model_(std::move(model)), loss_(std::move(loss)), spec_(std::move(spec)) {
  if (!model_ || !loss_) throw InputError("trainer: model and loss are required");
  validate(spec_);
  device_ = torch::Device(spec_.device);
  precision_ = parse_precision(spec_.precision, spec_.device, "train.precision");
  if (!spec_.feature_cache_dir.empty() && spec_.feature_cache != "off") {
    cacheable_ = dynamic_cast<models::PrefixCacheable*>(model_.get());
    if (!cacheable_)
      throw InputError("train.feature_cache = '" + spec_.feature_cache +
                       "': this model has no backbone prefix to cache (szn has)");
    features_ = std::make_unique<FeatureCache>(std::make_shared<cache::TensorCache>(spec_.feature_cache_dir),
                                               spec_.feature_cache, spec_.cache_ref);
  }
  if (!spec_.target_cache_dir.empty())
    targets_ = std::make_unique<TargetCache>(std::make_shared<cache::TensorCache>(spec_.target_cache_dir),
                                             spec_.target_identity, spec_.cache_ref);
}

torch::Tensor Trainer::batch_loss(const data::Batch& batch) {
  models::ModelOutput out;
  if (features_ && features_->active()) {
    const auto prefix = features_->features(*cacheable_, batch.images, device_, feature_counts_);
    AutocastGuard autocast(precision_, device_);
    out = cacheable_->forward_from_prefix(prefix, batch.images.size(2), batch.images.size(3));
  } else {
    AutocastGuard autocast(precision_, device_);
    out = model_->forward(batch.images.to(device_, /*non_blocking=*/true));
  }
  // The loss in fp32 on fp32 outputs, whatever precision the forward ran in.
  auto fp32 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat32) : t; };
  const losses::Targets targets = targets_ ? targets_->prepare(*loss_, batch.masks, device_, target_counts_)
                                           : loss_->prepare(batch.masks.to(device_, /*non_blocking=*/true));
  return loss_->forward(fp32(out.logits), targets, loss_->needs_features() ? fp32(out.features) : torch::Tensor());
}

double Trainer::validation_loss(const data::DataLoader& validation, int epoch) {
  model_->eval();
  torch::NoGradGuard no_grad;
  double sum = 0;
  std::int64_t images = 0;
  data::Batch batch;
  auto reader = validation.epoch(epoch);
  while (reader.next(batch)) {
    const torch::Tensor loss = batch_loss(batch);
    const auto n = static_cast<std::int64_t>(batch.stems.size());
    sum += loss.item<double>() * static_cast<double>(n);
    images += n;
  }
  model_->train();
  return images > 0 ? sum / static_cast<double>(images) : std::nan("");
}

std::string Trainer::checkpoint_path() const {
  if (spec_.checkpoint_dir.empty()) return "";
  return (std::filesystem::path(spec_.checkpoint_dir) / "checkpoint.pt").string();
}

std::string Trainer::protocol_fingerprint(const data::DataLoader& loader) const {
  const data::LoaderSpec& ls = loader.spec();
  std::ostringstream fp;
  fp << fingerprint(spec_) << " | data=" << loader.dataset()->name() << ":" << loader.dataset()->manifest_sha()
     << " size=" << ls.width << "x" << ls.height << " shuffle=" << ls.shuffle << " drop_last=" << ls.drop_last
     << " data_seed=" << ls.seed << " augment=" << ls.augment.kind;
  if (ls.augment_pool > 0) fp << " augment_pool=" << ls.augment_pool;
  return fp.str();
}

std::optional<CheckpointPosition> Trainer::resume_position(const std::string& ckpt, const std::string& fprint,
                                                           const CheckpointHooks& hooks) const {
  if (ckpt.empty() || !std::filesystem::exists(ckpt)) return std::nullopt;
  if (hooks.accept_for_resume && !hooks.accept_for_resume(ckpt)) {
    std::error_code ec;
    std::filesystem::remove(ckpt, ec);
    return std::nullopt;
  }
  std::string saved;
  const CheckpointPosition start = read_checkpoint_position(ckpt, &saved);
  if (saved != fprint)
    throw InputError("checkpoint " + ckpt + " belongs to a different training protocol or data;"
                     " delete it (or use another checkpoint_dir) to start over.\n  saved:   " +
                     saved + "\n  current: " + fprint);
  log::info("resuming from " + ckpt + " after " + std::to_string(start.global_epochs) + " epoch(s)");
  return start;
}

EpochReport Trainer::train_epoch(const EpochPlace& at, torch::optim::Optimizer& optimizer, const data::DataLoader& loader,
                                 const data::DataLoader* validation, const CheckpointHooks& hooks, LossScaler& scaler,
                                 Progress& progress) {
  const StageSpec& stage = spec_.stages[at.stage_index];
  const std::int64_t steps_per_epoch = static_cast<std::int64_t>(loader.batches_per_epoch());
  torch::manual_seed(data::derive_seed(spec_.seed, "torch", static_cast<std::uint64_t>(at.global)));
  model_->train();
  Timer epoch_timer;
  feature_counts_ = target_counts_ = CacheCounters{};
  double loss_sum = 0, lr = stage.lr;
  std::int64_t images = 0, step = 0;
  data::Batch batch;
  auto reader = loader.epoch(at.global);
  while (reader.next(batch)) {
    if (hooks.stop_requested && hooks.stop_requested())
      throw Interrupted("training stopped by a signal in stage '" + stage.name + "', epoch " +
                        std::to_string(at.epoch + 1) + " (the last completed epoch's checkpoint is kept)");
    const std::int64_t iter = static_cast<std::int64_t>(at.epoch) * steps_per_epoch + step;
    lr = learning_rate(stage, iter, at.epoch);
    for (auto& g : optimizer.param_groups()) g.options().set_lr(lr);
    optimizer.zero_grad();
    torch::Tensor loss = batch_loss(batch);
    const double value = loss.item<double>();
    if (!std::isfinite(value))
      throw RuntimeFailure("training diverged: loss = " + std::to_string(value) + " in stage '" + stage.name + "' (" +
                           std::to_string(at.stage_index + 1) + "/" + std::to_string(spec_.stages.size()) +
                           "), epoch " + std::to_string(at.epoch + 1) + "/" + std::to_string(stage.epochs) +
                           ", step " + std::to_string(step + 1) + "/" + std::to_string(steps_per_epoch) +
                           "; batch samples: " + stems_of(batch) + ". Lower the learning rate or check these images.");
    if (scaler.enabled()) {
      (loss * scaler.scale()).backward();
      if (scaler.unscale_and_check(optimizer_params(optimizer))) optimizer.step();
    } else {
      loss.backward();
      optimizer.step();
    }
    const auto n = static_cast<std::int64_t>(batch.stems.size());
    loss_sum += value * static_cast<double>(n);
    images += n;
    ++step;
    progress.step(stage.name, at.epoch + 1, stage.epochs, step, steps_per_epoch, loss_sum / images, n);
  }
  EpochReport rep;
  rep.stage = stage.name;
  rep.stage_index = at.stage_index;
  rep.epoch = at.epoch + 1;
  rep.global_epoch = at.global + 1;
  rep.train_loss = images > 0 ? loss_sum / images : 0;
  rep.lr = lr;
  rep.seconds = epoch_timer.seconds();
  rep.images = images;
  if (validation) rep.val_loss = validation_loss(*validation, at.global);
  rep.features = feature_counts_;
  rep.targets = target_counts_;
  progress.end_epoch(stage.name, at.epoch + 1, stage.epochs, rep.train_loss, lr, rep.seconds,
                     rep.seconds > 0 ? images / rep.seconds : 0);
  return rep;
}

FitResult Trainer::fit(const data::DataLoader& loader, const EpochCallback& on_epoch,
                       const CheckpointHooks& hooks, const data::DataLoader* validation) {
  if (loader.spec().batch_size != spec_.batch_size)
    throw InputError("trainer: the loader's batch size " + std::to_string(loader.spec().batch_size) +
                     " differs from train.batch_size " + std::to_string(spec_.batch_size));
  at::set_num_threads(resolve_threads(spec_.threads));
  model_->to(device_);
  LossScaler scaler(precision_ == Precision::fp16);  // fp16's range underflows small gradients
  const std::string fprint = protocol_fingerprint(loader);
  const std::string ckpt = checkpoint_path();
  const std::optional<CheckpointPosition> resume = resume_position(ckpt, fprint, hooks);
  const CheckpointPosition start = resume.value_or(CheckpointPosition{});

  int total_epochs = 0;
  for (const auto& s : spec_.stages) total_epochs += s.epochs;
  Progress progress(spec_.progress, static_cast<std::int64_t>(loader.batches_per_epoch()) * (total_epochs - start.global_epochs),
                    spec_.log_every);
  FitResult result;
  result.epochs_resumed = start.global_epochs;
  Timer fit_timer;
  int global = 0;  // epochs completed before the current one, over all stages
  for (int si = 0; si < static_cast<int>(spec_.stages.size()); ++si) {
    const StageSpec& stage = spec_.stages[si];
    // A resumed run skips the stages and epochs its checkpoint has done.
    const bool stage_done = resume && (si < start.stage || (si == start.stage && start.stage_epochs >= stage.epochs));
    const int first_epoch = resume && si == start.stage ? start.stage_epochs : 0;
    if (stage_done || first_epoch >= stage.epochs) {
      if (stage_done) global += stage.epochs;
      continue;
    }
    apply_frozen(stage, *model_);
    auto optimizer = make_optimizer(stage, *model_);
    // Mid-stage: restore model and optimiser; at a stage boundary: the model only (fresh optimiser).
    if (resume && (si == start.stage || global == start.global_epochs))
      load_checkpoint_state(ckpt, *model_, si == start.stage ? optimizer.get() : nullptr);
    global += first_epoch;
    // After a resume's weights are in place: the cache key hashes the frozen weights.
    if (features_ && features_->begin_stage(*cacheable_, precision_) > 0)
      log::info("stage '" + stage.name + "': the frozen prefix's activations come from the feature cache (" +
                spec_.feature_cache + ", " + spec_.feature_cache_dir + ")");
    for (int e = first_epoch; e < stage.epochs; ++e, ++global) {
      const EpochReport rep = train_epoch({si, e, global}, *optimizer, loader, validation, hooks, scaler, progress);
      result.epochs_trained++;
      result.images += rep.images;
      // Report (the epochs row) before the checkpoint: a process killed in between retrains this
      // epoch on resume and reports it again (the store replaces the row), so no epoch goes
      // unrecorded.
      if (on_epoch) on_epoch(rep);
      kill_point("epoch_recorded");
      if (!ckpt.empty())
        save_checkpoint(ckpt, fprint, {si, e + 1, global + 1}, *model_, *optimizer, [&](const std::string& tmp) {
          if (hooks.before_commit) hooks.before_commit(tmp, ckpt);
        });
      kill_point("checkpoint_saved");
    }
  }
  // Everything was already done: leave the model in its final state.
  if (resume && result.epochs_trained == 0 && start.global_epochs > 0) load_checkpoint_state(ckpt, *model_, nullptr);
  model_->eval();
  result.seconds = fit_timer.seconds();
  return result;
}

}  // namespace sodlab::train
