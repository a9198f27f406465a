// A dress rehearsal of an experiment's protocol: `sodlab run EXP --profile paper --rehearse[=N]`
// (config train.rehearse = N; the plan sets it on every run with PlanRequest::rehearse).
//
// Every run of the plan executes exactly as the real run would (model width, input size, pretrained
// weights, every stage with its freezing, optimiser and schedule, feature and target caches,
// checkpoints, every test set, distortion and Jacobian estimator, the table's metrics) on the
// first N images of each test and validation set and one batch of training images (the first
// train.batch_size, so the one step of each stage is measured at the real batch size), with one
// epoch (= one step) per stage. Everything the real run needs is checked first, as for any plan:
// a missing dataset, split file or weights file is exit 2 naming it before any step.
//
// train.rehearse is in the run's config and id, so a rehearsal never stands for a real run and
// never enters a table; `sodlab runs` shows it in the overrides ("rehearse=N").
//
// project_rehearsal() reads what the rehearsal recorded (per-stage epoch times and peak memory,
// inference and Jacobian timings, cache bytes, checkpoint size) and scales it to the full protocol
// on the same device: a stage's projected time is its epochs × ceil(train images / batch) × the
// measured step (an upper bound: the step includes the first call's set-up, and the feature cache's
// later epochs read what the first wrote); an evaluation's is the full test set × the measured time
// per image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

// Replaces the run's sets by their rehearsal subsets and records their full sizes in data.full_sizes.
void shrink_for_rehearsal(RunData& data, int images, int batch_size);

struct StageProjection {
  std::string stage;
  int epochs = 0;                    // of the real protocol
  std::int64_t steps_per_epoch = 0;  // ceil(full training set / batch)
  double step_seconds = 0;           // measured (the rehearsal's one step, validation included)
  std::int64_t step_images = 0;
  std::optional<std::int64_t> peak_resident_bytes, cuda_bytes;
  double projected_seconds = 0;
};

struct EvalProjection {
  std::string what;  // "inference msra-b [none]", "jacobian paper_code msra-b"
  std::int64_t images = 0;
  double seconds_per_image = 0;
  double projected_seconds = 0;
};

struct RunProjection {
  std::string run_id, variant;
  int fold = -1;
  std::int64_t seed = 0;
  std::string status;  // the rehearsal run's status in the store
  std::vector<StageProjection> stages;
  std::vector<EvalProjection> evaluations;
  std::int64_t feature_cache_bytes = 0, target_cache_bytes = 0, checkpoint_bytes = 0;
  double total_seconds = 0;
};

std::vector<RunProjection> project_rehearsal(const Plan& plan, store::ResultsStore& db);

// The printed report: one block per run, then the experiment's total on this device.
std::string format_rehearsal(const Plan& plan, const std::vector<RunProjection>& runs);

}  // namespace sodlab::pipeline
