// Running the `sodlab` binary from tests: to completion (output to a log file), or in the
// background (to signal it), and reading a results database.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/query.h"
#include "support/shared_data.h"

namespace sodlab::testing {

// What `sodlab <args>` (a shell command line) printed, stdout and, unless `with_stderr` is false,
// stderr, and its exit code (-1: killed).
struct CliOutput {
  int rc = -1;
  std::string text;
};
inline CliOutput run_cli(const std::string& args, bool with_stderr = true) {
  const std::string cmd = sodlab_binary().string() + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  CliOutput o;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.text.append(buf, n);
  const int status = ::pclose(p);
  o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

// Runs `sodlab args…` with stdout and stderr to `log`; returns the exit code (-1: killed).
inline int run_sodlab(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::string cmd = sodlab_binary().string();
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > '" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The first column of the first row of a read-only query (an integer).
inline std::int64_t count(const std::filesystem::path& db, const std::string& sql) {
  auto r = sodlab::store::query_readonly(db.string(), sql);
  return std::get<std::int64_t>(r.rows.at(0).at(0));
}

// Starts `sodlab args…` in a child process (stderr and stdout to `log`); returns its pid.
inline pid_t spawn_sodlab(std::vector<std::string> args, const std::filesystem::path& log) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = sodlab_binary().string();
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen(log.c_str(), "w", stderr)) _exit(126);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace sodlab::testing
