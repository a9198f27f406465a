// Nothing recorded is lost to a full disk, a closed terminal or a look at the plan (issue 23 §3-4):
// a checkpoint that cannot be written fails the run with its cause (no abort, no ".tmp" left) and
// a later run resumes; SIGHUP stops a run like SIGTERM; `run --dry-run` reads the store read-only
// and says what it holds.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"
#include "support/tmpfs.h"

namespace fs = std::filesystem;
using sodlab::testing::count;
using sodlab::testing::read_file;
using sodlab::testing::run_sodlab;
using sodlab::testing::spawn_sodlab;
using sodlab::testing::TempDir;

namespace {

fs::path write_tiny(const fs::path& dir, int epochs) {
  const fs::path p = dir / "tiny.toml";
  std::ofstream(p) << sodlab::testing::tiny_experiment("tests/lossless", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                                       R"({ dataset = "synthetic", n = 4, size = 64, seed = 2 })",
                                                       "af_fbeta_w", epochs);
  return p;
}

std::vector<std::string> run_args(const fs::path& file, const fs::path& db, const fs::path& runs) {
  return {"run", file.string(), "--db", db.string(), "--runs-dir", runs.string(), "--threads", "1"};
}

}  // namespace

TEST_CASE("a checkpoint on a full disk fails the run with its cause, leaves no .tmp, and the run resumes later",
          "[pipeline][lossless]") {
  TempDir dir;
  sodlab::testing::Tmpfs runs(dir.path() / "runs", "64k");  // far less than one checkpoint
  if (!runs.mounted()) SODLAB_SKIP("cannot mount a tmpfs here (" + runs.why_not() + "); needs root");
  const fs::path file = write_tiny(dir.path(), 2), db = dir.path() / "results.db";
  const int rc = run_sodlab(run_args(file, db, runs.path()), dir.path() / "full");
  const std::string log = read_file(dir.path() / "full");
  INFO(log);
  CHECK(rc == 1);  // a runtime failure, not an abort (134)
  CHECK(log.find("No space left on device") != std::string::npos);
  CHECK(log.find(runs.path().string()) != std::string::npos);
  CHECK(log.find("terminate called") == std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE '%No space left on device%' "
                  "AND ended_at IS NOT NULL") == 1);
  for (const auto& e : fs::recursive_directory_iterator(runs.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  REQUIRE(runs.remount("64m"));  // space is back
  REQUIRE(run_sodlab(run_args(file, db, runs.path()), dir.path() / "again") == 0);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed' AND error IS NULL") == 1);
}

TEST_CASE("SIGHUP (a closed terminal) stops a run like SIGTERM: interrupted, resumed later", "[pipeline][lossless]") {
  TempDir dir;
  const fs::path file = write_tiny(dir.path(), 40), db = dir.path() / "results.db";
  const pid_t pid = spawn_sodlab(run_args(file, db, dir.path() / "runs"), dir.path() / "log");
  bool sent = false;
  for (int i = 0; i < 6000 && !sent; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::error_code ec;
    if (!fs::exists(db, ec)) continue;
    try {
      if (count(db, "SELECT count(*) FROM epochs") >= 1) sent = kill(pid, SIGHUP) == 0;
    } catch (...) {  // the database may still be being created
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(read_file(dir.path() / "log"));
  REQUIRE(sent);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGHUP);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND ended_at IS NOT NULL") == 1);
  REQUIRE(run_sodlab(run_args(file, db, dir.path() / "runs"), dir.path() / "resume") == 0);
  CHECK(read_file(dir.path() / "resume").find("resumed after") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM epochs") == 40);
}

TEST_CASE("run --dry-run opens the store read-only and says what it holds", "[pipeline][lossless]") {
  TempDir dir;
  const fs::path file = write_tiny(dir.path(), 1), db = dir.path() / "results.db";
  auto dry = run_args(file, db, dir.path() / "runs");
  dry.push_back("--dry-run");
  REQUIRE(run_sodlab(dry, dir.path() / "before") == 0);
  CHECK(read_file(dir.path() / "before").find("no results store at " + db.string() + " yet") != std::string::npos);
  CHECK_FALSE(fs::exists(db));  // a dry run creates nothing
  REQUIRE(run_sodlab(run_args(file, db, dir.path() / "runs"), dir.path() / "run") == 0);
  const std::string stored = read_file(db);
  REQUIRE(run_sodlab(dry, dir.path() / "after") == 0);
  const std::string log = read_file(dir.path() / "after");
  INFO(log);
  CHECK(log.find("completed in the store") != std::string::npos);
  CHECK(log.find("1 already in the store") != std::string::npos);
  CHECK(log.find("dry run: nothing executed") != std::string::npos);
  CHECK(read_file(db) == stored);
}
