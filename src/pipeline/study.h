// Studies: experiment files with a [study] section (config::StudySection) that train nothing.
// They compute results another way and record them in the store as one run (variant "ours",
// results keyed by dataset and metric, convention "none"), so `sodlab table` renders them like
// any other experiment.
//
// Kinds (the registry in study.cpp; every option validated by plan_study):
//   loss_timing    Kolkin §5.5: wall-clock time of the exact F_β^w (every pixel pair, Eq. 2-6),
//                  Margolin's WFb (the evaluator's wFm), AF_β^w forward, and AF_β^w forward +
//                  backward, on `images` seeded-random masks of `dataset` resized to `size`²,
//                  with a fixed seeded perturbation of the mask as the prediction. Records per
//                  image means and totals (both readings of the paper's "averaged on fifteen
//                  random images") and the exact ÷ approximation ratios. Options: images (15),
//                  size (224), seed (0), repeats (3; the fast timers, min over repeats), beta2 (1).
//                  Its id includes the host and thread count: a timing is of one machine.
//   paired_images  Kolkin Fig. 6: from the per-image results of the runs of experiment
//                  `runs_of`, variants `a` and `b` paired by fold and seed, the images whose
//                  `iou_metric` differs by < `iou_within` while `f_metric` differs by
//                  >= `f_apart`, counted per dataset, relatively (|Δ| / max) and absolutely.
//                  Trains and evaluates nothing: every referenced run must be completed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/experiment.h"
#include "core/options.h"
#include "data/dataset.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

struct PlanRequest;

struct PlannedStudy {
  std::string kind, run_id, profile, overrides;
  std::string config_text;            // the resolved [study] section (stored as the run's config)
  Options options;                    // resolved: every option with its default
  data::DatasetPtr dataset;           // loss_timing
  std::string dataset_label;
  int threads = 1;
  // paired_images: the referenced experiment and its runs of variants a and b, paired.
  std::string runs_of;
  struct Pair {
    std::string a, b;                 // run ids
    int fold = -1;
    std::int64_t seed = 0;
  };
  std::vector<Pair> pairs;
  std::vector<std::string> datasets;  // the datasets its results will name
};

// InputError (exit 2) naming the file and option on any problem.
PlannedStudy plan_study(const config::Experiment& experiment, const PlanRequest& request);

// Computes and records the study (claimed like a run; 'completed' only once every result is
// recorded). A completed study is kept unless `force`. Returns false when it was already there.
bool run_study(const config::Experiment& experiment, const PlannedStudy& study,
               store::ResultsStore& store, bool force);

}  // namespace sodlab::pipeline
