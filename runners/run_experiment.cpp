#include "run_experiment.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <opencv2/core/version.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "cache/map_cache.h"
#include "code_version.h"
#include "config/experiment.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/threads.h"
#include "core/timer.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data/open.h"
#include "data/random.h"
#include "data/splits.h"
#include "data/transforms.h"
#include "losses/registry.h"
#include "metrics/convention.h"
#include "metrics/evaluator.h"
#include "models/registry.h"
#include "store/provenance.h"
#include "store/results_store.h"
#include "train/predict.h"
#include "train/trainer.h"

namespace sodlab::cli {
namespace fs = std::filesystem;
namespace {

// A named test set of one run: what results.dataset records, and the samples.
struct TestSet {
  std::string label;
  data::DatasetPtr dataset;
};

struct RunData {
  data::DatasetPtr train;
  std::vector<TestSet> tests;
  std::string manifest_sha;  // over the train set and every test set
};

data::DatasetPtr open_spec(const config::DatasetSpec& spec, const std::string& data_root) {
  Options options = spec.options;
  if (!spec.split.empty()) options.set("split", spec.split);
  return data::open_dataset(spec.dataset, data_root, options);
}

bool same_source(const config::DatasetSpec& a, const config::DatasetSpec& b) {
  return a.dataset == b.dataset && a.split == b.split &&
         a.options.given() == b.options.given();
}

// With k-fold cross-validation the held-out fold stands in for every test set that names the
// training set itself; other test sets are evaluated whole.
RunData resolve_data(const config::RunSpec& run) {
  constexpr std::uint64_t kFoldSeed = 0;  // folds are the same for every seed of an experiment
  RunData d;
  data::DatasetPtr base = open_spec(run.data.train, run.data.data_root);
  data::DatasetPtr held_out;
  if (run.fold >= 0) {
    auto folds = data::kfold_datasets(base, run.data.folds, run.fold, kFoldSeed);
    d.train = folds.train;
    held_out = folds.test;
  } else {
    d.train = base;
  }
  for (const auto& spec : run.data.test) {
    if (held_out && same_source(spec, run.data.train)) d.tests.push_back({spec.label(), held_out});
    else d.tests.push_back({spec.label(), open_spec(spec, run.data.data_root)});
  }
  Sha256 h;
  h.update("train:" + d.train->manifest_sha() + "\n");
  for (const auto& t : d.tests) h.update("test:" + t.label + ":" + t.dataset->manifest_sha() + "\n");
  d.manifest_sha = h.hex();
  return d;
}

data::Distortion to_data_distortion(const config::Distortion& c) {
  data::Distortion d;
  d.kind = c.kind;
  if (c.kind == "awgn") d.sigma = c.level * 255.0;  // config: σ on the [0,1] scale
  if (c.kind == "jpeg") d.quality = static_cast<int>(c.level);
  return d;
}

train::TrainSpec to_train_spec(const config::RunSpec& run, const std::string& checkpoint_dir,
                               int threads) {
  train::TrainSpec spec;
  for (const auto& s : run.train.stages) {
    train::StageSpec st;
    st.name = s.name;
    st.epochs = s.epochs;
    st.lr = s.lr;
    st.optimizer = s.optimizer;
    st.momentum = s.momentum;
    st.weight_decay = s.weight_decay;
    st.beta1 = s.betas[0];
    st.beta2 = s.betas[1];
    st.schedule = s.schedule;
    st.milestones.assign(s.milestones.begin(), s.milestones.end());
    st.gamma = s.gamma;
    st.frozen = s.frozen;
    spec.stages.push_back(st);
  }
  spec.batch_size = run.train.batch_size;
  spec.seed = static_cast<std::uint64_t>(run.seed);
  spec.checkpoint_dir = checkpoint_dir;
  spec.threads = threads > 0 ? threads : run.train.threads;
  return spec;
}

std::string options_toml(const std::string& table, const Options& o) {
  std::ostringstream os;
  os << "[" << table << "]\n";
  for (const auto& [k, v] : o.resolved()) {
    os << k << " = ";
    if (std::holds_alternative<std::string>(v)) os << '"' << std::get<std::string>(v) << '"';
    else os << option_value_to_string(v);
    os << "\n";
  }
  return os.str();
}

// Keeps runs.heartbeat_at fresh while a run is alive, so a killed run shows up as interrupted.
class HeartbeatThread {
 public:
  HeartbeatThread(store::ResultsStore& store, std::string run_id)
      : store_(store), run_id_(std::move(run_id)), thread_([this] { loop(); }) {}
  ~HeartbeatThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::seconds(20), [this] { return stop_; })) {
      try {
        store_.heartbeat(run_id_);
      } catch (const std::exception& e) {
        log::warn(std::string("heartbeat: ") + e.what());
      }
    }
  }
  store::ResultsStore& store_;
  std::string run_id_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Predicts every image of `set` under `distortion`, evaluates and stores the results.
// With a prediction cache, every map is also stored there (and the set recorded as an artifact).
void evaluate_set(models::SegmentationModel& model, const config::RunSpec& run, const TestSet& set,
                  const config::Distortion& distortion, const std::string& run_id,
                  store::ResultsStore& db, cache::MapCache* predictions) {
  const metrics::Convention convention = metrics::parse_convention(run.eval.convention);
  std::string families;
  for (const auto& m : run.eval.metrics) families += (families.empty() ? "" : ",") + m;
  metrics::Evaluator evaluator(convention, metrics::MetricSelection::parse(families));
  const data::Distortion distort = to_data_distortion(distortion);
  const std::string distortion_label = distortion.label();
  const int size = run.data.input_size;
  const std::size_t n = set.dataset->size();
  const std::size_t batch = static_cast<std::size_t>(std::max(1, run.data.batch_size));

  double inference_seconds = 0;
  std::vector<std::string> prediction_keys;  // in dataset order: their hash names the artifact
  std::int64_t prediction_bytes = 0;
  for (std::size_t first = 0; first < n; first += batch) {
    const std::size_t count = std::min(batch, n - first);
    std::vector<data::Sample> samples(count);
    parallel_for(static_cast<int>(count), resolve_threads(run.data.workers), [&](int i) {
      samples[i] = set.dataset->get(first + i);
      samples[i].image = data::apply_distortion(
          samples[i].image, distort,
          data::derive_seed(static_cast<std::uint64_t>(run.seed), "distortion", first + i));
    });
    std::vector<cv::Mat> images;
    for (const auto& s : samples) images.push_back(s.image);
    Timer timer;
    const std::vector<cv::Mat> maps = train::predict_batch(model, images, size, size);
    inference_seconds += timer.seconds();
    for (std::size_t i = 0; i < count; ++i) {
      evaluator.add(samples[i].stem, maps[i], samples[i].mask);
      if (predictions) {
        const std::string key = cache::prediction_key(run_id, set.dataset->manifest_sha(),
                                                      samples[i].stem, distortion_label);
        predictions->put(key, maps[i]);
        prediction_keys.push_back(key);
        prediction_bytes += static_cast<std::int64_t>(maps[i].total());
      }
    }
  }
  if (predictions)
    db.add_artifact({run_id, "predictions:" + set.label + ":" + distortion_label,
                     predictions->root().string(), cache::make_key(prediction_keys),
                     prediction_bytes});

  const metrics::EvaluationResult r = evaluator.result();
  const std::string conv = metrics::convention_name(convention);
  std::vector<store::ResultRow> rows;
  for (const auto& [metric, value] : r.dataset)
    rows.push_back({run_id, set.label, distortion_label, metric, conv, value});
  rows.push_back({run_id, set.label, distortion_label, "n_images", conv,
                  static_cast<double>(r.n_images)});
  db.add_results(rows);
  std::vector<store::PerImageRow> per_image;
  for (const auto& [stem, values] : r.per_image)
    for (const auto& [metric, value] : values)
      per_image.push_back({run_id, set.label, distortion_label, stem, metric, conv, value});
  db.add_per_image(per_image);
  std::vector<store::CurvePoint> points;
  for (const auto& [key, ys] : r.curves) {
    // Evaluator keys are "curve_<name>"; the store's curve column holds <name> (P, R, F, TPR, ...).
    const std::string curve = key.rfind("curve_", 0) == 0 ? key.substr(6) : key;
    for (std::size_t t = 0; t < ys.size(); ++t)
      points.push_back({run_id, set.label, distortion_label, curve, static_cast<int>(t),
                        static_cast<double>(t) / 255.0, ys[t]});
  }
  db.add_curves(points);
  db.add_timing({run_id, "inference." + set.label + "." + distortion_label, inference_seconds,
                 static_cast<std::int64_t>(n), "cpu"});

  std::ostringstream line;
  line << "  " << set.label << " [" << distortion_label << ", " << conv << "]";
  for (const char* key : {"MAE", "maxF", "wFm", "Sm", "AUROC"}) {
    auto it = r.dataset.find(key);
    if (it != r.dataset.end()) line << "  " << key << " " << std::fixed << std::setprecision(4) << it->second;
  }
  line << "  (" << n << " images, " << std::setprecision(1) << 1e3 * inference_seconds / std::max<std::size_t>(1, n)
       << " ms/image)";
  log::info(line.str());
}

void execute_run(const config::RunSpec& run, const RunData& data, const std::string& run_id,
                 const RunRequest& request, store::ResultsStore& db) {
  Options model_options = run.model.options;
  // Weight initialisation follows the run's seed unless the experiment pins it.
  if (!model_options.has("init_seed")) model_options.set("init_seed", static_cast<std::int64_t>(run.seed));
  auto model = models::make_model(run.model.name, model_options);
  Options loss_options = run.loss.options;
  std::shared_ptr<losses::Loss> loss = losses::make_loss(run.loss.name, loss_options);

  const fs::path run_dir = fs::path(request.runs_dir) / run_id;
  train::TrainSpec spec = to_train_spec(run, run_dir.string(), request.threads);

  store::RunRecord record;
  record.run_id = run_id;
  record.experiment = run.experiment;
  record.variant = run.variant;
  record.profile = run.profile;
  record.fold = run.fold;
  record.seed = run.seed;
  record.config_toml = run.config_toml + "\n# Every option of the model and loss as resolved\n" +
                       options_toml("resolved.model", model_options) +
                       options_toml("resolved.loss", loss_options);
  record.code_version = build::kCodeVersion;
  record.code_dirty = build::kCodeDirty;
  record.host = store::host_name();
  record.cpu = store::cpu_model();
  record.threads = resolve_threads(spec.threads);
  record.device = "cpu";
  record.libtorch = TORCH_VERSION;
  record.opencv = CV_VERSION;
  db.begin_run(record);
  HeartbeatThread heartbeat(db, run_id);

  try {
    data::LoaderSpec loader_spec;
    loader_spec.batch_size = run.train.batch_size;
    loader_spec.width = loader_spec.height = run.data.input_size;
    loader_spec.shuffle = true;
    loader_spec.seed = static_cast<std::uint64_t>(run.seed);
    loader_spec.workers = run.data.workers;
    Options augment("data.augmentation");
    augment.set("augment", run.data.augmentation);
    loader_spec.augment = data::read_augment_spec(augment);
    data::DataLoader loader(data.train, loader_spec);

    train::Trainer trainer(model, loss, spec);
    const train::FitResult fit = trainer.fit(loader, [&](const train::EpochReport& e) {
      db.add_epoch({run_id, e.stage, e.epoch, e.train_loss, std::nullopt, e.lr, e.seconds});
      db.add_timing({run_id, "train." + e.stage + ".epoch" + std::to_string(e.epoch), e.seconds,
                     e.images, "cpu"});
      db.heartbeat(run_id);
    });
    if (fit.epochs_resumed > 0)
      log::info("  resumed after " + std::to_string(fit.epochs_resumed) + " epoch(s) from " +
                trainer.checkpoint_path());
    if (!trainer.checkpoint_path().empty() && fs::exists(trainer.checkpoint_path())) {
      const std::string path = trainer.checkpoint_path();
      db.add_artifact({run_id, "checkpoint", path, sha256_file_hex(path),
                       static_cast<std::int64_t>(fs::file_size(path))});
    }
    std::unique_ptr<cache::MapCache> predictions;
    if (run.eval.save_predictions)
      predictions = std::make_unique<cache::MapCache>(fs::path(request.cache_dir) / "predictions");
    for (const auto& set : data.tests)
      for (const auto& distortion : run.data.distortions)
        evaluate_set(*model, run, set, distortion, run_id, db, predictions.get());
    db.set_status(run_id, store::kStatusCompleted);
  } catch (const std::exception& e) {
    db.set_status(run_id, store::kStatusFailed, e.what());
    throw;
  }
}

}  // namespace

RunSummary run_experiment(const RunRequest& request) {
  config::LoadOptions load;
  load.profile = request.profile;
  load.sets = request.sets;
  load.variants = request.variants;
  const config::Experiment experiment =
      config::load_experiment(config::resolve_experiment_path(request.experiment), load);
  const std::vector<config::RunSpec> runs = config::expand(experiment);

  // Fail fast on a bad loss option in any variant, before the first run trains (models are
  // validated when built: constructing a paper-size network just to check options is too costly).
  for (const auto& run : runs) {
    Options options = run.loss.options;
    losses::make_loss(run.loss.name, options);
  }

  RunSummary summary;
  summary.planned = static_cast<int>(runs.size());
  log::info(experiment.info.name + (experiment.profile.empty() ? "" : " [profile " + experiment.profile + "]") +
            ": " + std::to_string(runs.size()) + " run(s)");
  std::unique_ptr<store::ResultsStore> db;
  if (!request.dry_run) db = std::make_unique<store::ResultsStore>(request.db_path);

  for (std::size_t i = 0; i < runs.size(); ++i) {
    const config::RunSpec& run = runs[i];
    const RunData data = resolve_data(run);
    const std::string id = config::run_id(run, build::kCodeVersion, data.manifest_sha);
    summary.run_ids.push_back(id);
    std::ostringstream head;
    head << "[" << i + 1 << "/" << runs.size() << "] " << id << "  variant=" << run.variant
         << " seed=" << run.seed << (run.fold >= 0 ? " fold=" + std::to_string(run.fold) : "")
         << "  model=" << run.model.name << " loss=" << run.loss.name << "  train=" << data.train->size()
         << " images";
    log::info(head.str());
    if (request.dry_run) continue;
    if (auto existing = db->find_run(id); existing && existing->status == store::kStatusCompleted &&
                                          !request.force) {
      log::info("  already completed (use --force to redo)");
      ++summary.skipped;
      continue;
    }
    Timer timer;
    execute_run(run, data, id, request, *db);
    ++summary.completed;
    log::info("  completed in " + std::to_string(static_cast<int>(timer.seconds())) + " s");
  }
  return summary;
}

}  // namespace sodlab::cli
