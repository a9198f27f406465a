#include "pipeline/plan.h"

#include <algorithm>
#include <set>

#include <torch/version.h>

#include <opencv2/core/version.hpp>

#include "code_version.h"
#include "core/blas_threads.h"
#include "core/error.h"
#include "core/names.h"
#include "core/threads.h"
#include "data/registry.h"
#include "data/transforms.h"
#include "losses/registry.h"
#include "metrics/convention.h"
#include "models/registry.h"
#include "pipeline/jacobian_eval.h"
#include "pipeline/rehearsal.h"
#include "pipeline/specs.h"
#include "robustness/jacobian.h"
#include "train/device.h"

namespace sodlab::pipeline {
namespace {

// Runs `check`; an InputError gets the component's position (unless it names the position of
// the offending option itself) and the variant.
template <typename F>
void at_position(const std::string& where, const config::RunSpec& run, F&& check) {
  try {
    check();
  } catch (const InputError& e) {
    std::string message = e.what();
    std::string position = where.empty() ? run.source_path : where;
    if (message.rfind(run.source_path + ":", 0) == 0 || message.rfind("--set:", 0) == 0) {
      const std::size_t colon = message.find(": ");  // "file:line:column: what"
      position = message.substr(0, colon);
      message = message.substr(colon + 2);
    }
    if (!run.variant.empty()) position += " (variant '" + run.variant + "')";
    throw InputError(position + ": " + message);
  }
}

// Options holding every resolved value as given (so the canonical config lists the defaults).
Options explicit_options(const Options& checked, const std::string& context) {
  Options out(context);
  for (const auto& [k, v] : checked.resolved()) out.set(k, v);
  return out;
}

void resolve_model(config::RunSpec& run, bool check_weights) {
  config::Component& m = run.model;
  at_position(m.where, run, [&] {
    Options options = m.options;
    // Weight initialisation follows the run's seed unless the experiment pins it.
    if (!options.has("init_seed")) {
      Options probe = options;
      models::check_model_options(m.name, probe);
      if (probe.resolved().count("init_seed")) options.set("init_seed", run.seed);
    }
    models::check_model_options(m.name, options);
    if (check_weights) {
      Options w = options;
      models::check_model_weights(m.name, w);
    }
    m.options = explicit_options(options, options.context());
  });
}

// train.feature_cache needs a model with a cacheable backbone prefix (models::PrefixCacheable).
void check_feature_cache(const config::RunSpec& run) {
  if (run.train.feature_cache == "off" || models::model_registry().at(run.model.name).prefix_cacheable) return;
  std::string position = run.source_path + ": train.feature_cache";
  if (!run.variant.empty()) position += " (variant '" + run.variant + "')";
  throw InputError(position + ": model '" + run.model.name +
                   "' has no frozen backbone prefix to cache (szn has); set train.feature_cache = \"off\"");
}

void resolve_loss(config::RunSpec& run) {
  config::Component& l = run.loss;
  at_position(l.where, run, [&] {
    Options options = l.options;
    losses::make_loss(l.name, options);
    l.options = explicit_options(options, options.context());
  });
}

void resolve_augmentation(config::RunSpec& run) {
  config::Component& a = run.data.augmentation;
  at_position(a.where, run, [&] {
    Options options = a.options;
    data::read_augment_spec(a.name, options);
    a.options = explicit_options(options, options.context());
  });
}

void check_eval(config::RunSpec& run) {
  at_position(run.eval.metrics_where, run, [&] {
    const metrics::MetricSelection selection = metrics::MetricSelection::from_names(run.eval.metrics);
    for (const auto& family : metrics::metric_family_registry().entries())
      if (family.needs_images && selection.has(family.name))
        throw InputError("metric family '" + family.name + "' needs the RGB images, which trained runs' "
                         "evaluation does not read (sodlab eval --images DIR computes it)");
    metrics::parse_convention(run.eval.convention);
  });
  if (!run.eval.jacobian_estimators.empty())
    at_position(run.eval.jacobian_where, run, [&] { run.eval.jacobian = resolved_jacobian_options(run); });
}

// A column may name a Jacobian estimator as its convention ("paper_code"): it reads that
// estimator's results, whose convention is its settings label in the planned runs (one label
// for all of them).
void resolve_jacobian_columns(config::Experiment& ex, const std::vector<PlannedRun>& runs) {
  const auto known = robustness::known_estimators();
  for (auto& c : ex.table.columns) {
    if (std::find(known.begin(), known.end(), c.convention) == known.end()) continue;
    std::set<std::string> labels;
    for (const auto& r : runs)
      for (const auto& [estimator, label] : jacobian_conventions(r.spec))
        if (estimator == c.convention) labels.insert(label);
    if (labels.empty())
      throw InputError(c.where + ": table column: convention '" + c.convention +
                       "' is a Jacobian estimator that no run evaluates (add it to [eval.jacobian] estimators)");
    if (labels.size() > 1)
      throw InputError(c.where + ": table column: the runs evaluate '" + c.convention +
                       "' with different settings (" + join_names({labels.begin(), labels.end()}) +
                       "): a column reads one");
    c.convention = *labels.begin();
  }
}

// A results column of a metric registry key takes the registry's direction: one place says which
// way every metric is better. A column's own "better" is for metrics the registry does not know
// (timings, estimator outputs) and may only repeat the registry's for a key it knows.
void resolve_column_directions(config::Experiment& ex) {
  for (auto& c : ex.table.columns) {
    if (c.source != "results") continue;
    const metrics::MetricKey* key = metrics::find_metric_key(c.metric);
    if (!key || key->better == metrics::Better::neither) continue;
    const bool higher = key->better == metrics::Better::higher;
    if (c.better_given && c.higher_is_better != higher)
      throw InputError(c.where + ": table column: metric '" + c.metric + "' is " + metrics::better_name(key->better) +
                       "-is-better (the metric registry, sodlab eval --list-metrics); drop its \"better\"");
    c.higher_is_better = higher;
  }
}

// Every column of the table names a metric, convention, dataset and distortion the planned runs
// record (a typo would otherwise render "–" forever).
void check_table(const config::Experiment& ex, const std::vector<PlannedRun>& runs) {
  if (ex.table.empty() || runs.empty()) return;
  std::set<std::string> metrics, datasets, distortions, jacobian_labels;
  for (const auto& r : runs) {
    for (const auto& m : metrics::metric_names(metrics::MetricSelection::from_names(r.spec.eval.metrics)))
      metrics.insert(m);
    for (const auto& [estimator, label] : jacobian_conventions(r.spec)) {
      jacobian_labels.insert(label);
      for (const auto& m : robustness::estimator_registry().find(estimator)->metrics) metrics.insert(m);
    }
    for (const auto& t : r.spec.data.test) datasets.insert(t.label());
    for (const auto& d : r.spec.data.distortions) distortions.insert(distortion_spec(d).label());
  }
  auto fail = [&](const config::TableColumn& c, const std::string& what, const std::string& name,
                  const std::set<std::string>& known, const std::string& plural) {
    const std::vector<std::string> list(known.begin(), known.end());
    throw InputError(c.where + ": table column: " + unknown_name_message(what, name, list, plural));
  };
  for (const auto& c : ex.table.columns) {
    std::set<std::string> conventions = jacobian_labels;
    for (const auto& name : metrics::convention_names()) conventions.insert(name);
    if (!conventions.count(c.convention)) fail(c, "convention", c.convention, conventions, "conventions");
    if (c.source == "results" && !metrics.count(c.metric))
      fail(c, "metric", c.metric, metrics, "metrics the runs record");
    // A column may name a dataset or distortion this profile does not evaluate (it shows "–"),
    // but not one that does not exist.
    const std::string ds = ex.table.store_dataset(c);
    if (!datasets.count(ds) && !data::dataset_registry().find(ds)) {
      std::set<std::string> known = datasets;
      for (const auto& n : data::dataset_registry().names()) known.insert(n);
      fail(c, "dataset", ds, known, "datasets");
    }
    if (!distortions.count(c.distortion)) {
      try {
        data::parse_distortion(c.distortion);
      } catch (const InputError& e) {
        throw InputError(c.where + ": table column: " + e.what());
      }
    }
  }
}

}  // namespace

std::string code_identity(const std::string& device_kind) {
  return std::string("compute=") + build::kComputeHash + " libtorch=" + TORCH_VERSION + " opencv=" + CV_VERSION +
         " device=" + device_kind + " blas_threads=" + std::to_string(blas_threads_policy());
}

std::string overrides_text(const std::vector<std::string>& sets, int rehearse) {
  std::vector<std::string> all = sets;
  if (rehearse > 0) all.push_back("rehearse=" + std::to_string(rehearse));
  return join_names(all, "; ");
}

Plan plan(const PlanRequest& request) {
  config::LoadOptions load;
  load.profile = request.profile;
  load.sets = request.sets;
  load.variants = request.variants;
  Plan p;
  p.experiment = request.experiment_text.empty()
                     ? config::load_experiment(config::resolve_experiment_path(request.experiment), load)
                     : config::load_experiment_text(request.experiment_text, request.experiment, load);
  if (p.experiment.is_study()) {
    p.study = plan_study(p.experiment, request);
    return p;
  }
  // Resolve every run's components first (cheap), then open the datasets (may hash files).
  std::vector<config::RunSpec> specs = config::expand(p.experiment);
  for (auto& spec : specs) {
    resolve_model(spec, request.check_weights);
    check_feature_cache(spec);
    resolve_loss(spec);
    resolve_augmentation(spec);
    check_eval(spec);
    if (!request.device.empty()) spec.train.device = request.device;
    if (request.rehearse > 0) spec.train.rehearse = request.rehearse;
    config::refresh_canonical(spec);
  }
  const std::string overrides = overrides_text(request.sets, request.rehearse);
  DatasetCache datasets;
  for (auto& spec : specs) {
    PlannedRun r;
    r.threads = resolve_threads(request.threads > 0 ? request.threads : spec.train.threads);
    // The device exists and suits the precision, or nothing runs (and nothing is recorded).
    const std::string device_key = request.device.empty() ? "train.device" : "--device";
    r.device = train::resolve_device(spec.train.device, device_key);
    train::parse_precision(spec.train.precision, r.device, "train.precision");
    if (request.open_data) {
      r.data = open_run_data(spec, &datasets);
      if (spec.train.rehearse > 0) shrink_for_rehearsal(r.data, spec.train.rehearse, spec.train.batch_size);
      r.run_id = config::run_id(spec, code_identity(train::device_kind(r.device)), r.data.train_manifest_sha, r.threads);
    }
    r.overrides = overrides;
    r.spec = std::move(spec);
    p.runs.push_back(std::move(r));
  }
  resolve_jacobian_columns(p.experiment, p.runs);
  resolve_column_directions(p.experiment);
  check_table(p.experiment, p.runs);
  return p;
}

}  // namespace sodlab::pipeline
