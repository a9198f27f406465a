#include "sweep_args.h"

#include <filesystem>

#include "config/experiment.h"

namespace sodlab::cli {
namespace fs = std::filesystem;

void add_sweep_plan_options(CLI::App& app, SweepPlanArgs& a) {
  app.add_option("experiment", a.plan.experiment, "Sweep or experiment file, or a name such as "
                                                   "ablations/kolkin2017_af_grid")
      ->required();
  app.add_option("--profile,-p", a.plan.profile, "Profile overlay: paper, small, smoke, ...");
  app.add_option("--set,-s", a.plan.sets, "Override a config key of every point: key.path=value (repeatable)");
  app.add_option("--variant", a.plan.variants, "Only these points / variants (repeatable)");
  app.add_option("--db", a.db, "Results database (default $SODLAB_DB or results/results.db)");
  app.add_option("--runs-dir", a.execute.runs_dir, "Checkpoint directory (default results/runs)");
  app.add_option("--cache-dir", a.execute.cache_dir, "Cache directory (default results/cache)");
  app.add_option("--device", a.plan.device, "auto | cpu | cuda | cuda:N (default: train.device, auto = a GPU when there is one); its kind is part of the run identity");
  app.add_flag("--restart", a.execute.restart,
               "Ignore existing checkpoints of unfinished runs and train them from scratch");
}

std::vector<std::string> worker_arguments(const SweepPlanArgs& a, int threads, bool absolute) {
  auto path = [&](const std::string& p) { return absolute ? fs::absolute(p).lexically_normal().string() : p; };
  std::vector<std::string> out{path(config::resolve_experiment_path(a.plan.experiment))};
  if (!a.plan.profile.empty()) out.insert(out.end(), {"--profile", a.plan.profile});
  for (const auto& s : a.plan.sets) out.insert(out.end(), {"--set", s});
  for (const auto& v : a.plan.variants) out.insert(out.end(), {"--variant", v});
  if (!a.plan.device.empty()) out.insert(out.end(), {"--device", a.plan.device});
  out.insert(out.end(), {"--threads", std::to_string(threads), "--runs-dir", path(a.execute.runs_dir),
                         "--cache-dir", path(a.execute.cache_dir)});
  if (a.execute.restart) out.push_back("--restart");
  return out;
}

std::string self_executable() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("sodlab") : self.string();
}

}  // namespace sodlab::cli
