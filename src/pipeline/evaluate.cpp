#include "pipeline/evaluate.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "core/threads.h"
#include "core/timer.h"
#include "data/random.h"
#include "train/predict.h"

namespace sodlab::pipeline {

EvalSettings eval_settings(const config::RunSpec& run) {
  EvalSettings s;
  s.convention = metrics::parse_convention(run.eval.convention);
  s.metrics = metrics::MetricSelection::from_names(run.eval.metrics);
  s.input_size = run.data.input_size;
  s.batch_size = run.data.batch_size;
  s.workers = run.data.workers;
  s.seed = static_cast<std::uint64_t>(run.seed);
  return s;
}

SetEvaluation evaluate(models::SegmentationModel& model, const TestSet& set,
                       const data::Distortion& distortion, const EvalSettings& settings,
                       const std::string& run_id, cache::MapCache* predictions) {
  metrics::Evaluator evaluator(settings.convention, settings.metrics);
  SetEvaluation out;
  out.device = settings.device;
  out.dataset = set.label;
  out.distortion = distortion.label();
  const std::size_t n = set.dataset->size();
  const std::size_t batch = static_cast<std::size_t>(std::max(1, settings.batch_size));
  const int size = settings.input_size;
  for (std::size_t first = 0; first < n; first += batch) {
    const std::size_t count = std::min(batch, n - first);
    std::vector<data::Sample> samples(count);
    std::vector<double> levels(count);
    parallel_for(static_cast<int>(count), resolve_threads(settings.workers), [&](int i) {
      samples[i] = set.dataset->get(first + i);
      const std::string& stem = samples[i].stem;
      const data::Distortion fixed = distortion.draw(data::distortion_level_seed(settings.seed, stem));
      levels[i] = fixed.level();
      samples[i].image = data::apply_distortion(samples[i].image, fixed,
                                                data::distortion_noise_seed(settings.seed, stem));
    });
    if (distortion.random)
      for (std::size_t i = 0; i < count; ++i) out.levels.emplace_back(samples[i].stem, levels[i]);
    std::vector<cv::Mat> images;
    for (const auto& s : samples) images.push_back(s.image);
    Timer timer;
    const std::vector<cv::Mat> maps = train::predict_batch(model, images, size, size);
    out.inference_seconds += timer.seconds();
    for (std::size_t i = 0; i < count; ++i) {
      evaluator.add(samples[i].stem, maps[i], samples[i].mask);
      if (predictions) {
        const std::string key = cache::prediction_key(run_id, set.dataset->manifest_sha(),
                                                      samples[i].stem, out.distortion);
        predictions->put(key, maps[i], run_id);
        out.prediction_keys.push_back(key);
        out.prediction_bytes += static_cast<std::int64_t>(maps[i].total());
      }
    }
  }
  out.images = static_cast<std::int64_t>(n);
  out.result = evaluator.result();
  return out;
}

void record_evaluation(store::ResultsStore& store, const std::string& run_id, const SetEvaluation& e,
                       const cache::MapCache* predictions) {
  const metrics::EvaluationResult& r = e.result;
  const std::string conv = metrics::convention_name(r.convention);
  std::vector<store::PerImageRow> per_image;
  for (const auto& [stem, values] : r.per_image)
    for (const auto& [metric, value] : values)
      per_image.push_back({run_id, e.dataset, e.distortion, stem, metric, conv, value});
  for (const auto& [stem, level] : e.levels)  // a random strength's drawn level, per image
    per_image.push_back({run_id, e.dataset, e.distortion, stem, "distortion_level", conv, level});
  store.add_per_image(per_image);
  std::vector<store::CurvePoint> points;
  for (const auto& [key, ys] : r.curves) {
    // Evaluator keys are "curve_<name>"; the store's curve column holds <name> (P, R, F, TPR, ...).
    const std::string curve = key.rfind("curve_", 0) == 0 ? key.substr(6) : key;
    for (std::size_t t = 0; t < ys.size(); ++t)
      points.push_back({run_id, e.dataset, e.distortion, curve, static_cast<int>(t),
                        static_cast<double>(t) / 255.0, ys[t]});
  }
  store.add_curves(points);
  store.add_timing({run_id, "inference." + e.dataset + "." + e.distortion, e.inference_seconds,
                    e.images, e.device});
  if (predictions && !e.prediction_keys.empty())
    store.add_artifact({run_id, "predictions:" + e.dataset + ":" + e.distortion,
                        predictions->root().string(), cache::make_key(e.prediction_keys),
                        e.prediction_bytes});
  // The dataset results last: their presence (what missing_evaluations checks) implies the rest.
  std::vector<store::ResultRow> rows;
  for (const auto& [metric, value] : r.dataset)
    rows.push_back({run_id, e.dataset, e.distortion, metric, conv, value});
  rows.push_back({run_id, e.dataset, e.distortion, "n_images", conv, static_cast<double>(r.n_images)});
  store.add_results(rows);
}

std::string summary_line(const SetEvaluation& e) {
  std::ostringstream line;
  line << "  " << e.dataset << " [" << e.distortion << ", "
       << metrics::convention_name(e.result.convention) << "]";
  for (const char* key : {"MAE", "maxF", "wFm", "Sm", "AUROC"}) {
    auto it = e.result.dataset.find(key);
    if (it != e.result.dataset.end())
      line << "  " << key << " " << std::fixed << std::setprecision(4) << it->second;
  }
  line << "  (" << e.images << " images, " << std::setprecision(1)
       << 1e3 * e.inference_seconds / static_cast<double>(std::max<std::int64_t>(1, e.images))
       << " ms/image)";
  return line.str();
}

}  // namespace sodlab::pipeline
