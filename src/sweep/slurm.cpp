#include "sweep/slurm.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "core/output_files.h"

namespace sodlab::sweep {
namespace fs = std::filesystem;
namespace {

struct Output {
  int status = -1;
  std::string text;
};

// Runs a shell command, stdout and stderr together.
Output capture(const std::string& command) {
  Output out;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw RuntimeFailure("cannot run: " + command);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  const int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string shell_quote(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                        "_-./=:,+@%") == std::string::npos)
    return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string shard_path(const std::string& out_dir, int task) {
  return (fs::path(out_dir) / "shards" / ("task-" + std::to_string(task) + ".db")).string();
}

std::vector<std::string> shard_files(const std::string& out_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(out_dir) / "shards", ec))
    if (e.path().extension() == ".db") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string sbatch_script(const SlurmJob& job, const SlurmOptions& o) {
  std::ostringstream s;
  s << "#!/bin/bash\n" << job.header;
  s << "#SBATCH --job-name=" << (o.job_name.empty() ? "sodlab-sweep" : o.job_name) << "\n";
  s << "#SBATCH --array=0-" << job.run_ids.size() - 1;
  if (o.array_parallelism > 0) s << "%" << o.array_parallelism;
  s << "\n#SBATCH --cpus-per-task=" << o.cpus << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.time.empty()) s << "#SBATCH --time=" << o.time << "\n";
  if (!o.gpus.empty()) s << "#SBATCH --gpus=" << o.gpus << "\n";
  s << "#SBATCH --chdir=" << job.working_dir << "\n"
    << "#SBATCH --output=" << (fs::path(job.out_dir) / "logs" / "task-%a.out").string() << "\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --signal=B:USR1@" << o.warn_seconds << "\n"
    << "#SBATCH --requeue\n"
    << "set -u\n"
    << "task=\"${SLURM_ARRAY_TASK_ID:?not an array task}\"\n"
    << "# Task i executes planned run i; the worker refuses to run if the plan no longer has that id.\n"
    << "runs=(";
  for (std::size_t i = 0; i < job.run_ids.size(); ++i) s << (i ? " " : "") << job.run_ids[i];
  s << ")\n"
    << "echo \"sodlab: task $task of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname) "
       "(restart ${SLURM_RESTART_COUNT:-0}) at $(date -u +%FT%TZ)\"\n";
  s << shell_quote(job.executable) << " worker";
  for (const auto& a : job.worker_args) s << " " << shell_quote(a);
  s << " --index \"$task\" --expect-run \"${runs[$task]}\" --db " << shell_quote((fs::path(job.out_dir) / "shards").string())
    << "/task-\"$task\".db &\n"
    << "worker=$!\n"
    << "# Time limit or preemption warning: the worker checkpoints and marks its run interrupted,\n"
    << "# the task is requeued and resumes from the checkpoint recorded in its shard.\n"
    << "on_warning() {\n"
    << "  echo \"sodlab: time limit warning: checkpointing task $task and requeueing it\"\n"
    << "  kill -TERM \"$worker\" 2>/dev/null\n"
    << "  wait \"$worker\"\n"
    << "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${task}\"\n"
    << "  exit 0\n"
    << "}\n"
    << "trap on_warning USR1\n"
    << "wait \"$worker\"\n"
    << "status=$?\n"
    << "exit $status\n";
  return s.str();
}

std::string write_sbatch_script(const SlurmJob& job, const SlurmOptions& o) {
  const fs::path dir(job.out_dir);
  std::error_code ec;
  fs::create_directories(dir / "shards", ec);
  fs::create_directories(dir / "logs", ec);
  if (ec) throw InputError(job.out_dir + ": cannot create the sweep folder: " + ec.message());
  const fs::path path = dir / "sweep.sbatch";
  output::write_output_file(path.string(), sbatch_script(job, o), "--out-dir");
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read, ec);
  return path.string();
}

std::string submit(const std::string& script_path) {
  const Output which = capture("command -v sbatch");
  if (which.status != 0)
    throw InputError("sbatch not found: --launcher slurm needs Slurm's client commands on PATH (the "
                     "script is written: " + script_path + "; --emit writes it without submitting)");
  const Output out = capture("sbatch --parsable " + shell_quote(script_path));
  const std::string text = trimmed(out.text);
  if (out.status != 0) throw InputError("sbatch refused " + script_path + ": " + text);
  std::string id = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  id = id.substr(0, id.find(';'));  // "<job id>;<cluster>" on multi-cluster setups
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw RuntimeFailure("sbatch " + script_path + ": unexpected answer '" + text + "'");
  return id;
}

void wait_for_job(const std::string& job_id, double poll_seconds) {
  double wait = poll_seconds;
  for (;;) {
    const Output q = capture("squeue -h -j " + shell_quote(job_id) + " -o %i");
    if (q.status != 0 && q.text.find("Invalid job id") == std::string::npos)
      throw RuntimeFailure("squeue -j " + job_id + " failed: " + trimmed(q.text));
    if (q.status != 0 || trimmed(q.text).empty()) return;
    for (double slept = 0; slept < wait; slept += 0.1) {
      if (stop_requested()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    wait = std::min(10.0, wait * 1.2);
  }
}

}  // namespace sodlab::sweep
