#include "sweep/local_pool.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "store/provenance.h"

extern char** environ;

namespace sodlab::sweep {
namespace {

struct Worker {
  int number = 0;
  pid_t pid = -1;
};

// fork + execve with the worker's environment prepared before the fork (the child only calls
// async-signal-safe functions until exec).
pid_t spawn(const PoolOptions& o, int number) {
  std::vector<std::string> args{o.executable, "worker"};
  args.insert(args.end(), o.worker_args.begin(), o.worker_args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    if (kv.rfind("SODLAB_THREADS=", 0) == 0 || kv.rfind("SODLAB_LOG_PREFIX=", 0) == 0) continue;
    env.push_back(kv);
  }
  env.push_back("SODLAB_THREADS=" + std::to_string(o.threads_per_worker));
  env.push_back("SODLAB_LOG_PREFIX=[worker " + std::to_string(number) + "] ");
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t supervisor = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw RuntimeFailure(std::string("cannot start a sweep worker: fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);  // Ctrl-C goes to the supervisor only; it forwards one SIGTERM
    // A worker dies with its supervisor (kill -9, a closed terminal): SIGTERM when the supervisor
    // goes, so it checkpoints and marks its run interrupted instead of working on unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != supervisor) ::_exit(143);  // the supervisor died before prctl took effect
    ::execve(argv[0], argv.data(), envp.data());
    static const char msg[] = "sodlab: cannot execute the sweep worker\n";
    const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with a signal before the child's call
  return pid;
}

}  // namespace

PoolResult run_local_pool(const PoolOptions& o, store::ResultsStore& db) {
  PoolResult result;
  std::vector<Worker> live;
  int next_number = 1, restarts = 0;
  for (int k = 0; k < o.jobs; ++k) {
    live.push_back({next_number, spawn(o, next_number)});
    ++next_number;
    ++result.started;
  }
  log::info("sweep: " + std::to_string(o.jobs) + " worker(s) of " + std::to_string(o.threads_per_worker) +
            " thread(s) started");
  bool forwarded = false;
  while (!live.empty()) {
    if (stop_requested() && !forwarded) {
      result.stop_signal = stop_signal();
      for (const Worker& w : live) ::kill(w.pid, SIGTERM);
      forwarded = true;
      log::info("sweep: stopping " + std::to_string(live.size()) + " worker(s)");
    }
    bool reaped = false;
    for (std::size_t i = 0; i < live.size(); ++i) {
      int status = 0;
      const pid_t r = ::waitpid(live[i].pid, &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
      const Worker w = live[i];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      reaped = true;
      const std::string name = "worker " + std::to_string(w.number) + " (pid " + std::to_string(w.pid) + ")";
      if (r > 0 && WIFSIGNALED(status) && !forwarded) {
        ++result.died;
        const std::string why = name + " died by signal " + std::to_string(WTERMSIG(status)) + " (" +
                                strsignal(WTERMSIG(status)) + ")";
        const int freed = db.mark_owner_interrupted(store::host_name() + ":" + std::to_string(w.pid), why);
        log::warn("sweep: " + why + "; " + std::to_string(freed) + " run(s) it held marked interrupted");
        if (restarts < o.max_restarts) {
          ++restarts;
          live.push_back({next_number, spawn(o, next_number)});
          log::info("sweep: worker " + std::to_string(next_number) + " started in its place");
          ++next_number;
          ++result.started;
        }
      } else if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        if (!forwarded) ++result.failed;
        log::info("sweep: " + name + " exited with status " + std::to_string(WEXITSTATUS(status)));
      }
      break;  // `live` changed: rescan
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return result;
}

}  // namespace sodlab::sweep
