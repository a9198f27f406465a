#include "pipeline/run_data.h"

#include "core/error.h"
#include "core/hash.h"
#include "data/registry.h"
#include "data/splits.h"

namespace sodlab::pipeline {
namespace {

data::DatasetPtr open_uncached(const config::DatasetSpec& spec, const std::string& data_root) {
  Options options = spec.options;
  if (!spec.split.empty()) options.set("split", spec.split);
  try {
    return data::open_dataset(spec.dataset, data_root, options);
  } catch (const InputError& e) {
    throw InputError((spec.where.empty() ? "" : spec.where + ": ") + e.what());
  }
}

data::DatasetPtr open_spec(const config::DatasetSpec& spec, const std::string& data_root,
                           DatasetCache* cache) {
  std::string key = data_root + "\n" + spec.dataset + "\n" + spec.split;
  for (const auto& [k, v] : spec.options.given()) key += "\n" + k + "=" + option_value_to_string(v);
  if (cache)
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  data::DatasetPtr ds = open_uncached(spec, data_root);
  if (cache) (*cache)[key] = ds;
  return ds;
}

bool same_source(const config::DatasetSpec& a, const config::DatasetSpec& b) {
  return a.dataset == b.dataset && a.split == b.split && a.options.given() == b.options.given();
}

}  // namespace

RunData open_run_data(const config::RunSpec& run, DatasetCache* cache) {
  constexpr std::uint64_t kFoldSeed = 0;  // folds are the same for every seed of an experiment
  RunData d;
  data::DatasetPtr base = open_spec(run.data.train, run.data.data_root, cache);
  data::DatasetPtr held_out;
  if (run.fold >= 0) {
    data::FoldDatasets folds;
    try {
      folds = data::kfold_datasets(base, run.data.folds, run.fold, kFoldSeed);
    } catch (const InputError& e) {
      throw InputError("data.folds on " + run.data.train.label() + " (" + base->name() + "): " + e.what());
    }
    d.train = folds.train;
    held_out = folds.test;
  } else {
    d.train = base;
  }
  constexpr std::uint64_t kHoldoutSeed = 0;  // the same validation images for every seed
  if (run.data.validation_fraction > 0) {
    auto parts = data::holdout_datasets(d.train, run.data.validation_fraction, kHoldoutSeed);
    d.train = parts.train;
    d.validation = parts.test;
    d.validation_label = "validation";
  } else if (!run.data.validation.dataset.empty()) {
    d.validation = open_spec(run.data.validation, run.data.data_root, cache);
    d.validation_label = run.data.validation.label();
  }
  for (const auto& spec : run.data.test) {
    if (held_out && same_source(spec, run.data.train)) d.tests.push_back({spec.label(), held_out});
    else d.tests.push_back({spec.label(), open_spec(spec, run.data.data_root, cache)});
  }
  hash_manifests(d);
  return d;
}

void hash_manifests(RunData& d) {
  d.train_manifest_sha = d.train->manifest_sha();
  Sha256 h;
  h.update("train:" + d.train_manifest_sha + "\n");
  for (const auto& t : d.tests) h.update("test:" + t.label + ":" + t.dataset->manifest_sha() + "\n");
  if (d.validation) h.update("validation:" + d.validation->manifest_sha() + "\n");
  d.manifest_sha = h.hex();
}

}  // namespace sodlab::pipeline
