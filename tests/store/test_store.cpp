#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "core/error.h"
#include "store/provenance.h"
#include "store/query.h"
#include "store/results_store.h"
#include "support/shared_data.h"

using namespace sodlab;
using namespace sodlab::store;
using sodlab::testing::TempDir;

namespace {

RunRecord make_run(const std::string& id, const std::string& variant = "proposed", int seed = 0) {
  RunRecord r;
  r.run_id = id;
  r.experiment = "kolkin2017/table4";
  r.variant = variant;
  r.profile = "smoke";
  r.fold = 1;
  r.seed = seed;
  r.config_toml = "[run]\nseed = " + std::to_string(seed) + "\n";
  r.code_version = "abc123";
  r.code_dirty = true;
  r.host = host_name();
  r.cpu = cpu_model();
  r.threads = 2;
  r.device = "cpu";
  r.libtorch = "1.13.1";
  r.opencv = "4.6.0";
  return r;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  auto r = query_readonly(db, sql);
  return std::get<std::int64_t>(r.rows.at(0).at(0));
}

}  // namespace

TEST_CASE("store: schema is created, versioned, and migrations are idempotent") {
  TempDir dir;
  const std::string path = (dir.path() / "sub" / "results.db").string();
  {
    ResultsStore s(path);
    CHECK(s.stored_schema_version() == ResultsStore::schema_version());
  }
  {
    ResultsStore s(path);  // reopen: nothing re-applied
    CHECK(s.stored_schema_version() == ResultsStore::schema_version());
  }
  CHECK(count(path, "SELECT count(*) FROM schema_version") == ResultsStore::schema_version());
  for (const char* t : {"runs", "epochs", "results", "per_image", "curves", "timings", "artifacts"})
    CHECK(count(path, std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='") + t +
                          "'") == 1);
  CHECK(count(path, "SELECT count(*) FROM sqlite_master WHERE type='view' AND name='run_results'") == 1);
  auto mode = query_readonly(path, "PRAGMA journal_mode");
  CHECK(std::get<std::string>(mode.rows[0][0]) == "wal");

  // A database at version 1 is migrated to the current version on open.
  const std::string old = (dir.path() / "old.db").string();
  {
    ResultsStore s(old);
    s.begin_run(make_run("r1"));
  }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(old.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DROP VIEW run_results; DROP INDEX runs_by_experiment; DROP INDEX "
                             "results_by_metric; DELETE FROM schema_version WHERE version > 1;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  {
    ResultsStore s(old);
    CHECK(s.stored_schema_version() == ResultsStore::schema_version());
    CHECK(s.find_run("r1"));
  }
  CHECK(count(old, "SELECT count(*) FROM sqlite_master WHERE name='run_results'") == 1);

  // Not a sodlab database / not a database at all.
  const std::string foreign = (dir.path() / "foreign.db").string();
  {
    sqlite3* db = nullptr;
    sqlite3_open(foreign.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE x(a)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  CHECK_THROWS_AS(ResultsStore(foreign), InputError);
  const std::string garbage = (dir.path() / "garbage.db").string();
  std::ofstream(garbage) << std::string(4096, 'x');
  CHECK_THROWS_AS(ResultsStore(garbage), InputError);
}

TEST_CASE("store: every write round-trips") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore s(path);
  const RunRecord in = make_run("run-a", "no_A", 7);
  s.begin_run(in);
  auto got = s.find_run("run-a");
  REQUIRE(got);
  CHECK(got->experiment == in.experiment);
  CHECK(got->variant == "no_A");
  CHECK(got->profile == "smoke");
  CHECK(got->fold == 1);
  CHECK(got->seed == 7);
  CHECK(got->config_toml == in.config_toml);
  CHECK(got->status == "running");
  CHECK(got->code_version == "abc123");
  CHECK(got->code_dirty);
  CHECK(got->host == in.host);
  CHECK(got->cpu == in.cpu);
  CHECK(got->threads == 2);
  CHECK(got->device == "cpu");
  CHECK(got->libtorch == "1.13.1");
  CHECK(got->opencv == "4.6.0");
  CHECK(got->started_at.size() == 24);
  CHECK(got->started_at.back() == 'Z');
  CHECK(got->ended_at.empty());
  CHECK(!got->heartbeat_at.empty());
  CHECK(!s.find_run("nope"));

  s.add_epoch({"run-a", "stage1", 1, 0.5, std::nullopt, 3e-4, 12.5});
  s.add_epoch({"run-a", "stage1", 2, 0.25, 0.3, 3e-4, 11.0});
  s.add_epoch({"run-a", "stage1", 2, 0.2, 0.3, 3e-4, 11.0});  // resumed: replaces
  auto ep = s.epochs("run-a");
  REQUIRE(ep.size() == 2);
  CHECK(!ep[0].val_loss);
  CHECK(*ep[1].val_loss == 0.3);
  CHECK(ep[1].train_loss == 0.2);
  CHECK(ep[0].seconds == 12.5);

  s.add_results({{"run-a", "sod300", "none", "mae", "pysodmetrics", 0.125},
                 {"run-a", "sod300", "awgn:0.05", "fbeta_w", "pysodmetrics", 0.75}});
  auto res = s.results("run-a");
  REQUIRE(res.size() == 2);
  CHECK(res[0].distortion == "awgn:0.05");
  CHECK(res[0].value == 0.75);
  CHECK(res[1].metric == "mae");

  s.add_per_image({{"run-a", "sod300", "none", "img1", "mae", "pysodmetrics", 0.1},
                   {"run-a", "sod300", "none", "img2", "mae", "pysodmetrics", 0.15}});
  auto pi = s.per_image("run-a");
  REQUIRE(pi.size() == 2);
  CHECK(pi[1].image == "img2");
  CHECK(pi[1].value == 0.15);

  std::vector<CurvePoint> pts;
  for (int i = 0; i < 256; ++i) pts.push_back({"run-a", "sod300", "none", "pr", i, i / 255.0, 1 - i / 255.0});
  s.add_curves(pts);
  auto cv = s.curves("run-a");
  REQUIRE(cv.size() == 256);
  CHECK(cv[255].x == 1.0);
  CHECK(cv[10].y == 1 - 10 / 255.0);

  s.add_timing({"run-a", "inference", 2.5, 100, "cpu"});
  s.add_artifact({"run-a", "checkpoint", "results/runs/run-a/ckpt.pt", "deadbeef", 1234});
  auto tm = s.timings("run-a");
  REQUIRE(tm.size() == 1);
  CHECK(tm[0].seconds == 2.5);
  CHECK(tm[0].items == 100);
  auto ar = s.artifacts("run-a");
  REQUIRE(ar.size() == 1);
  CHECK(ar[0].sha256 == "deadbeef");
  CHECK(ar[0].bytes == 1234);

  s.set_status("run-a", kStatusCompleted);
  got = s.find_run("run-a");
  CHECK(got->status == "completed");
  CHECK(!got->ended_at.empty());
  s.set_status("run-a", kStatusFailed, "NaN loss at stage1 epoch 2 batch 7");
  CHECK(s.find_run("run-a")->error == "NaN loss at stage1 epoch 2 batch 7");
  CHECK_THROWS_AS(s.set_status("run-a", "done"), InputError);
  CHECK_THROWS_AS(s.set_status("missing", kStatusCompleted), InputError);

  // Writing rows for an unknown run violates the foreign key.
  CHECK_THROWS_AS(s.add_results({{"ghost", "d", "none", "mae", "c", 1.0}}), RuntimeFailure);

  // begin_run again (a redo): results, per_image, curves are cleared; epochs kept.
  s.begin_run(in);
  CHECK(s.results("run-a").empty());
  CHECK(s.per_image("run-a").empty());
  CHECK(s.curves("run-a").empty());
  CHECK(s.epochs("run-a").size() == 2);
  CHECK(s.find_run("run-a")->status == "running");
  CHECK(s.find_run("run-a")->error.empty());

  // runs(where)
  s.begin_run(make_run("run-b", "proposed", 1));
  CHECK(s.runs().size() == 2);
  CHECK(s.runs("variant = 'proposed'").size() == 1);
  CHECK_THROWS_AS(s.runs("no_such_column = 1"), InputError);
}

TEST_CASE("store: stale heartbeats are reported as interrupted") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore s(path, /*stale_seconds=*/60);
  s.begin_run(make_run("fresh"));
  s.begin_run(make_run("stale"));
  {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ','now','-5 minutes') "
                     "WHERE run_id = 'stale'", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  CHECK(s.find_run("fresh")->status == "running");
  CHECK(s.find_run("stale")->status == "interrupted");
  CHECK(s.runs("status = 'interrupted'").size() == 1);
  CHECK(std::get<std::string>(runs_readonly(path, "run_id = 'stale'", 60).rows.at(0).at(6)) == "interrupted");
  CHECK(count(path, "SELECT count(*) FROM runs WHERE status = 'running'") == 2);  // stored unchanged
  CHECK(s.mark_stale_interrupted() == 1);
  CHECK(count(path, "SELECT count(*) FROM runs WHERE status = 'running'") == 1);
  s.heartbeat("fresh");
  CHECK(s.find_run("fresh")->status == "running");
}

TEST_CASE("store: two processes writing the same database at once lose nothing") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  constexpr int kRuns = 20, kRows = 50;
  auto writer = [&](const std::string& prefix) {
    ResultsStore s(path);  // concurrent open + migrate
    for (int r = 0; r < kRuns; ++r) {
      const std::string id = prefix + std::to_string(r);
      s.begin_run(make_run(id, prefix, r));
      s.add_epoch({id, "stage1", 1, 0.5, std::nullopt, 1e-3, 1.0});
      s.heartbeat(id);
      std::vector<ResultRow> rows;
      for (int k = 0; k < kRows; ++k) rows.push_back({id, "sod300", "none", "m" + std::to_string(k), "c", k * 0.5});
      s.add_results(rows);
      s.add_timing({id, "inference", 0.1, 10, "cpu"});
      s.set_status(id, kStatusCompleted);
    }
  };
  // A forked child process and this process, each with its own connection.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 0;
    try {
      writer("child");
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }
  // ...and two threads here with separate connections.
  std::thread t1([&] { writer("t1_"); });
  writer("main");
  t1.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(count(path, "SELECT count(*) FROM runs WHERE status = 'completed'") == 3 * kRuns);
  CHECK(count(path, "SELECT count(*) FROM results") == 3 * kRuns * kRows);
  CHECK(count(path, "SELECT count(*) FROM epochs") == 3 * kRuns);
  CHECK(count(path, "SELECT count(*) FROM timings") == 3 * kRuns);
  CHECK(count(path, "SELECT count(*) FROM schema_version") == ResultsStore::schema_version());
}

TEST_CASE("store: read-only queries reject writes") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  {
    ResultsStore s(path);
    s.begin_run(make_run("r1"));
    s.add_results({{"r1", "sod300", "none", "mae", "pysodmetrics", 0.0625}});
  }
  auto r = query_readonly(path, "SELECT run_id, value, NULL AS n FROM run_results");
  REQUIRE(r.rows.size() == 1);
  CHECK(r.columns == std::vector<std::string>{"run_id", "value", "n"});
  CHECK(std::get<double>(r.rows[0][1]) == 0.0625);
  CHECK(render(r, Format::csv) == "run_id,value,n\nr1,0.0625,\n");
  CHECK(render(r, Format::json).find("\"value\": 0.0625") != std::string::npos);
  CHECK(render(r, Format::table).find("(1 row)") != std::string::npos);
  CHECK_NOTHROW(query_readonly(path, "  -- comment\nWITH x AS (SELECT 1) SELECT * FROM x;"));
  for (const char* bad : {"DELETE FROM runs", "UPDATE runs SET status='failed'", "DROP TABLE runs",
                          "INSERT INTO runs(run_id) VALUES ('x')", "PRAGMA journal_mode=DELETE",
                          "SELECT 1; DELETE FROM runs", "ATTACH DATABASE 'x.db' AS x",
                          "WITH x AS (SELECT 1) DELETE FROM runs"})
    CHECK_THROWS_AS(query_readonly(path, bad), InputError);
  CHECK(count(path, "SELECT count(*) FROM runs") == 1);
  CHECK_THROWS_AS(query_readonly((dir.path() / "absent.db").string(), "SELECT 1"), InputError);
  CHECK_THROWS_AS(runs_readonly(path, "1; DELETE FROM runs"), InputError);
  CHECK(runs_readonly(path, "variant = 'proposed'").rows.size() == 1);
  CHECK(parse_format("json") == Format::json);
  CHECK_THROWS_AS(parse_format("xml"), InputError);
}

TEST_CASE("store: merge copies runs from shards, newest wins") {
  TempDir dir;
  const std::string a = (dir.path() / "a.db").string(), b = (dir.path() / "b.db").string();
  {
    ResultsStore s(b);
    s.begin_run(make_run("shared"));
    s.add_results({{"shared", "d", "none", "mae", "c", 0.5}});
    s.set_status("shared", kStatusCompleted);
    s.begin_run(make_run("only_b"));
    s.add_results({{"only_b", "d", "none", "mae", "c", 0.25}});
  }
  ResultsStore s(a);
  s.begin_run(make_run("shared"));
  s.add_results({{"shared", "d", "none", "mae", "c", 0.75}});
  // a's "shared" started after b's finished → newer; keep a's.
  s.begin_run(make_run("only_a"));
  CHECK(s.merge_from(b) == 1);
  CHECK(s.runs().size() == 3);
  CHECK(s.results("only_b").at(0).value == 0.25);
  CHECK(s.results("shared").at(0).value == 0.75);
  CHECK(s.merge_from(b) == 0);  // idempotent
}

TEST_CASE("store: default path honours SODLAB_DB") {
  ::unsetenv("SODLAB_DB");
  CHECK(default_db_path() == "results/results.db");
  ::setenv("SODLAB_DB", "/tmp/x.db", 1);
  CHECK(default_db_path() == "/tmp/x.db");
  ::unsetenv("SODLAB_DB");
  CHECK(utc_now().size() == 24);
}
