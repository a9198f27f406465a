// `sodlab sweep --launcher slurm`: one sbatch job array per sweep, one planned run per array task.
//
// The script (<out_dir>/sweep.sbatch) is kept so users can read, edit and resubmit it. Task i runs
// `sodlab worker EXPERIMENT --index i` with its own shard database <out_dir>/shards/task-<i>.db
// (SQLite is never shared over a network filesystem) and its checkpoints under the runs folder;
// `sodlab merge <out_dir>/shards/*.db` folds the shards into the results store (idempotent).
// Time limits and preemption: `#SBATCH --signal=B:USR1@<warn>` makes Slurm warn the batch shell
// before the limit; the script forwards SIGTERM to the worker (which checkpoints and marks its
// run interrupted), requeues the task (`scontrol requeue`) and the requeued task resumes from the
// checkpoint recorded in its shard. The log is appended across restarts (--open-mode=append).
#pragma once

#include <string>
#include <vector>

namespace sodlab::sweep {

struct SlurmOptions {
  std::string partition, time, gpus;   // "" = the cluster's default
  int cpus = 1;                        // --cpus-per-task (= each worker's --threads)
  int array_parallelism = 0;           // at most this many tasks at once (0 = no limit)
  int warn_seconds = 60;               // USR1 this long before the time limit
  std::string job_name;
};

struct SlurmJob {
  std::string out_dir;                  // absolute: script, shards/, logs/
  std::string working_dir;              // absolute: the tasks' --chdir (relative data paths)
  std::string executable;               // absolute path of sodlab
  std::vector<std::string> worker_args; // after "worker": the experiment and its options
  std::vector<std::string> run_ids;     // planned run i = task i (the worker checks it: a file
                                        // edited after the script was written is refused)
  std::string header;                   // comment lines at the top (what, when, how to merge)
};

std::string shard_path(const std::string& out_dir, int task);
// Shard files present under out_dir/shards, sorted.
std::vector<std::string> shard_files(const std::string& out_dir);
std::string sbatch_script(const SlurmJob& job, const SlurmOptions& options);
// Writes the script atomically (and creates shards/ and logs/); returns its path.
std::string write_sbatch_script(const SlurmJob& job, const SlurmOptions& options);
// `sbatch --parsable SCRIPT` → the job id; InputError when sbatch is missing or refuses it (its
// message included).
std::string submit(const std::string& script_path);
// Polls `squeue -h -j JOB` (not `sbatch --wait`, whose polling backs off) until the job has left
// the queue; `poll_seconds` between polls (grows to 10 s). Stops early on SIGINT/SIGTERM.
void wait_for_job(const std::string& job_id, double poll_seconds = 1.0);

// A word for a POSIX shell: single-quoted unless it is made only of safe characters.
std::string shell_quote(const std::string& word);

}  // namespace sodlab::sweep
