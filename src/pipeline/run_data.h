// The datasets of one run, opened (not loaded): its training set and every test set.
//
// With k-fold cross-validation (data.folds = k) the training set is split into k folds (the same
// for every seed of an experiment); the run trains on k-1 of them, and the held-out fold stands
// in for every test set that names the training set itself. Other test sets are evaluated whole.
// train_manifest_sha identifies the training set's content (part of the run id); manifest_sha
// that of all of them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/experiment.h"
#include "data/dataset.h"

namespace sodlab::pipeline {

// A named test set of one run: `label` is what results.dataset records.
struct TestSet {
  std::string label;
  data::DatasetPtr dataset;
};

// The sizes of a run's sets before a rehearsal (pipeline/rehearsal.h) shrank them.
struct FullSizes {
  std::int64_t train = 0, validation = 0;
  std::map<std::string, std::int64_t> tests;  // by test set label
};

struct RunData {
  data::DatasetPtr train;
  std::vector<TestSet> tests;
  data::DatasetPtr validation;     // data.validation (held out of train, or its own set); null = none
  std::string validation_label;    // "validation" (held out) or the dataset's label
  std::string train_manifest_sha;  // the training set (after the fold split)
  std::string manifest_sha;        // over the train set and every test set
  std::optional<FullSizes> full_sizes;  // a rehearsal: the sets' sizes in the real protocol
};

// Datasets already opened by earlier runs of a plan, by their resolved reference (a manifest is
// hashed once per dataset, not once per run).
using DatasetCache = std::map<std::string, data::DatasetPtr>;

// Opens the datasets of `run` (InputError naming the dataset, its position and the problem).
RunData open_run_data(const config::RunSpec& run, DatasetCache* cache = nullptr);

// Sets train_manifest_sha and manifest_sha from the sets (after they were replaced).
void hash_manifests(RunData& data);

}  // namespace sodlab::pipeline
