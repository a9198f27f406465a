#include "pipeline/rehearsal.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>
#include <sstream>

#include "pipeline/execute.h"
#include "pipeline/jacobian_eval.h"
#include "pipeline/specs.h"

namespace sodlab::pipeline {
namespace {

data::DatasetPtr first_images(const data::DatasetPtr& ds, std::size_t n) {
  std::vector<std::size_t> indices(std::min(n, ds->size()));
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  return data::subset(ds, std::move(indices), "rehearsal");
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  std::ostringstream s;
  s << std::fixed << std::setprecision(u == 0 ? 0 : 1) << bytes << " " << units[u];
  return s.str();
}

std::string human_seconds(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (s < 120) out << s << " s";
  else if (s < 7200) out << s / 60 << " min";
  else if (s < 3 * 86400) out << s / 3600 << " h";
  else out << s / 86400 << " days";
  return out.str();
}

}  // namespace

void shrink_for_rehearsal(RunData& data, int images, int batch_size) {
  FullSizes full;
  full.train = static_cast<std::int64_t>(data.train->size());
  data.train = first_images(data.train, static_cast<std::size_t>(std::max(1, batch_size)));
  for (auto& t : data.tests) {
    full.tests[t.label] = static_cast<std::int64_t>(t.dataset->size());
    t.dataset = first_images(t.dataset, static_cast<std::size_t>(images));
  }
  if (data.validation) {
    full.validation = static_cast<std::int64_t>(data.validation->size());
    data.validation = first_images(data.validation, static_cast<std::size_t>(images));
  }
  data.full_sizes = full;
  hash_manifests(data);
}

std::vector<RunProjection> project_rehearsal(const Plan& plan, store::ResultsStore& db) {
  std::vector<RunProjection> out;
  for (const PlannedRun& run : plan.runs) {
    if (!run.data.full_sizes) continue;
    const FullSizes& full = *run.data.full_sizes;
    const config::RunSpec& spec = run.spec;
    RunProjection p;
    p.run_id = run.run_id;
    p.variant = spec.variant;
    p.fold = spec.fold;
    p.seed = spec.seed;
    const auto record = db.find_run(run.run_id);
    p.status = record ? record->status : "not in the store";
    std::map<std::string, store::TimingRow> timings;
    for (auto& t : db.timings(run.run_id)) timings[t.phase] = t;
    std::map<std::string, double> epoch_seconds;  // stage → the rehearsal's one epoch
    for (const auto& e : db.epochs(run.run_id))
      if (e.epoch == 1) epoch_seconds[e.stage] = e.seconds;
    const std::int64_t batch = std::max(1, spec.train.batch_size);
    const std::int64_t entries = full.train * std::max(1, spec.data.augmentation_pool);
    double feature_entry = 0, target_entry = 0;
    for (const auto& stage : spec.train.stages) {
      StageProjection s;
      s.stage = stage.name;
      s.epochs = stage.epochs;
      s.steps_per_epoch = (full.train + batch - 1) / batch;
      const std::string epoch = stage.name + ".epoch1";
      if (auto it = epoch_seconds.find(stage.name); it != epoch_seconds.end()) s.step_seconds = it->second;
      if (auto it = timings.find("train." + epoch); it != timings.end()) s.step_images = it->second.items;
      if (auto it = timings.find("memory.peak_resident." + epoch); it != timings.end()) s.peak_resident_bytes = it->second.bytes;
      if (auto it = timings.find("memory.cuda_in_use." + epoch); it != timings.end()) s.cuda_bytes = it->second.bytes;
      for (auto [kind, entry] : {std::pair<const char*, double*>{"features", &feature_entry}, {"targets", &target_entry}})
        if (auto it = timings.find(std::string("cache.") + kind + "." + epoch + ".misses");
            it != timings.end() && it->second.items > 0 && it->second.bytes)
          *entry = std::max(*entry, static_cast<double>(*it->second.bytes) / static_cast<double>(it->second.items));
      s.projected_seconds = s.step_seconds * static_cast<double>(s.epochs * s.steps_per_epoch);
      p.total_seconds += s.projected_seconds;
      p.stages.push_back(s);
    }
    p.feature_cache_bytes = static_cast<std::int64_t>(feature_entry * static_cast<double>(entries));
    p.target_cache_bytes = static_cast<std::int64_t>(target_entry * static_cast<double>(entries));
    std::map<std::string, std::string> jacobian_label;
    for (const auto& [estimator, label] : jacobian_conventions(spec)) jacobian_label[estimator] = label;
    for (const Evaluation& ev : all_evaluations(run)) {
      const std::string label = ev.set->label;
      const std::string phase = ev.jacobian.empty()
                                    ? "inference." + label + "." + distortion_spec(ev.distortion).label()
                                    : "jacobian." + jacobian_label[ev.jacobian] + "." + label;
      EvalProjection e;
      e.what = ev.describe();
      e.images = full.tests.count(label) ? full.tests.at(label) : 0;
      if (auto it = timings.find(phase); it != timings.end() && it->second.items > 0)
        e.seconds_per_image = it->second.seconds / static_cast<double>(it->second.items);
      e.projected_seconds = e.seconds_per_image * static_cast<double>(e.images);
      p.total_seconds += e.projected_seconds;
      p.evaluations.push_back(e);
    }
    for (const auto& a : db.artifacts(run.run_id))
      if (a.kind == "checkpoint") p.checkpoint_bytes = a.bytes;
    out.push_back(std::move(p));
  }
  return out;
}

std::string format_rehearsal(const Plan& plan, const std::vector<RunProjection>& runs) {
  std::ostringstream out;
  const config::Experiment& ex = plan.experiment;
  double total = 0;
  std::int64_t disk = 0;
  for (const RunProjection& p : runs) {
    const auto it = std::find_if(plan.runs.begin(), plan.runs.end(), [&](const PlannedRun& r) { return r.run_id == p.run_id; });
    const PlannedRun& run = *it;
    out << "rehearsal " << p.run_id << "  variant=" << p.variant << (p.fold >= 0 ? " fold=" + std::to_string(p.fold) : "")
        << " seed=" << p.seed << "  " << p.status << " on " << run.device << " (" << run.threads << " threads), "
        << run.data.full_sizes->train << " training images in the real protocol\n";
    out << "  " << std::left << std::setw(22) << "stage" << std::right << std::setw(7) << "epochs" << std::setw(12)
        << "steps/epoch" << std::setw(10) << "step s" << std::setw(10) << "images/s" << std::setw(14) << "peak memory"
        << std::setw(14) << "projected\n";
    for (const StageProjection& s : p.stages) {
      std::ostringstream rate;
      rate << std::fixed << std::setprecision(1)
           << (s.step_seconds > 0 ? static_cast<double>(s.step_images) / s.step_seconds : 0.0);
      std::string memory = s.cuda_bytes ? human_bytes(static_cast<double>(*s.cuda_bytes)) + " GPU"
                           : s.peak_resident_bytes ? human_bytes(static_cast<double>(*s.peak_resident_bytes))
                                                   : "-";
      std::ostringstream step;
      step << std::fixed << std::setprecision(2) << s.step_seconds;
      out << "  " << std::left << std::setw(22) << s.stage << std::right << std::setw(7) << s.epochs << std::setw(12)
          << s.steps_per_epoch << std::setw(10) << step.str() << std::setw(10) << rate.str() << std::setw(14) << memory
          << std::setw(13) << human_seconds(s.projected_seconds) << "\n";
    }
    for (const EvalProjection& e : p.evaluations) {
      std::ostringstream per;
      per << std::fixed << std::setprecision(1) << 1e3 * e.seconds_per_image << " ms/image";
      out << "  " << std::left << std::setw(41) << ("eval " + e.what) << std::right << std::setw(7) << e.images
          << " images" << std::setw(16) << per.str() << std::setw(13) << human_seconds(e.projected_seconds) << "\n";
    }
    out << "  caches: features " << human_bytes(static_cast<double>(p.feature_cache_bytes)) << ", targets "
        << human_bytes(static_cast<double>(p.target_cache_bytes)) << "; checkpoint "
        << human_bytes(static_cast<double>(p.checkpoint_bytes)) << "; projected " << human_seconds(p.total_seconds)
        << "\n";
    total += p.total_seconds;
    disk += p.feature_cache_bytes + p.target_cache_bytes + p.checkpoint_bytes;
  }
  const std::string name = ex.info.name + (ex.profile.empty() ? "" : " [profile " + ex.profile + "]");
  if (runs.empty()) {
    out << name << ": no trained run to project (a study's rehearsal is its own output above)\n";
    return out.str();
  }
  out << name << ": " << runs.size() << " run(s) rehearsed; the real protocol projected at " << human_seconds(total) << " on this device"
      << " and " << human_bytes(static_cast<double>(disk))
      << " of caches and checkpoints (an upper bound: each stage's one step includes its set-up)\n";
  return out.str();
}

}  // namespace sodlab::pipeline
