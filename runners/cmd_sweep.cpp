// `sodlab sweep FILE`: every point of a sweep (or every variant of an experiment), on this machine
// with --jobs N worker processes, or on a Slurm cluster as one job array (--launcher slurm).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "command.h"
#include "config/experiment.h"
#include "config/sweep.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "core/stop_signal.h"
#include "core/threads.h"
#include "core/timer.h"
#include "store/provenance.h"
#include "sweep/local_pool.h"
#include "sweep/slurm.h"
#include "sweep/worker.h"
#include "sweep_args.h"
#include "train/trainer.h"

namespace sodlab::cli {
namespace {
namespace fs = std::filesystem;

struct SweepArgs : SweepPlanArgs {
  int jobs = 1;
  int threads = 0;
  bool dry_run = false;
  std::string launcher = "local";
  sweep::SlurmOptions slurm;
  bool emit = false, wait = false;
  std::string out_dir;
};

std::string value_text(const OptionValue& v) {
  return std::holds_alternative<double>(v) ? config::detail::shortest_text(std::get<double>(v)) : option_value_to_string(v);
}

// One line per planned run, grouped by point, with its status in the store.
void print_points(const pipeline::Plan& plan, const std::string& db_path) {
  std::unique_ptr<store::ResultsStore> db;
  std::error_code ec;
  if (fs::is_regular_file(db_path, ec)) db = std::make_unique<store::ResultsStore>(db_path, store::OpenMode::read_only);
  std::map<std::string, int> in_store;
  std::string current = "\x01";
  int points = 0, completed = 0;
  for (const auto& run : plan.runs) {
    const config::RunSpec& s = run.spec;
    if (s.variant != current) {
      current = s.variant;
      ++points;
      std::cout << (s.variant.empty() ? "(base)" : s.variant);
      std::string params;
      for (const auto& [k, v] : s.params)
        if (std::find(plan.experiment.sweep_keys.begin(), plan.experiment.sweep_keys.end(), k) !=
            plan.experiment.sweep_keys.end())
          params += (params.empty() ? "" : ", ") + k + " = " + value_text(v);
      std::cout << (params.empty() ? "" : "    [" + params + "]") << "\n";
    }
    std::string status = "not in the store";
    if (db)
      if (auto r = db->find_run(run.run_id)) status = r->status;
    if (status == store::kStatusCompleted) ++completed;
    std::cout << "  " << run.run_id << "  fold " << (s.fold >= 0 ? std::to_string(s.fold) : "-") << "  seed "
              << s.seed << "  " << status << "\n";
  }
  std::cout << points << " point(s), " << plan.runs.size() << " run(s), " << completed
            << " already completed in " << db_path << "\n";
}

std::string default_out_dir(const pipeline::Plan& plan) {
  std::string name = plan.experiment.info.name;
  for (char& c : name)
    if (c == '/') c = '_';
  return (fs::path("results") / "sweeps" / name / (plan.experiment.profile.empty() ? "default" : plan.experiment.profile))
      .string();
}

int report(const sweep::SweepOutcome& o, const SweepArgs& a, double seconds) {
  std::cerr << "sweep: " << o.planned << " run(s): " << o.completed << " completed, " << o.failed << " failed, "
            << o.queued << " not run" << (o.other ? ", " + std::to_string(o.other) + " interrupted or running" : "")
            << (o.evaluated ? "; " + std::to_string(o.evaluated) + " evaluated on what they lacked" : "") << " ("
            << static_cast<long>(seconds) << " s)\n";
  for (const auto& f : o.failures) std::cerr << "  failed: " << f << "\n";
  std::string table = "sodlab table " + a.plan.experiment;
  if (!a.plan.profile.empty()) table += " --profile " + a.plan.profile;
  for (const auto& s : a.plan.sets) table += " --set " + sweep::shell_quote(s);
  table += " --threads " + std::to_string(a.threads);
  if (a.db != store::default_db_path()) table += " --db " + sweep::shell_quote(a.db);
  std::cerr << "table: " << table << "\n";
  return o.failed ? 1 : 0;
}

int run_local(SweepArgs& a, const pipeline::Plan& plan) {
  store::ResultsStore db(a.db);
  pipeline::register_runs(plan, db);
  const std::string since = store::utc_now();
  install_stop_handlers();
  Timer timer;
  if (a.jobs == 1) {
    try {
      sweep::run_worker(plan, db, a.execute, {since});
    } catch (const train::Interrupted& e) {
      std::cerr << "interrupted: " << e.what() << " (run the sweep again to resume)\n";
      return stop_exit_code();
    }
  } else {
    sweep::PoolOptions pool;
    pool.jobs = a.jobs;
    pool.threads_per_worker = a.threads;
    pool.executable = self_executable();
    pool.worker_args = worker_arguments(a, a.threads, false);
    pool.worker_args.insert(pool.worker_args.end(), {"--db", a.db, "--since", since});
    pool.max_restarts = static_cast<int>(plan.runs.size());
    const sweep::PoolResult r = sweep::run_local_pool(pool, db);
    if (r.stop_signal) {
      std::cerr << "interrupted: the workers checkpointed their runs (run the sweep again to resume)\n";
      return 128 + r.stop_signal;
    }
  }
  return report(sweep::finish_sweep(plan, db, a.execute), a, timer.seconds());
}

int run_slurm(SweepArgs& a, const pipeline::Plan& plan) {
  const std::string out_dir = fs::absolute(a.out_dir.empty() ? default_out_dir(plan) : a.out_dir).lexically_normal();
  sweep::SlurmJob job;
  job.out_dir = out_dir;
  job.working_dir = fs::current_path().string();
  job.executable = self_executable();
  job.worker_args = worker_arguments(a, a.threads, true);
  for (const auto& run : plan.runs) job.run_ids.push_back(run.run_id);
  const int tasks = static_cast<int>(plan.runs.size());
  const std::string merge = "sodlab merge " + sweep::shell_quote(out_dir + "/shards") + "/*.db --into " +
                            sweep::shell_quote(fs::absolute(a.db).string());
  std::ostringstream header;
  header << "# " << plan.experiment.info.name << (a.plan.profile.empty() ? "" : " --profile " + a.plan.profile)
         << ": " << tasks << " planned run(s), one per array task (task i = planned run i,\n"
         << "# `sodlab sweep --dry-run` lists them). Written by sodlab sweep at " << store::utc_now() << ".\n"
         << "# Each task writes its own shard database; once every task has ended:\n#   " << merge << "\n";
  job.header = header.str();
  if (a.slurm.job_name.empty()) a.slurm.job_name = "sodlab-" + fs::path(plan.experiment.info.name).filename().string();
  a.slurm.cpus = a.threads;
  const std::string script = sweep::write_sbatch_script(job, a.slurm);
  std::cerr << "wrote " << script << " (" << tasks << " array task(s))\n";
  if (a.emit) {
    std::cerr << "submit: sbatch " << sweep::shell_quote(script) << "\nthen:   " << merge << "\n";
    return 0;
  }
  {
    store::ResultsStore db(a.db);
    pipeline::register_runs(plan, db);  // queued until the shards are merged
  }
  const std::string id = sweep::submit(script);
  std::cerr << "submitted job " << id << "; watch: squeue -j " << id << "\n";
  if (!a.wait) {
    std::cerr << "when it has ended: " << merge << "\n";
    return 0;
  }
  install_stop_handlers();
  Timer timer;
  sweep::wait_for_job(id);
  if (stop_requested()) {
    std::cerr << "stopped waiting; job " << id << " keeps running. When it has ended: " << merge << "\n";
    return stop_exit_code();
  }
  store::ResultsStore db(a.db);
  int copied = 0;
  const auto shards = sweep::shard_files(out_dir);
  for (const auto& shard : shards) copied += db.merge_from(shard).copied;
  std::cerr << "job " << id << " has ended: merged " << shards.size() << " shard(s) (" << copied
            << " run(s) copied) into " << a.db << "\n";
  return report(sweep::finish_sweep(plan, db, a.execute), a, timer.seconds());
}

CommandRegistration registration{
    "sweep",
    "Run every point of a sweep: here with --jobs N worker processes, or as a Slurm job array",
    [](CLI::App& app) {
      auto a = std::make_shared<SweepArgs>();
      add_sweep_plan_options(app, *a);
      app.add_option("--jobs,-j", a->jobs, "Worker processes on this machine (local launcher)")
          ->check(CLI::Range(1, kMaxThreads))
          ->capture_default_str();
      app.add_option("--threads", a->threads,
                     "LibTorch threads per worker (default: the cores / --jobs; with slurm, --cpus); part "
                     "of the run identity")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_flag("--dry-run", a->dry_run, "List the points, their runs and which are already in the store");
      app.add_option("--launcher", a->launcher, "local | slurm")->capture_default_str();
      app.add_option("--partition", a->slurm.partition, "slurm: partition (default: the cluster's)");
      app.add_option("--time", a->slurm.time, "slurm: time limit per task, e.g. 04:00:00");
      app.add_option("--cpus", a->slurm.cpus, "slurm: CPUs per task (= threads per worker)")
          ->check(CLI::Range(1, kMaxThreads))
          ->capture_default_str();
      app.add_option("--gpus", a->slurm.gpus, "slurm: GPUs per task, e.g. 1");
      app.add_option("--array-parallelism", a->slurm.array_parallelism,
                     "slurm: at most K tasks at once (0 = no limit)")
          ->check(CLI::Range(0, 1 << 20));
      app.add_option("--signal-seconds", a->slurm.warn_seconds,
                     "slurm: warn (checkpoint, requeue) this many seconds before the time limit")
          ->check(CLI::Range(1, 3600))
          ->capture_default_str();
      app.add_flag("--emit", a->emit, "slurm: write the sbatch script, do not submit it");
      app.add_flag("--wait", a->wait, "slurm: wait for the job (polling squeue), then merge the shards");
      app.add_option("--out-dir", a->out_dir,
                     "slurm: folder of the script, shards and logs (default results/sweeps/<name>/<profile>)");
      return [a] {
        if (a->launcher != "local" && a->launcher != "slurm")
          throw InputError("--launcher '" + a->launcher + "': expected local or slurm");
        const int cores = hardware_threads();
        if (a->launcher == "local") {
          if (a->jobs > cores)
            throw InputError("--jobs " + std::to_string(a->jobs) + ": this machine has " + std::to_string(cores) +
                             " core(s); more workers than cores slow every one of them down");
          if (a->threads == 0) a->threads = std::max(1, cores / a->jobs);
          if (a->jobs * a->threads > cores)
            throw InputError("--jobs " + std::to_string(a->jobs) + " x --threads " + std::to_string(a->threads) +
                             " = " + std::to_string(a->jobs * a->threads) + " threads on " + std::to_string(cores) +
                             " core(s): LibTorch slows down many times over when oversubscribed");
        } else {
          if (a->threads == 0) a->threads = a->slurm.cpus;
          if (a->threads != a->slurm.cpus)
            throw InputError("--threads " + std::to_string(a->threads) + " and --cpus " + std::to_string(a->slurm.cpus) +
                             ": a Slurm task runs with as many threads as CPUs (give one of them)");
        }
        a->plan.threads = a->threads;
        const pipeline::Plan plan = pipeline::plan(a->plan);
        if (plan.study || plan.experiment.is_eval_only())
          throw InputError(plan.experiment.source_path + ": a " + (plan.study ? "[study]" : "eval-only") +
                           " file trains no runs to sweep; use `sodlab run`");
        if (a->dry_run) {
          print_points(plan, a->db);
          return 0;
        }
        return a->launcher == "local" ? run_local(*a, plan) : run_slurm(*a, plan);
      };
    }};

}  // namespace
}  // namespace sodlab::cli
