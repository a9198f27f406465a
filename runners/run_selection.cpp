#include "run_selection.h"

#include "config/experiment.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"

namespace sodlab::cli {
namespace {

std::string describe(const pipeline::PlannedRun& r) {
  return "--variant " + r.spec.variant + (r.spec.fold >= 0 ? " --fold " + std::to_string(r.spec.fold) : "") +
         " --seed " + std::to_string(r.spec.seed) + " (run " + r.run_id + ")";
}

}  // namespace

SelectedRun select_run(RunSelector selector, store::ResultsStore& db) {
  std::optional<store::RunRecord> record;
  if (selector.target.find('/') == std::string::npos && selector.target.find(".toml") == std::string::npos)
    record = db.find_run(selector.target);
  if (record) {  // a run id: planned again from the resolved config the store keeps of it
    selector.request.experiment = "the stored config of run " + record->run_id;
    selector.request.experiment_text = config::experiment_text_of_run_config(record->config_toml);
    selector.request.profile.clear();
    selector.request.variants.clear();
    selector.request.sets = {"train.seeds=[" + std::to_string(record->seed) + "]"};
    if (record->fold >= 0) selector.request.sets.push_back("data.fold_list=[" + std::to_string(record->fold) + "]");
    selector.request.threads = record->threads;
    selector.request.device = record->device;
    selector.fold = record->fold;
    selector.seed = record->seed;
  } else {
    selector.request.experiment = selector.target;
  }
  SelectedRun out;
  out.plan = pipeline::plan(selector.request);
  const std::string experiment = out.plan.experiment.info.name;
  if (out.plan.study) throw InputError(experiment + " is a study: it trains no model");
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < out.plan.runs.size(); ++i) {
    const auto& s = out.plan.runs[i].spec;
    if (selector.fold && s.fold != *selector.fold) continue;
    if (selector.seed && s.seed != *selector.seed) continue;
    matches.push_back(i);
  }
  if (matches.size() != 1) {
    std::vector<std::string> all;
    for (const auto& r : out.plan.runs) all.push_back(describe(r));
    throw InputError(experiment + (selector.request.profile.empty() ? "" : " [profile " + selector.request.profile + "]") +
                     ": " + (matches.empty() ? "no run matches" : std::to_string(matches.size()) + " runs match") +
                     " the selection; its runs: " + join_names(all, "; "));
  }
  out.index = matches.front();
  const pipeline::PlannedRun& run = out.run();
  out.recorded_id = run.run_id;
  if (record && record->run_id != run.run_id) {
    log::warn("run " + record->run_id + " was trained by other code than this sodlab's (the same experiment, variant, "
              "fold and seed now plan run " + run.run_id + "): using " + record->run_id + "'s checkpoint");
    out.recorded_id = record->run_id;
  }
  const auto stored = record ? record : db.find_run(run.run_id);
  if (!stored || stored->status != store::kStatusCompleted)
    throw InputError("run " + out.recorded_id + " (" + experiment + ", " + describe(run) + ") is " +
                     (stored ? stored->status : "not in the store " + db.path()) + ": `sodlab run " +
                     selector.request.experiment +
                     (selector.request.profile.empty() ? "" : " --profile " + selector.request.profile) +
                     "` trains it first");
  return out;
}

}  // namespace sodlab::cli
