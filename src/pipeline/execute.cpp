#include "pipeline/execute.h"

#include <torch/torch.h>


#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <sstream>

#include "cache/map_cache.h"
#include "core/blas_threads.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/names.h"
#include "core/process_memory.h"
#include "core/stop_signal.h"
#include "core/threads.h"
#include "core/timer.h"
#include "data/loader.h"
#include "data/registry.h"
#include "losses/registry.h"
#include "metrics/convention.h"
#include "models/registry.h"
#include "pipeline/evaluate.h"
#include "pipeline/lifecycle.h"
#include "pipeline/jacobian_eval.h"
#include "pipeline/provenance.h"
#include "pipeline/specs.h"
#include "pipeline/trained_model.h"
#include "store/provenance.h"
#include "train/checkpoint.h"
#include "train/device.h"
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
  fill_provenance(record, run.threads, run.device);
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

// The message of an exception without LibTorch's C++ backtrace (kept in the log, not the store).
// Every test image decodes (a corrupt file is found before hours of training, not after).
void check_test_sets(const RunData& data, int threads) {
  for (const auto& set : data.tests)
    parallel_for(static_cast<int>(set.dataset->size()), threads,
                 [&](int i) { set.dataset->get(static_cast<std::size_t>(i)); });
}

// `final_path`: where the checkpoint lives once the run is done (a redo attempt's folder becomes
// the run's), the path recorded with its hash.
train::CheckpointHooks checkpoint_hooks(store::ResultsStore& db, const std::string& id, bool restart,
                                        const std::string& final_path) {
  train::CheckpointHooks hooks;
  hooks.accept_for_resume = [&db, id, restart](const std::string& path) {
    if (restart) {
      log::info("  --restart: ignoring checkpoint " + path);
      return false;
    }
    switch (check_recorded_checkpoint(db, id, path, {"checkpoint", "checkpoint:previous"})) {
      case CheckpointRecord::matches:
        return true;
      case CheckpointRecord::unrecorded:
        log::warn("checkpoint " + path + " has no record in the store " + db.path() +
                  " (was the database deleted or replaced?): ignored, training from scratch");
        return false;
      case CheckpointRecord::differs:
        break;
    }
    throw InputError(path + ": checkpoint does not match the SHA-256 recorded in " + db.path() +
                     " (corrupted or replaced); delete it to start over, or run with --restart");
  };
  hooks.before_commit = [&db, id, final_path](const std::string& tmp, const std::string&) {
    for (const auto& a : db.artifacts(id))
      if (a.kind == "checkpoint") db.add_artifact({id, "checkpoint:previous", a.path, a.sha256, a.bytes});
    db.add_artifact({id, "checkpoint", final_path, sha256_file_hex(tmp),
                     static_cast<std::int64_t>(fs::file_size(tmp))});
  };
  hooks.stop_requested = [] { return stop_requested(); };
  return hooks;
}

// The epoch (1-based over all stages) with the lowest validation loss, from the store's epochs
// (a resumed run's earlier epochs included): results `best_epoch` and `best_val_loss` on the
// validation set, convention "none".
void record_best_epoch(store::ResultsStore& db, const std::string& id, const std::string& label) {
  const auto epochs = db.epochs(id);
  std::optional<double> best;
  int best_epoch = 0;
  for (std::size_t i = 0; i < epochs.size(); ++i)
    if (epochs[i].val_loss && std::isfinite(*epochs[i].val_loss) && (!best || *epochs[i].val_loss < *best)) {
      best = epochs[i].val_loss;
      best_epoch = static_cast<int>(i) + 1;
    }
  if (!best) return;
  db.add_results({{id, label, "none", "best_epoch", "none", static_cast<double>(best_epoch)},
                  {id, label, "none", "best_val_loss", "none", *best}});
  log::info("  best validation loss " + std::to_string(*best) + " at epoch " + std::to_string(best_epoch) +
            " of " + std::to_string(epochs.size()) + " (" + epochs[best_epoch - 1].stage + " " +
            std::to_string(epochs[best_epoch - 1].epoch) + ")");
}

// One epoch of a training cache as two timings: PHASE.hits (seconds reading, entries, bytes read)
// and PHASE.misses (seconds computing and writing, entries, bytes written).
void record_cache_counters(store::ResultsStore& db, const std::string& id, const std::string& phase,
                           const train::CacheCounters& c, const std::string& device) {
  if (!c.used()) return;
  db.add_timing({id, phase + ".hits", c.read_seconds, c.hits, device, c.bytes_read});
  db.add_timing({id, phase + ".misses", c.miss_seconds, c.misses, device, c.bytes_written});
}

// The epoch's peak memory as timings with bytes (seconds 0): "memory.peak_resident.<epoch>" (the
// process's resident high-water mark, core/process_memory.h) and, on a GPU,
// "memory.cuda_in_use.<epoch>"; then a new high-water mark starts.
void record_peak_memory(store::ResultsStore& db, const std::string& id, const std::string& epoch,
                        std::int64_t images, const std::string& device) {
  if (const auto peak = peak_resident_bytes())
    db.add_timing({id, "memory.peak_resident." + epoch, 0.0, images, device, *peak});
  if (const auto cuda = train::cuda_memory_in_use(device))
    db.add_timing({id, "memory.cuda_in_use." + epoch, 0.0, images, device, *cuda});
  reset_peak_resident();
}

// Where each catalogue dataset of the run was read from (datasets file or data root), as
// provenance: artifacts "dataset:<name>" → folder. Never part of the run's identity.
void record_dataset_locations(const config::RunSpec& spec, const std::string& id, store::ResultsStore& db) {
  std::set<std::string> names;
  auto note = [&](const config::DatasetSpec& d) {
    if (!d.dataset.empty() && d.dataset != "synthetic" && data::dataset_registry().find(d.dataset)) names.insert(d.dataset);
  };
  note(spec.data.train);
  note(spec.data.validation);
  for (const auto& t : spec.data.test) note(t);
  for (const auto& name : names)
    db.add_artifact({id, "dataset:" + name, fs::absolute(data::locate_dataset(spec.data.data_root, name).match.root).lexically_normal().string(), "", 0});
}

// Trains and evaluates `run`, recording under `id` (the run id, or a redo attempt's id).
void train_evaluate_record(const PlannedRun& run, const std::string& id, store::ResultsStore& db,
                           const ExecuteOptions& options, bool restart) {
  const config::RunSpec& spec = run.spec;
  check_test_sets(run.data, resolve_threads(spec.data.workers));
  record_dataset_locations(spec, id, db);
  use_one_thread_pool();  // the BLAS threads the run id names (code_identity)
  Options model_options = spec.model.options;
  auto model = models::make_model(spec.model.name, model_options, models::Weights::load);
  Options loss_options = spec.loss.options;
  std::shared_ptr<losses::Loss> loss = losses::make_loss(spec.loss.name, loss_options);
  const fs::path run_dir = fs::path(options.runs_dir) / id;
  if (train::device_kind(run.device) == "cpu" && spec.train.precision == "bf16" && !train::cpu_has_native_bf16())
    log::warn("train.precision = bf16 on a CPU without AVX-512 BF16 / AMX (" + store::cpu_model() +
              "): LibTorch computes bf16 convolutions in its reference kernels here, many times slower than fp32");
  data::DataLoader loader(run.data.train, train_loader_spec(spec, run.device));
  std::unique_ptr<data::DataLoader> validation;
  if (run.data.validation)
    validation = std::make_unique<data::DataLoader>(run.data.validation, validation_loader_spec(spec, run.device));
  train::TrainSpec training = train_spec(spec, run_dir.string(), run.threads, run.device);
  set_training_caches(spec, options.cache_dir, run.run_id, training);
  train::Trainer trainer(model, loss, training);
  reset_peak_resident();  // each epoch's peak from here on (record_peak_memory)
  const train::FitResult fit = trainer.fit(
      loader,
      [&](const train::EpochReport& e) {
        if (e.val_loss) log::info("  validation loss " + std::to_string(*e.val_loss));
        db.add_epoch({id, e.stage, e.epoch, e.train_loss, e.val_loss, e.lr, e.seconds});
        const std::string epoch = e.stage + ".epoch" + std::to_string(e.epoch);
        db.add_timing({id, "train." + epoch, e.seconds, e.images, run.device});
        record_cache_counters(db, id, "cache.features." + epoch, e.features, run.device);
        record_cache_counters(db, id, "cache.targets." + epoch, e.targets, run.device);
        record_peak_memory(db, id, epoch, e.images, run.device);
        db.heartbeat(id);
      },
      checkpoint_hooks(db, id, restart,
                       (fs::path(options.runs_dir) / run.run_id / "checkpoint.pt").string()),
      validation.get());
  if (validation) record_best_epoch(db, id, run.data.validation_label);
  if (fit.epochs_resumed > 0)
    log::info("  resumed after " + std::to_string(fit.epochs_resumed) + " epoch(s) from " +
              trainer.checkpoint_path());
  evaluate_sets(*model, run, id, db, options, all_evaluations(run));
}

}  // namespace

std::string Evaluation::describe() const {
  return set->label + " [" + (jacobian.empty() ? distortion_spec(distortion).label() : "jacobian " + jacobian) + "]";
}

std::vector<Evaluation> all_evaluations(const PlannedRun& run) {
  std::vector<Evaluation> out;
  for (const auto& set : run.data.tests) {
    for (const auto& distortion : run.spec.data.distortions) out.push_back({&set, distortion, ""});
    for (const auto& estimator : run.spec.eval.jacobian_estimators)
      out.push_back({&set, config::Distortion{"none"}, estimator});
  }
  return out;
}

std::vector<Evaluation> missing_evaluations(const PlannedRun& run, store::ResultsStore& db) {
  const metrics::MetricSelection selection = metrics::MetricSelection::from_names(run.spec.eval.metrics);
  std::vector<std::string> required;  // the first key of each selected family stands for it
  for (const auto& e : metrics::metric_family_registry().entries())
    if (selection.has(e.name)) required.push_back(e.keys.front().name);
  std::set<std::string> have;
  for (const auto& r : db.results(run.run_id))
    have.insert(r.dataset + "\n" + r.distortion + "\n" + r.convention + "\n" + r.metric);
  std::map<std::string, std::string> jacobian_label;
  for (const auto& [estimator, label] : jacobian_conventions(run.spec)) jacobian_label[estimator] = label;
  std::vector<Evaluation> out;
  for (const Evaluation& e : all_evaluations(run)) {
    if (!e.jacobian.empty()) {
      const std::string first = robustness::estimator_registry().find(e.jacobian)->metrics.front();
      if (!have.count(e.set->label + "\nnone\n" + jacobian_label[e.jacobian] + "\n" + first)) out.push_back(e);
      continue;
    }
    const std::string prefix = e.set->label + "\n" + distortion_spec(e.distortion).label() + "\n" +
                               run.spec.eval.convention + "\n";
    for (const auto& metric : required)
      if (!have.count(prefix + metric)) {
        out.push_back(e);
        break;
      }
  }
  return out;
}

void evaluate_sets(models::SegmentationModel& model, const PlannedRun& run, const std::string& id,
                   store::ResultsStore& db, const ExecuteOptions& options,
                   const std::vector<Evaluation>& evaluations) {
  std::unique_ptr<cache::MapCache> predictions;
  if (run.spec.eval.save_predictions)
    predictions = std::make_unique<cache::MapCache>(fs::path(options.cache_dir) / "predictions");
  EvalSettings settings = eval_settings(run.spec);
  settings.device = run.device;
  for (const Evaluation& ev : evaluations) {
    if (stop_requested())
      throw train::Interrupted("stopped by a signal before evaluating " + ev.describe());
    if (!ev.jacobian.empty()) {
      SetJacobian j = evaluate_jacobian(model, *ev.set, ev.jacobian, jacobian_settings(run.spec),
                                        run.spec.data.workers);
      j.device = run.device;
      record_jacobian(db, id, j);
      log::info(summary_line(j));
      continue;
    }
    // Prediction cache keys use the run id (what the maps are), rows the record id.
    SetEvaluation e = evaluate(model, *ev.set, distortion_spec(ev.distortion), settings, run.run_id,
                               predictions.get());
    record_evaluation(db, id, e, predictions.get());
    log::info(summary_line(e));
  }
}

void evaluate_completed(const PlannedRun& run, store::ResultsStore& db, const ExecuteOptions& options,
                        const std::vector<Evaluation>& evaluations) {
  std::string sets;
  for (const auto& e : evaluations) sets += (sets.empty() ? "" : ", ") + e.describe();
  auto model = load_final_model(run, db, "evaluate " + sets, "; run with --force to retrain it");
  check_test_sets(run.data, resolve_threads(run.spec.data.workers));
  log::info("  evaluating " + sets + " with the final checkpoint");
  at::set_num_threads(run.threads);
  use_one_thread_pool();
  evaluate_sets(*model, run, run.run_id, db, options, evaluations);
}

ExecuteOutcome execute(const PlannedRun& run, store::ResultsStore& db, const ExecuteOptions& options) {
  const auto existing = db.find_run(run.run_id);
  const bool redo = options.force && existing && existing->status == store::kStatusCompleted;
  store::RunRecord record = run_record(run);
  if (redo) {
    record.run_id = run.run_id + "~redo";
    record.attempt_of = run.run_id;
    std::error_code ec;
    fs::remove_all(fs::path(options.runs_dir) / record.run_id, ec);  // an earlier failed attempt's
  }
  const std::string id = record.run_id;
  switch (claim_for_this_process(db, record, options.claim)) {
    case ClaimOutcome::left: return ExecuteOutcome::left;
    case ClaimOutcome::busy: return ExecuteOutcome::busy;
    case ClaimOutcome::claimed: break;
  }
  run_claimed(db, id, [&] { train_evaluate_record(run, id, db, options, options.restart || options.force); });
  if (redo) {
    db.promote_attempt(id, run.run_id);
    // The attempt's checkpoint folder becomes the run's.
    const fs::path from = fs::path(options.runs_dir) / id, to = fs::path(options.runs_dir) / run.run_id;
    std::error_code ec;
    fs::remove_all(to, ec);
    fs::rename(from, to, ec);
    if (ec) log::warn("cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
    log::info("  redo completed: the results of " + run.run_id + " were replaced");
  }
  return ExecuteOutcome::completed;
}

// An eval-only plan evaluates trained runs and never trains: every run must be completed.
static void require_trained(const Plan& plan, store::ResultsStore& db) {
  const config::Experiment& ex = plan.experiment;
  std::vector<std::string> missing;
  for (const PlannedRun& run : plan.runs) {
    const auto record = db.find_run(run.run_id);
    if (record && record->status == store::kStatusCompleted) continue;
    missing.push_back(run.run_id + " (variant " + run.spec.variant +
                      (run.spec.fold >= 0 ? ", fold " + std::to_string(run.spec.fold) : "") + ", seed " +
                      std::to_string(run.spec.seed) + (record ? ", " + record->status : ", not in the store") + ")");
  }
  if (missing.empty()) return;
  const std::string command = "sodlab run " + ex.runs_of + (ex.profile.empty() ? "" : " --profile " + ex.profile);
  throw InputError(ex.info.name + " evaluates the runs of " + ex.runs_of + " and never trains; " +
                   std::to_string(missing.size()) + " of " + std::to_string(plan.runs.size()) +
                   " are not trained in " + db.path() + ": " + join_names(missing, "; ") + ". Run `" +
                   command + "` first (with the same --threads and training --set overrides)");
}

void register_runs(const Plan& plan, store::ResultsStore& db) {
  for (const PlannedRun& run : plan.runs) {
    if (!plan.experiment.is_eval_only()) db.register_planned(run_record(run));
    db.add_run_ref(run_ref(run));
    if (!run.spec.params.empty()) db.add_params(run.run_id, run.spec.params);
  }
}

// Builds each distinct model of the plan once and runs it on one image of the input size.
static void dry_run_models(const Plan& plan) {
  std::set<std::string> seen;
  for (const PlannedRun& run : plan.runs) {
    const config::RunSpec& spec = run.spec;
    const std::string key = spec.model.name + "\n" + std::to_string(spec.data.input_size) + "\n" +
                            [&] {
                              std::string k;
                              for (const auto& [o, v] : spec.model.options.given())
                                if (o != "init_seed") k += o + "=" + option_value_to_string(v) + ";";
                              return k;
                            }();
    if (!seen.insert(key).second) continue;
    try {
      Options o = spec.model.options;
      auto model = models::make_model(spec.model.name, o, models::Weights::skip);
      model->eval();
      torch::NoGradGuard no_grad;
      model->forward(torch::zeros({1, 3, spec.data.input_size, spec.data.input_size}));
    } catch (const std::exception& e) {
      throw InputError(spec.model.where + " (variant '" + spec.variant + "'): model '" +
                       spec.model.name + "' at input_size " + std::to_string(spec.data.input_size) +
                       ": " + message_of(e));
    }
  }
}

namespace {

// A dry run's line on what the store (read-only) holds of a planned run, counted as run_plan would.
void describe_stored(const PlannedRun& run, store::ResultsStore& db, const ExecuteOptions& options, RunSummary& s) {
  const auto existing = db.find_run(run.run_id);
  if (!existing) {
    log::info("  not in the store: would be trained");
    return;
  }
  if (existing->status != store::kStatusCompleted || options.force) {
    log::info("  in the store as " + existing->status + ": would be " +
              (options.force ? std::string("retrained (--force)")
                             : existing->status == store::kStatusInterrupted ? "resumed" : "trained"));
    return;
  }
  const std::size_t missing = missing_evaluations(run, db).size();
  if (missing == 0) {
    ++s.skipped;
    log::info("  completed in the store");
  } else {
    ++s.evaluated;
    log::info("  completed in the store; would be evaluated on " + std::to_string(missing) + " missing test set(s)");
  }
}

}  // namespace

RunSummary run_plan(const Plan& plan, store::ResultsStore* db, const ExecuteOptions& options,
                    bool dry_run) {
  const config::Experiment& ex = plan.experiment;
  RunSummary summary;
  if (plan.study) {
    summary.planned = 1;
    summary.run_ids.push_back(plan.study->run_id);
    if (dry_run) {
      log::info(ex.info.name + ": study '" + plan.study->kind + "' " + plan.study->run_id);
      return summary;
    }
    if (run_study(ex, *plan.study, *db, options.force)) ++summary.completed;
    else ++summary.skipped;
    return summary;
  }
  summary.planned = static_cast<int>(plan.runs.size());
  log::info(ex.info.name + (ex.profile.empty() ? "" : " [profile " + ex.profile + "]") + ": " +
            std::to_string(plan.runs.size()) + " run(s)");
  if (dry_run) dry_run_models(plan);
  if (!dry_run) {
    if (ex.is_eval_only()) require_trained(plan, *db);
    register_runs(plan, *db);
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
    if (dry_run) {
      if (db) describe_stored(run, *db, options, summary);
      continue;
    }
    if (stop_requested()) throw train::Interrupted("stopped by a signal before run " + run.run_id);
    if (auto existing = db->find_run(run.run_id);
        existing && existing->status == store::kStatusCompleted && !options.force) {
      const bool shared = existing->experiment != spec.experiment || existing->variant != spec.variant;
      log::info(std::string("  already trained") +
                (shared ? " (for " + existing->experiment + " / " + existing->variant + ")" : "") +
                " (use --force to redo)");
      const std::vector<Evaluation> missing = missing_evaluations(run, *db);
      if (missing.empty()) {
        ++summary.skipped;
      } else {
        evaluate_completed(run, *db, options, missing);
        ++summary.evaluated;
      }
      continue;
    }
    Timer timer;
    const ExecuteOutcome outcome = execute(run, *db, options);
    if (outcome == ExecuteOutcome::busy) ++summary.busy;
    if (outcome != ExecuteOutcome::completed) continue;
    ++summary.completed;
    log::info("  completed in " + std::to_string(static_cast<int>(timer.seconds())) + " s");
    if (spec.train.rehearse > 0) {  // a rehearsal's checkpoints were written to be measured, not kept
      std::error_code ec;
      fs::remove_all(fs::path(options.runs_dir) / run.run_id, ec);
    }
  }
  return summary;
}

}  // namespace sodlab::pipeline
