// Options shared by `sodlab sweep` and `sodlab worker`: what to plan and where runs are stored, and
// the worker command line that reproduces them (a worker plans exactly the sweep's runs).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "pipeline/execute.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::cli {

struct SweepPlanArgs {
  pipeline::PlanRequest plan;
  pipeline::ExecuteOptions execute;
  std::string db = store::default_db_path();
};

// --profile, --set, --variant, --db, --runs-dir, --cache-dir, --restart (not --threads: each
// command documents its own).
void add_sweep_plan_options(CLI::App& app, SweepPlanArgs& a);

// Arguments after "worker" for the same plan: the experiment (absolute path when `absolute`),
// --profile, --set, --variant, --threads, --runs-dir, --cache-dir (absolute when `absolute`),
// --restart; without --db (the caller adds it).
std::vector<std::string> worker_arguments(const SweepPlanArgs& a, int threads, bool absolute);

// The running sodlab executable (/proc/self/exe).
std::string self_executable();

}  // namespace sodlab::cli
