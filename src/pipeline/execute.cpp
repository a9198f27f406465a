#include "pipeline/execute.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <opencv2/core/version.hpp>

#include <filesystem>
#include <memory>
#include <sstream>

#include "cache/map_cache.h"
#include "code_version.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/timer.h"
#include "data/loader.h"
#include "losses/registry.h"
#include "models/registry.h"
#include "pipeline/evaluate.h"
#include "pipeline/heartbeat.h"
#include "pipeline/specs.h"
#include "store/provenance.h"
#include "train/trainer.h"

namespace sodlab::pipeline {
namespace fs = std::filesystem;
namespace {

store::RunRecord run_record(const PlannedRun& run) {
  const config::RunSpec& spec = run.spec;
  store::RunRecord record;
  record.run_id = run.run_id;
  record.experiment = spec.experiment;
  record.variant = spec.variant;
  record.profile = spec.profile;
  record.fold = spec.fold;
  record.seed = spec.seed;
  record.config_toml = spec.config_toml;
  record.overrides = run.overrides;
  record.code_version = build::kCodeVersion;
  record.code_dirty = build::kCodeDirty;
  record.host = store::host_name();
  record.cpu = store::cpu_model();
  record.threads = run.threads;
  record.device = "cpu";
  record.libtorch = TORCH_VERSION;
  record.opencv = CV_VERSION;
  return record;
}

store::RunRef run_ref(const PlannedRun& run) {
  store::RunRef ref;
  ref.run_id = run.run_id;
  ref.experiment = run.spec.experiment;
  ref.variant = run.spec.variant;
  ref.profile = run.spec.profile;
  ref.overrides = run.overrides;
  return ref;
}

}  // namespace

void execute(const PlannedRun& run, store::ResultsStore& db, const ExecuteOptions& options) {
  const config::RunSpec& spec = run.spec;
  Options model_options = spec.model.options;
  auto model = models::make_model(spec.model.name, model_options, models::Weights::load);
  Options loss_options = spec.loss.options;
  std::shared_ptr<losses::Loss> loss = losses::make_loss(spec.loss.name, loss_options);
  const fs::path run_dir = fs::path(options.runs_dir) / run.run_id;
  const train::TrainSpec train = train_spec(spec, run_dir.string(), run.threads);

  db.begin_run(run_record(run));
  Heartbeat heartbeat(db, run.run_id);
  try {
    data::DataLoader loader(run.data.train, train_loader_spec(spec));
    train::Trainer trainer(model, loss, train);
    const train::FitResult fit = trainer.fit(loader, [&](const train::EpochReport& e) {
      db.add_epoch({run.run_id, e.stage, e.epoch, e.train_loss, std::nullopt, e.lr, e.seconds});
      db.add_timing({run.run_id, "train." + e.stage + ".epoch" + std::to_string(e.epoch), e.seconds,
                     e.images, "cpu"});
      db.heartbeat(run.run_id);
    });
    if (fit.epochs_resumed > 0)
      log::info("  resumed after " + std::to_string(fit.epochs_resumed) + " epoch(s) from " +
                trainer.checkpoint_path());
    if (!trainer.checkpoint_path().empty() && fs::exists(trainer.checkpoint_path())) {
      const std::string path = trainer.checkpoint_path();
      db.add_artifact({run.run_id, "checkpoint", path, sha256_file_hex(path),
                       static_cast<std::int64_t>(fs::file_size(path))});
    }
    std::unique_ptr<cache::MapCache> predictions;
    if (spec.eval.save_predictions)
      predictions = std::make_unique<cache::MapCache>(fs::path(options.cache_dir) / "predictions");
    const EvalSettings settings = eval_settings(spec);
    for (const auto& set : run.data.tests) {
      for (const auto& distortion : spec.data.distortions) {
        const SetEvaluation e =
            evaluate(*model, set, distortion_spec(distortion), settings, run.run_id, predictions.get());
        record_evaluation(db, run.run_id, e, predictions.get());
        log::info(summary_line(e));
      }
    }
    db.set_status(run.run_id, store::kStatusCompleted);
  } catch (const std::exception& e) {
    db.set_status(run.run_id, store::kStatusFailed, e.what());
    throw;
  }
}

RunSummary run_plan(const Plan& plan, store::ResultsStore* db, const ExecuteOptions& options,
                    bool dry_run) {
  const config::Experiment& ex = plan.experiment;
  RunSummary summary;
  summary.planned = static_cast<int>(plan.runs.size());
  log::info(ex.info.name + (ex.profile.empty() ? "" : " [profile " + ex.profile + "]") + ": " +
            std::to_string(plan.runs.size()) + " run(s)");
  if (!dry_run) {
    for (const PlannedRun& run : plan.runs) {
      db->register_planned(run_record(run));
      db->add_run_ref(run_ref(run));
    }
  }
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& run = plan.runs[i];
    const config::RunSpec& spec = run.spec;
    summary.run_ids.push_back(run.run_id);
    std::ostringstream head;
    head << "[" << i + 1 << "/" << plan.runs.size() << "] " << run.run_id << "  variant=" << spec.variant
         << " seed=" << spec.seed << (spec.fold >= 0 ? " fold=" + std::to_string(spec.fold) : "")
         << "  model=" << spec.model.name << " loss=" << spec.loss.name
         << "  train=" << run.data.train->size() << " images";
    log::info(head.str());
    if (dry_run) continue;
    if (auto existing = db->find_run(run.run_id);
        existing && existing->status == store::kStatusCompleted && !options.force) {
      const bool shared = existing->experiment != spec.experiment || existing->variant != spec.variant;
      log::info(std::string("  already completed") +
                (shared ? " (trained for " + existing->experiment + " / " + existing->variant + ")" : "") +
                " (use --force to redo)");
      ++summary.skipped;
      continue;
    }
    Timer timer;
    execute(run, *db, options);
    ++summary.completed;
    log::info("  completed in " + std::to_string(static_cast<int>(timer.seconds())) + " s");
  }
  return summary;
}

}  // namespace sodlab::pipeline
