// `sodlab sweep`, `sodlab worker` and `sodlab merge` end to end on tiny sweeps: every point exactly
// once with two workers, a killed worker's run taken over and resumed, SIGTERM, bit-identical
// points named, --dry-run, merge idempotence.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "store/query.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"

namespace fs = std::filesystem;
using sodlab::testing::count;
using sodlab::testing::read_file;
using sodlab::testing::run_sodlab;
using sodlab::testing::spawn_sodlab;
using sodlab::testing::TempDir;

namespace {

// A sweep over theta × beta2 of a 1/16-width SZN on 8 synthetic images (`epochs` per run).
fs::path write_sweep(const fs::path& dir, const std::string& sweep, int epochs = 1) {
  const fs::path p = dir / "sweep.toml";
  std::ofstream(p) << sodlab::testing::tiny_experiment("tests/sweep", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                                       R"({ dataset = "synthetic", n = 4, size = 64, seed = 2 })",
                                                       "af_fbeta_w", epochs)
                   << "\n[sweep]\n" << sweep << "\n";
  return p;
}

std::vector<std::string> sweep_args(const fs::path& file, const fs::path& dir, int jobs) {
  return {"sweep", file.string(), "--jobs", std::to_string(jobs), "--db", (dir / "results.db").string(),
          "--runs-dir", (dir / "runs").string()};
}

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Waits until `sql` (a count) on `db` reaches `n`; false after ~60 s.
bool wait_for(const fs::path& db, const std::string& sql, std::int64_t n) {
  for (int i = 0; i < 6000; ++i) {
    std::error_code ec;
    if (fs::exists(db, ec)) try {
        if (count(db, sql) >= n) return true;
      } catch (...) {
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("sweep --jobs 2: every point once, parameters queryable, one table row per point", "[sweep]") {
  TempDir dir;
  const fs::path file = write_sweep(dir.path(), "grid = { \"loss.theta\" = [5, 9, 13], \"loss.beta2\" = [0.3, 1.0] }");
  const fs::path db = dir.path() / "results.db";
  REQUIRE(run_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "log") == 0);
  const std::string log = read_file(dir.path() / "log");
  INFO(log);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 6);
  CHECK(count(db, "SELECT count(*) FROM runs") == 6);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE threads = 1") == 6);  // 2 cores / 2 workers
  // Each run trained exactly once: six completions over both workers, each epoch row written once.
  CHECK(occurrences(log, "  completed in ") == 6);
  CHECK(log.find("[worker 1]") != std::string::npos);
  CHECK(log.find("[worker 2]") != std::string::npos);
  CHECK(count(db, "SELECT count(DISTINCT owner) FROM runs") == 2);
  CHECK(count(db, "SELECT count(*) FROM run_params WHERE key = 'loss.theta' AND value = 9") == 2);
  CHECK(count(db, "SELECT count(*) FROM run_params WHERE key = 'loss.beta2' AND value = 0.3") == 3);

  REQUIRE(run_sodlab({"table", file.string(), "--db", db.string(), "--threads", "1"}, dir.path() / "table") == 0);
  const std::string table = read_file(dir.path() / "table");
  INFO(table);
  CHECK(table.find("Sweep over loss.theta, loss.beta2") != std::string::npos);
  for (const char* row : {"| theta=5,beta2=0.3 |", "| theta=13,beta2=1.0 |"}) CHECK(table.find(row) != std::string::npos);
  CHECK(table.find("(paper)") == std::string::npos);
  CHECK(table.find("bit-identical") == std::string::npos);

  // Again: nothing to do, every point already in the store.
  REQUIRE(run_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "log2") == 0);
  CHECK(occurrences(read_file(dir.path() / "log2"), "  completed in ") == 0);
  auto dry = sweep_args(file, dir.path(), 2);
  dry.push_back("--dry-run");
  REQUIRE(run_sodlab(dry, dir.path() / "dry") == 0);
  const std::string listing = read_file(dir.path() / "dry");
  CHECK(listing.find("theta=9,beta2=0.3    [loss.beta2 = 0.3, loss.theta = 9]") != std::string::npos);
  CHECK(listing.find("6 point(s), 6 run(s), 6 already completed") != std::string::npos);
  CHECK(occurrences(listing, " completed\n") == 6);
}

TEST_CASE("sweep: a worker killed with SIGKILL has its run taken over, resumed from its checkpoint", "[sweep]") {
  TempDir dir;
  const fs::path file = write_sweep(dir.path(), "grid = { \"loss.theta\" = [5, 9] }", 12);
  const fs::path db = dir.path() / "results.db";
  const pid_t sweep = spawn_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "log");
  // As soon as some run has two epochs (its first checkpoint is written), kill the worker holding it.
  REQUIRE(wait_for(db, "SELECT count(*) FROM epochs GROUP BY run_id ORDER BY 1 DESC LIMIT 1", 2));
  const auto owner = sodlab::store::query_readonly(
      db.string(), "SELECT owner FROM runs WHERE status = 'running' AND run_id IN (SELECT run_id FROM epochs "
                   "GROUP BY run_id HAVING count(*) >= 2) LIMIT 1");
  REQUIRE(owner.rows.size() == 1);
  const std::string o = std::get<std::string>(owner.rows[0][0]);
  const pid_t worker = static_cast<pid_t>(std::stol(o.substr(o.rfind(':') + 1)));
  REQUIRE(kill(worker, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(sweep, &status, 0) == sweep);
  const std::string log = read_file(dir.path() / "log");
  INFO(log);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(log.find("died by signal 9") != std::string::npos);
  CHECK(log.find("1 run(s) it held marked interrupted") != std::string::npos);
  CHECK(log.find("resumed after") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
  CHECK(count(db, "SELECT count(*) FROM epochs") == 24);  // every epoch of both runs, once
}

TEST_CASE("sweep: SIGTERM checkpoints the workers' runs and marks them interrupted at once", "[sweep]") {
  TempDir dir;
  const fs::path file = write_sweep(dir.path(), "grid = { \"loss.theta\" = [5, 9] }", 40);
  const fs::path db = dir.path() / "results.db";
  const pid_t sweep = spawn_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "log");
  REQUIRE(wait_for(db, "SELECT count(DISTINCT run_id) FROM epochs", 2));
  REQUIRE(kill(sweep, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(sweep, &status, 0) == sweep);
  INFO(read_file(dir.path() / "log"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND ended_at IS NOT NULL") == 2);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'running'") == 0);
}

TEST_CASE("sweep: points whose runs give bit-identical results are named under the table", "[sweep]") {
  TempDir dir;
  // Two points (two run ids) that cannot differ: a weights catalogue is never read when the
  // backbone has no weights to load ("none"), yet the option is part of the run identity.
  const fs::path file = write_sweep(dir.path(), "grid = { \"model.weights_catalogue\" = [\"a.toml\", \"b.toml\"] }");
  const fs::path db = dir.path() / "results.db";
  REQUIRE(run_sodlab(sweep_args(file, dir.path(), 1), dir.path() / "log") == 0);
  REQUIRE(run_sodlab({"table", file.string(), "--db", db.string()}, dir.path() / "table") == 0);
  const std::string table = read_file(dir.path() / "table");
  INFO(table);
  CHECK(count(db, "SELECT count(DISTINCT run_id) FROM runs WHERE status = 'completed'") == 2);
  CHECK(table.find("Points weights_catalogue=a.toml, weights_catalogue=b.toml gave bit-identical results") !=
        std::string::npos);
}

TEST_CASE("sodlab merge: shards in, twice changes nothing, a bad shard is refused with exit 2", "[sweep]") {
  TempDir dir;
  const fs::path file = write_sweep(dir.path(), "grid = { \"loss.theta\" = [5, 9] }");
  for (int i = 0; i < 2; ++i)
    REQUIRE(run_sodlab({"worker", file.string(), "--index", std::to_string(i), "--threads", "1", "--db",
                        (dir.path() / ("task-" + std::to_string(i) + ".db")).string(), "--runs-dir",
                        (dir.path() / "runs").string()},
                       dir.path() / ("w" + std::to_string(i))) == 0);
  CHECK(run_sodlab({"worker", file.string(), "--index", "2", "--db", (dir.path() / "x.db").string()},
                   dir.path() / "bad_index") == 2);
  CHECK(read_file(dir.path() / "bad_index").find("--index 2: tests/sweep plans 2 run(s), indices 0..1") !=
        std::string::npos);
  // A task whose plan changed since the script was written is refused.
  CHECK(run_sodlab({"worker", file.string(), "--index", "0", "--expect-run", "0123456789abcdef", "--db",
                    (dir.path() / "x.db").string()},
                   dir.path() / "changed") == 2);
  CHECK(read_file(dir.path() / "changed").find("is not the expected 0123456789abcdef") != std::string::npos);
  const fs::path merged = dir.path() / "merged.db";
  const std::vector<std::string> merge{"merge", (dir.path() / "task-0.db").string(),
                                       (dir.path() / "task-1.db").string(), "--into", merged.string()};
  REQUIRE(run_sodlab(merge, dir.path() / "m1") == 0);
  CHECK(read_file(dir.path() / "m1").find(": 2 run(s) copied") != std::string::npos);
  const auto rows = [&] {
    return count(merged, "SELECT (SELECT count(*) FROM runs) * 1000000 + (SELECT count(*) FROM results) * 1000 + "
                         "(SELECT count(*) FROM params)");
  };
  const auto before = rows();
  CHECK(count(merged, "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
  REQUIRE(run_sodlab(merge, dir.path() / "m2") == 0);
  CHECK(read_file(dir.path() / "m2").find(": 0 run(s) copied") != std::string::npos);
  CHECK(rows() == before);
  // The same table from the merged store as from a local sweep with the same threads.
  REQUIRE(run_sodlab({"sweep", file.string(), "--jobs", "1", "--threads", "1", "--db",
                      (dir.path() / "local.db").string(), "--runs-dir", (dir.path() / "lruns").string()},
                     dir.path() / "local") == 0);
  const auto values = [&](const fs::path& d) {
    return sodlab::store::query_readonly(d.string(),
                                         "SELECT run_id, dataset, metric, value FROM results ORDER BY 1, 2, 3")
        .rows;
  };
  CHECK(values(merged) == values(dir.path() / "local.db"));
  { std::ofstream(dir.path() / "junk.db") << "definitely not SQLite"; }
  CHECK(run_sodlab({"merge", (dir.path() / "junk.db").string(), "--into", merged.string()}, dir.path() / "m3") == 2);
  CHECK(read_file(dir.path() / "m3").find("junk.db") != std::string::npos);
  CHECK(rows() == before);
}

namespace {

// A process that is gone, or a zombie nobody reaped yet (its work has stopped either way).
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("sweep: workers die with a supervisor killed by SIGKILL, their runs interrupted, and a rerun resumes them",
          "[sweep]") {
  TempDir dir;
  const fs::path file = write_sweep(dir.path(), "grid = { \"loss.theta\" = [5, 9] }", 40);
  const fs::path db = dir.path() / "results.db";
  const pid_t sweep = spawn_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "log");
  REQUIRE(wait_for(db, "SELECT count(DISTINCT run_id) FROM epochs", 2));
  const auto owners = sodlab::store::query_readonly(db.string(), "SELECT owner FROM runs WHERE status = 'running'");
  REQUIRE(owners.rows.size() == 2);
  std::vector<pid_t> workers;
  for (const auto& row : owners.rows) {
    const std::string o = std::get<std::string>(row[0]);
    workers.push_back(static_cast<pid_t>(std::stol(o.substr(o.rfind(':') + 1))));
  }
  REQUIRE(kill(sweep, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(sweep, &status, 0) == sweep);
  // Each worker gets SIGTERM from the kernel (PR_SET_PDEATHSIG): it checkpoints, marks its run
  // interrupted and exits, instead of training on to the end of the sweep.
  for (const pid_t w : workers) {
    bool gone = false;
    for (int i = 0; i < 3000 && !gone; ++i) {
      gone = process_gone(w);
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(gone);
  }
  INFO(read_file(dir.path() / "log"));
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND ended_at IS NOT NULL") == 2);
  CHECK(count(db, "SELECT count(*) FROM epochs") < 80);
  REQUIRE(run_sodlab(sweep_args(file, dir.path(), 2), dir.path() / "rerun") == 0);
  CHECK(read_file(dir.path() / "rerun").find("resumed after") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
  CHECK(count(db, "SELECT count(*) FROM epochs") == 80);
}
