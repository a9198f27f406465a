// Planning: an experiment file (+ profile, --set overrides, variants) → the runs it asks for,
// each fully resolved, validated and identified, with nothing executed.
//
// plan() loads and validates the file (config), expands variants × folds × seeds, and for every
// run: resolves its components through the registries (model, loss, augmentation, metric
// families, convention, datasets: every option with its default, so two spellings of the same
// config are one run), opens its datasets (manifest) and computes its run id. Every name and
// option of every run is checked before plan() returns: a typo in the last variant fails here,
// in milliseconds, with the file:line:column of the offending component. `sodlab run` and
// `sodlab table` plan the same way, so a table shows exactly the runs the experiment asks for.
//
// Run identity (config::run_id): the canonical resolved model, loss, training data and training
// config, the seed, the resolved intra-op thread count (results differ across thread counts),
// code_identity() and the training set's manifest; NOT the experiment file, variant or profile
// names, nor what is only evaluated (test sets, distortions, metrics: results are keyed by them). A resume never mixes any of these:
// another value is another run id, hence another checkpoint folder.
// Two experiment files that train the same thing share one run id, trained once.
#pragma once

#include <string>
#include <vector>

#include "config/experiment.h"
#include "pipeline/run_data.h"
#include "pipeline/study.h"

namespace sodlab::pipeline {

struct PlanRequest {
  std::string experiment;              // path or "paper/table" name
  std::string experiment_text;         // non-empty: the experiment file's text itself (`experiment`
                                       // then only names it in messages), e.g. a run's stored config
  std::string profile;                 // "" = none
  std::vector<std::string> sets;       // --set key.path=value, in order
  std::vector<std::string> variants;   // restrict to these (empty = all)
  int threads = 0;                     // intra-op threads (0: train.threads, then the machine)
  std::string device;                  // --device: replaces train.device ("" = the config's)
  bool check_weights = true;           // resolve pretrained weights now (false: table, listing)
  int rehearse = 0;                    // N > 0: a dress rehearsal on N images per set (rehearsal.h):
                                       // train.rehearse = N on every run
  bool open_data = true;               // open the datasets and compute run ids (false: validate
                                       // names and options only; run_id and data stay empty)
};

struct PlannedRun {
  config::RunSpec spec;   // model/loss/augmentation options fully resolved (defaults explicit)
  RunData data;
  std::string run_id;
  std::string overrides;  // the --set overrides it was planned with ("" = none), canonical text
  int threads = 1;        // resolved intra-op threads (part of the identity)
  std::string device = "cpu";  // resolved train.device: "cpu" | "cuda:N" (its kind is part of the identity)
};

struct Plan {
  config::Experiment experiment;
  std::vector<PlannedRun> runs;  // order of config::expand (variant → fold → seed)
  std::optional<PlannedStudy> study;  // a [study] file: no runs, this instead
};

// InputError (exit 2) on any problem, naming the file, position and key.
Plan plan(const PlanRequest& request);

// The code and libraries that compute (part of every run id): the hash of the computing sources
// (build::kComputeHash; a commit that changes only documentation, tests or experiment files
// keeps run ids), LibTorch and OpenCV versions, the device kind (cpu | cuda; train.precision is
// in the run's config) and the BLAS thread count (core/blas_threads.h: OpenBLAS's results
// depend on it).
std::string code_identity(const std::string& device_kind = "cpu");

// The overrides of a request as stored with its runs (one "key=value" per --set, "; "-joined;
// a rehearsal's "rehearse=N" last).
std::string overrides_text(const std::vector<std::string>& sets, int rehearse = 0);

}  // namespace sodlab::pipeline
