// Evaluation of a model on one test set under one distortion, and recording it in the store.
//
// evaluate() predicts every image (batched, at the run's input size; a random strength's level
// and the AWGN noise seeded per image from the run seed and the image's stem), scores the maps with the metrics evaluator and returns everything; it
// writes nothing, so eval-only experiments and re-scoring can use it without training.
// record_evaluation() writes one SetEvaluation: dataset results (+ n_images), per-image values,
// curves, the inference timing, and (when maps were cached) the predictions artifact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cache/map_cache.h"
#include "data/transforms.h"
#include "metrics/convention.h"
#include "metrics/evaluator.h"
#include "models/model.h"
#include "pipeline/run_data.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

struct EvalSettings {
  metrics::Convention convention = metrics::Convention::pysodmetrics;
  metrics::MetricSelection metrics;
  int input_size = 224;       // model input (square)
  int batch_size = 8;         // images per forward
  int workers = 0;            // loading threads (0: all cores)
  std::uint64_t seed = 0;     // distortions: data::distortion_level_seed / _noise_seed(seed, stem)
  std::string device = "cpu";
};

struct SetEvaluation {
  std::string dataset;       // results.dataset (the test set's label)
  std::string distortion;    // results.distortion (data::Distortion::label())
  metrics::EvaluationResult result;
  double inference_seconds = 0;
  std::int64_t images = 0;
  std::vector<std::string> prediction_keys;  // cache keys in dataset order (empty: not cached)
  std::int64_t prediction_bytes = 0;
  std::string device = "cpu";  // EvalSettings::device (timings.device)
  // A random-strength distortion: each image's drawn level (σ or quality), recorded in
  // per_image as metric "distortion_level".
  std::vector<std::pair<std::string, double>> levels;
};

// Settings of a run's evaluation (convention, metric families, sizes, seed) from its config.
EvalSettings eval_settings(const config::RunSpec& run);

// `predictions` (optional) receives every 8-bit map, keyed by run id × dataset manifest × stem ×
// distortion.
SetEvaluation evaluate(models::SegmentationModel& model, const TestSet& set,
                       const data::Distortion& distortion, const EvalSettings& settings,
                       const std::string& run_id, cache::MapCache* predictions = nullptr);

void record_evaluation(store::ResultsStore& store, const std::string& run_id,
                       const SetEvaluation& e, const cache::MapCache* predictions = nullptr);

// "  sod [none, pysodmetrics]  MAE 0.1234  wFm 0.5678 ... (50 images, 12.3 ms/image)"
std::string summary_line(const SetEvaluation& e);

}  // namespace sodlab::pipeline
