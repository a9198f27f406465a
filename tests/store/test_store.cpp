#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "store/provenance.h"
#include "store/query.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"
#include "support/shared_data.h"
#include "support/store_records.h"

using namespace sodlab;
using namespace sodlab::store;
using sodlab::testing::cell;
using sodlab::testing::raw_exec;
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

RunFilter by_status(const std::string& status) {
  RunFilter f;
  f.status = status;
  return f;
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
  raw_exec(old, "CREATE TABLE schema_version (version INTEGER NOT NULL);" + detail::migrations()[0] +
                    "; INSERT INTO schema_version VALUES (1); INSERT INTO runs (run_id, experiment, "
                    "variant, profile, fold, seed, config_toml, status) VALUES ('r1', 'e', 'v', 'p', "
                    "-1, 0, 'x', 'running')");
  {
    ResultsStore s(old);
    CHECK(s.stored_schema_version() == ResultsStore::schema_version());
    CHECK(s.find_run("r1"));
    CHECK(s.run_refs("r1").size() == 1);
  }
  CHECK(count(old, "SELECT count(*) FROM sqlite_master WHERE name='run_results'") == 1);
  for (const char* name : {"run_refs", "run_overview"})
    CHECK(count(path, std::string("SELECT count(*) FROM sqlite_master WHERE name='") + name + "'") == 1);

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

  // runs(filter)
  s.begin_run(make_run("run-b", "proposed", 1));
  CHECK(s.runs().size() == 2);
  RunFilter f;
  f.variant = "proposed";
  REQUIRE(s.runs(f).size() == 1);
  CHECK(s.runs(f)[0].run_id == "run-b");
}

TEST_CASE("store: typed run filters bind their values") {
  TempDir dir;
  ResultsStore s((dir.path() / "results.db").string());
  RunRecord a = make_run("a", "it's", 0);  // a quote in a value is data, not SQL
  RunRecord b = make_run("b", "proposed", 1);
  b.profile = "small";
  RunRecord c = make_run("c", "proposed", 2);
  c.experiment = "other/table1";
  for (const auto& r : {a, b, c}) s.begin_run(r);
  s.set_status("b", kStatusCompleted);

  RunFilter f;
  f.variant = "it's";
  REQUIRE(s.runs(f).size() == 1);
  CHECK(s.runs(f)[0].run_id == "a");
  f = {};
  f.variant = "x' OR '1'='1";
  CHECK(s.runs(f).empty());
  f = {};
  f.experiment = "kolkin2017/table4";
  CHECK(s.runs(f).size() == 2);
  f.profile = "small";
  REQUIRE(s.runs(f).size() == 1);
  CHECK(s.runs(f)[0].run_id == "b");
  CHECK(s.runs(by_status(kStatusCompleted)).size() == 1);
  CHECK(s.runs(by_status(kStatusRunning)).size() == 2);
  f = {};
  f.run_ids = {"c", "a", "nope"};
  REQUIRE(s.runs(f).size() == 2);
  f.variant = "proposed";
  CHECK(s.runs(f).size() == 1);
  CHECK(s.find_run("a' OR '1'='1") == std::nullopt);
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
  CHECK(s.runs(by_status(kStatusInterrupted)).size() == 1);
  CHECK(s.runs(by_status(kStatusInterrupted))[0].run_id == "stale");
  CHECK(s.runs(by_status(kStatusRunning)).size() == 1);
  CHECK(cell(runs_readonly(path, {}, "run_id = 'stale'", 60), 0, "status") == "interrupted");
  CHECK(cell(runs_readonly(path, by_status(kStatusInterrupted), "", 60), 0, "run_id") == "stale");
  // A read-only store reports the same effective status.
  CHECK(ResultsStore(path, OpenMode::read_only, 60).find_run("stale")->status == "interrupted");
  // A queued run (no heartbeat yet) is never reported as interrupted.
  s.register_planned(make_run("planned"));
  CHECK(s.find_run("planned")->status == "queued");
  CHECK(count(path, "SELECT count(*) FROM runs WHERE status = 'running'") == 2);  // stored unchanged
  CHECK(s.mark_stale_interrupted() == 1);
  CHECK(count(path, "SELECT count(*) FROM runs WHERE status = 'running'") == 1);
  CHECK(s.find_run("planned")->status == "queued");
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
  CHECK_THROWS_AS(runs_readonly(path, {}, "1; DELETE FROM runs"), InputError);
  CHECK_THROWS_AS(runs_readonly(path, {}, "run_id = ?"), InputError);
  CHECK_THROWS_WITH(runs_readonly(path, {}, "no_such_column = 1"), Catch::Contains(path));
  CHECK(runs_readonly(path, {}, "variant = 'proposed'").rows.size() == 1);
  CHECK(count(path, "SELECT count(*) FROM runs") == 1);
  // Every error names the database.
  CHECK_THROWS_WITH(query_readonly(path, "SELECT * FROM nosuch"), Catch::Contains(path));
  CHECK_THROWS_WITH(query_readonly(path, "DELETE FROM runs"), Catch::Contains(path));
  CHECK(parse_format("json") == Format::json);
  CHECK_THROWS_AS(parse_format("xml"), InputError);
}

TEST_CASE("store: merge copies new runs and leaves a run executing here alone") {
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
  // a's "shared" is executing here (running, fresh heartbeat): left alone, whatever the shard holds.
  s.begin_run(make_run("only_a"));
  const auto merged = s.merge_from(b);
  CHECK(merged.copied == 1);
  CHECK(merged.deferred.size() == 1);
  CHECK(s.runs().size() == 3);
  CHECK(s.results("only_b").at(0).value == 0.25);
  CHECK(s.results("shared").at(0).value == 0.75);
  CHECK(s.merge_from(b).copied == 0);  // idempotent
}

TEST_CASE("store: default path honours SODLAB_DB") {
  ::unsetenv("SODLAB_DB");
  CHECK(default_db_path() == "results/results.db");
  ::setenv("SODLAB_DB", "/tmp/x.db", 1);
  CHECK(default_db_path() == "/tmp/x.db");
  ::unsetenv("SODLAB_DB");
  CHECK(utc_now().size() == 24);
}

TEST_CASE("store: planned runs are queued until they begin") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore s(path);
  s.begin_run(make_run("started"));
  RunRecord planned = make_run("planned");
  planned.overrides = "data.input_size=32";
  s.register_planned(planned);
  auto got = s.find_run("planned");
  REQUIRE(got);
  CHECK(got->status == "queued");
  CHECK(got->started_at.empty());
  CHECK(got->heartbeat_at.empty());
  CHECK(got->overrides == "data.input_size=32");
  CHECK(s.find_run("started")->overrides.empty());
  // Not started yet: listed after the started ones.
  auto all = s.runs();
  REQUIRE(all.size() == 2);
  CHECK(all[1].run_id == "planned");
  CHECK(s.runs(by_status(kStatusQueued)).size() == 1);

  // Registering again leaves an existing run (any status) as it is.
  s.register_planned(make_run("started"));
  CHECK(s.find_run("started")->status == "running");
  CHECK(!s.find_run("started")->started_at.empty());

  s.begin_run(planned);
  got = s.find_run("planned");
  CHECK(got->status == "running");
  CHECK(!got->started_at.empty());
  CHECK(got->overrides == "data.input_size=32");
  s.set_status("planned", kStatusCompleted);
  s.register_planned(planned);
  CHECK(s.find_run("planned")->status == "completed");

  // sodlab runs shows the overrides and the refs.
  const auto listed = runs_readonly(path, by_status(kStatusCompleted));
  REQUIRE(listed.rows.size() == 1);
  CHECK(cell(listed, 0, "overrides") == "data.input_size=32");
  CHECK(cell(listed, 0, "refs") == "1");
  CHECK(render(listed, Format::table).find("overrides") != std::string::npos);
}

TEST_CASE("store: run refs record which experiments refer to a run") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore s(path);
  RunRecord r = make_run("shared");
  s.begin_run(r);
  // begin_run adds the run's own ref; the same ref again is ignored.
  REQUIRE(s.run_refs("shared").size() == 1);
  s.begin_run(r);
  s.add_run_ref({"shared", r.experiment, r.variant, r.profile, "", ""});
  REQUIRE(s.run_refs("shared").size() == 1);
  const RunRef own = s.run_refs("shared")[0];
  CHECK(own.experiment == "kolkin2017/table4");
  CHECK(own.first_seen_at.size() == 24);

  s.add_run_ref({"shared", "kolkin2017/table1", "proposed", "smoke", "", ""});
  s.add_run_ref({"shared", "kolkin2017/table1", "proposed", "smoke", "train.epochs=2", ""});
  CHECK(s.run_refs("shared").size() == 3);
  CHECK(s.run_refs("nope").empty());
  CHECK_THROWS_WITH(s.add_run_ref({"ghost", "e", "v", "p", "", ""}), Catch::Contains(path));

  const auto of = s.run_refs_of("kolkin2017/table1", "smoke");
  REQUIRE(of.size() == 2);
  CHECK(of[0].overrides.empty());
  CHECK(of[1].overrides == "train.epochs=2");
  CHECK(s.run_refs_of("kolkin2017/table1", "small").empty());

  // latest_completed_profile: through the refs, completed runs only, latest ended.
  CHECK(!s.latest_completed_profile("kolkin2017/table1"));
  s.set_status("shared", kStatusCompleted);
  CHECK(s.latest_completed_profile("kolkin2017/table1") == std::optional<std::string>("smoke"));
  RunRecord later = make_run("later");
  later.profile = "small";
  s.begin_run(later);
  CHECK(s.latest_completed_profile("kolkin2017/table4") == std::optional<std::string>("smoke"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s.set_status("later", kStatusCompleted);
  CHECK(s.latest_completed_profile("kolkin2017/table4") == std::optional<std::string>("small"));
  CHECK(!s.latest_completed_profile("it' OR 1=1 --"));

  // Refs go with the runs: merged (union) and deleted with the run.
  const std::string shard = (dir.path() / "shard.db").string();
  {
    ResultsStore b(shard);
    b.begin_run(make_run("shared"));
    b.add_run_ref({"shared", "kolkin2017/table5", "proposed", "smoke", "", ""});
    b.begin_run(make_run("only_b"));
  }
  s.merge_from(shard);
  CHECK(s.run_refs("shared").size() == 4);
  CHECK(s.run_refs("only_b").size() == 1);
  raw_exec(path, "PRAGMA foreign_keys=ON; DELETE FROM runs WHERE run_id = 'only_b'");
  CHECK(s.run_refs("only_b").empty());
}

TEST_CASE("store: a version 2 database migrates, gets one ref per run, no owners, no attempts") {
  TempDir dir;
  const std::string path = (dir.path() / "old.db").string();
  // Build version 2 (before run_refs) by hand with the earlier migrations, and rows as that code
  // wrote them.
  const auto& m = detail::migrations();
  REQUIRE(m.size() >= 4);
  constexpr std::size_t kOldVersion = 2;
  std::string sql = "PRAGMA journal_mode=WAL; CREATE TABLE schema_version (version INTEGER NOT NULL);";
  for (std::size_t v = 0; v < kOldVersion; ++v)
    sql += m[v] + "; INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ");";
  for (const char* id : {"old1", "old2"})
    sql += std::string("INSERT INTO runs (run_id, experiment, variant, profile, fold, seed, config_toml, "
                       "status, started_at, ended_at) VALUES ('") + id +
           "', 'kolkin2017/table4', 'proposed', 'smoke', -1, 0, 'x', 'completed', "
           "'2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00.000Z');";
  sql += "INSERT INTO results VALUES ('old1', 'sod', 'none', 'mae', 'pysodmetrics', 0.5);";
  raw_exec(path, sql);

  // Read-only openers refuse (they never migrate) and say what does.
  CHECK_THROWS_AS(ResultsStore(path, OpenMode::read_only), InputError);
  CHECK_THROWS_WITH(ResultsStore(path, OpenMode::read_only),
                    Catch::Contains(path) && Catch::Contains("sodlab run"));
  CHECK_THROWS_WITH(runs_readonly(path), Catch::Contains("sodlab run"));
  CHECK(count(path, "SELECT count(*) FROM runs") == 2);  // raw queries still read it
  CHECK(count(path, "SELECT max(version) FROM schema_version") == static_cast<std::int64_t>(kOldVersion));

  {
    ResultsStore s(path);
    CHECK(s.stored_schema_version() == ResultsStore::schema_version());
    REQUIRE(s.runs().size() == 2);
    CHECK(s.find_run("old1")->overrides.empty());
    CHECK(s.find_run("old1")->status == "completed");
    CHECK(s.results("old1").size() == 1);
    for (const char* id : {"old1", "old2"}) {
      const auto refs = s.run_refs(id);
      REQUIRE(refs.size() == 1);
      CHECK(refs[0].experiment == "kolkin2017/table4");
      CHECK(refs[0].variant == "proposed");
      CHECK(refs[0].profile == "smoke");
      CHECK(refs[0].overrides.empty());
      CHECK(refs[0].first_seen_at == "2024-01-01T00:00:00.000Z");
      CHECK(s.find_run(id)->owner.empty());
      CHECK(s.find_run(id)->attempt_of.empty());
    }
    CHECK(s.latest_completed_profile("kolkin2017/table4") == std::optional<std::string>("smoke"));
  }
  CHECK(count(path, "SELECT count(*) FROM run_results WHERE overrides = ''") == 1);
  CHECK(runs_readonly(path).rows.size() == 2);
  CHECK(cell(runs_readonly(path), 0, "attempt_of").empty());
  ResultsStore ro(path, OpenMode::read_only);
  CHECK(ro.runs().size() == 2);

  // A newer database than this code: both modes refuse, naming the file.
  raw_exec(path, "INSERT INTO schema_version VALUES (" + std::to_string(ResultsStore::schema_version() + 1) + ")");
  CHECK_THROWS_WITH(ResultsStore(path), Catch::Contains(path) && Catch::Contains("newer"));
  CHECK_THROWS_WITH(ResultsStore(path, OpenMode::read_only), Catch::Contains(path) && Catch::Contains("newer"));
}

TEST_CASE("store: read-only opening never creates or writes") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  const std::string missing = (dir.path() / "sub" / "absent.db").string();
  CHECK_THROWS_AS(ResultsStore(missing, OpenMode::read_only), InputError);
  CHECK_THROWS_WITH(ResultsStore(missing, OpenMode::read_only), Catch::Contains(missing));
  CHECK(!std::filesystem::exists(dir.path() / "sub"));

  {
    ResultsStore w(path);
    w.begin_run(make_run("r1"));
    w.add_results({{"r1", "sod300", "none", "mae", "pysodmetrics", 0.125}});
  }
  ResultsStore ro(path, OpenMode::read_only);
  CHECK(ro.mode() == OpenMode::read_only);
  CHECK(ro.stored_schema_version() == ResultsStore::schema_version());
  REQUIRE(ro.find_run("r1"));
  CHECK(ro.results("r1").at(0).value == 0.125);
  CHECK(ro.run_refs("r1").size() == 1);
  CHECK_THROWS_AS(ro.begin_run(make_run("r2")), RuntimeFailure);
  CHECK_THROWS_WITH(ro.begin_run(make_run("r2")), Catch::Contains(path));
  CHECK_THROWS_AS(ro.register_planned(make_run("r2")), RuntimeFailure);
  CHECK_THROWS_AS(ro.set_status("r1", kStatusFailed), RuntimeFailure);
  CHECK_THROWS_AS(ro.heartbeat("r1"), RuntimeFailure);
  CHECK_THROWS_AS(ro.mark_stale_interrupted(), RuntimeFailure);
  CHECK_THROWS_AS(ro.add_results({{"r1", "d", "none", "mae", "c", 1.0}}), RuntimeFailure);
  CHECK_THROWS_AS(ro.add_run_ref({"r1", "e", "v", "p", "", ""}), RuntimeFailure);
  CHECK_THROWS_AS(ro.merge_from(path), RuntimeFailure);
  CHECK(ro.find_run("r1")->status == "running");

  // A reader beside a writer sees its commits (WAL: neither blocks the other).
  ResultsStore w(path);
  w.set_status("r1", kStatusCompleted);
  CHECK(ro.find_run("r1")->status == "completed");

  // Not a database / not a sodlab store.
  const std::string garbage = (dir.path() / "garbage.db").string();
  std::ofstream(garbage) << std::string(4096, 'x');
  CHECK_THROWS_WITH(ResultsStore(garbage, OpenMode::read_only), Catch::Contains(garbage));
  const std::string foreign = (dir.path() / "foreign.db").string();
  raw_exec(foreign, "CREATE TABLE x(a)");
  CHECK_THROWS_WITH(ResultsStore(foreign, OpenMode::read_only),
                    Catch::Contains(foreign) && Catch::Contains("not a sodlab"));
}

namespace {

// A WAL-mode store with one run, closed cleanly (no -wal / -shm left beside it).
void make_wal_store(const std::string& path) {
  ResultsStore s(path);
  s.begin_run(make_run("r1"));
  s.add_results({{"r1", "sod300", "none", "mae", "pysodmetrics", 0.25}});
  s.set_status("r1", kStatusCompleted);
}

void check_reads(const std::string& path) {
  ResultsStore ro(path, OpenMode::read_only);
  REQUIRE(ro.find_run("r1"));
  CHECK(ro.find_run("r1")->status == "completed");
  CHECK(ro.results("r1").at(0).value == 0.25);
  CHECK(count(path, "SELECT count(*) FROM runs") == 1);
  CHECK(runs_readonly(path).rows.size() == 1);
}

}  // namespace

TEST_CASE("store: a WAL database whose side files cannot be created is read as immutable") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  make_wal_store(path);
  CHECK(std::get<std::string>(query_readonly(path, "PRAGMA journal_mode").rows[0][0]) == "wal");

  // Going straight to immutable=1.
  {
    const detail::Connection db = detail::open_readonly(path, /*immutable=*/true);
    detail::Stmt s(db.get(), "SELECT status FROM runs WHERE run_id = 'r1'");
    REQUIRE(s.step());
    CHECK(s.text(0) == "completed");
    CHECK(sqlite3_db_readonly(db.get(), "main") == 1);
  }
  // A URI that is immutable from the start opens too (what the fallback reopens with).
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(detail::file_uri(path, "mode=ro&immutable=1").c_str(), &raw,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK);
    detail::Connection db(raw);
    detail::Stmt s(db.get(), "SELECT count(*) FROM results");
    REQUIRE(s.step());
    CHECK(s.integer(0) == 1);
  }
  // The side file cannot be opened (something else holds its name; works even as root): the
  // first read fails with SQLITE_CANTOPEN and the store falls back to immutable=1.
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  std::filesystem::create_directory(path + "-wal");
  {  // a plain read-only connection cannot read it
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(detail::file_uri(path, "mode=ro").c_str(), &raw,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK);
    detail::Connection db(raw);
    CHECK((sqlite3_exec(raw, "SELECT count(*) FROM runs", nullptr, nullptr, nullptr) & 0xff) == SQLITE_CANTOPEN);
  }
  check_reads(path);
  std::filesystem::remove(path + "-wal");

  // A non-empty WAL that cannot be used is refused rather than silently skipped.
  const std::string copy_dir = (dir.path() / "copy").string();
  std::filesystem::create_directory(copy_dir);
  const std::string copy = copy_dir + "/results.db";
  {
    ResultsStore w(path);
    w.set_status("r1", kStatusFailed, "later change, only in the WAL");
    std::filesystem::copy_file(path, copy);
    std::filesystem::copy_file(path + "-wal", copy + "-wal");
    REQUIRE(std::filesystem::file_size(copy + "-wal") > 0);
  }
  // -shm a dangling symlink: SQLite opens side files with O_NOFOLLOW, so it fails even for root.
  std::filesystem::create_symlink(copy_dir + "/nowhere", copy + "-shm");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(detail::file_uri(copy, "mode=ro").c_str(), &raw,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) == SQLITE_OK);
    detail::Connection db(raw);
    CHECK((sqlite3_exec(raw, "SELECT count(*) FROM runs", nullptr, nullptr, nullptr) & 0xff) == SQLITE_CANTOPEN);
  }
  CHECK_THROWS_AS(ResultsStore(copy, OpenMode::read_only), InputError);
  CHECK_THROWS_WITH(ResultsStore(copy, OpenMode::read_only),
                    Catch::Contains(copy) && Catch::Contains("checkpoint"));
  CHECK_THROWS_WITH(query_readonly(copy, "SELECT 1"), Catch::Contains("checkpoint"));
  // With an empty WAL (everything checkpointed) the immutable reader misses nothing.
  std::filesystem::resize_file(copy + "-wal", 0);
  CHECK(ResultsStore(copy, OpenMode::read_only).find_run("r1")->status == "completed");

  // Paths that need percent-encoding in a URI.
  const std::string odd = (dir.path() / "a?b#c%d.db").string();
  make_wal_store(odd);
  check_reads(odd);
}

TEST_CASE("store: a WAL database in a directory the user cannot write is still readable") {
  TempDir dir;
  const std::filesystem::path locked = dir.path() / "locked";
  std::filesystem::create_directory(locked);
  const std::string path = (locked / "results.db").string();
  make_wal_store(path);
  REQUIRE(!std::filesystem::exists(path + "-wal"));
  std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                           std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                                           std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  struct Restore {
    std::filesystem::path p;
    ~Restore() { std::filesystem::permissions(p, std::filesystem::perms::owner_all); }
  } restore{locked};
  if (::access(locked.c_str(), W_OK) == 0)
    SODLAB_SKIP("running as root, chmod 0555 does not stop writes; the immutable fallback is tested "
                "by the previous test case");
  check_reads(path);
  CHECK(!std::filesystem::exists(path + "-wal"));
}

TEST_CASE("store: version 4 adds runs.owner and runs.attempt_of to a version 3 database") {
  TempDir dir;
  const std::string path = (dir.path() / "v3.db").string();
  const auto& m = detail::migrations();
  REQUIRE(m.size() >= 4);
  std::string sql = "PRAGMA journal_mode=WAL; CREATE TABLE schema_version (version INTEGER NOT NULL);";
  for (std::size_t v = 0; v < 3; ++v)
    sql += m[v] + "; INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ");";
  sql += "INSERT INTO runs (run_id, experiment, variant, profile, fold, seed, config_toml, status, "
         "started_at, heartbeat_at) VALUES ('r3', 'e', 'v', 'p', -1, 0, 'x', 'running', "
         "strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now'));"
         "INSERT INTO run_refs VALUES ('r3', 'e', 'v', 'p', '', '2024-01-01T00:00:00.000Z');";
  raw_exec(path, sql);
  ResultsStore s(path);
  CHECK(s.stored_schema_version() == ResultsStore::schema_version());
  REQUIRE(s.find_run("r3"));
  CHECK(s.find_run("r3")->owner.empty());
  CHECK(s.find_run("r3")->attempt_of.empty());
  CHECK(count(path, "SELECT count(*) FROM runs WHERE owner IS NULL AND attempt_of IS NULL") == 1);
  // Begun by an older sodlab (no owner) and still heartbeating: not taken over.
  const ClaimResult c = s.claim_run(make_run("r3"), "host:1");
  CHECK(!c.claimed);
  CHECK(c.owner.empty());
}

TEST_CASE("store: a run is claimed by one process at a time") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore a(path), b(path);  // two connections, as two processes would have
  const RunRecord r = make_run("r1");

  const ClaimResult first = a.claim_run(r, "host-a:1");
  CHECK(first.claimed);
  CHECK(first.owner == "host-a:1");
  auto got = b.find_run("r1");
  REQUIRE(got);
  CHECK(got->status == "running");
  CHECK(got->owner == "host-a:1");
  CHECK(b.run_refs("r1").size() == 1);  // what begin_run does, too
  CHECK(a.claim_run(r, "host-a:1").claimed);  // the holder itself may claim again
  a.add_results({{"r1", "sod300", "none", "mae", "pysodmetrics", 0.125}});

  // A fresh running run held by another owner: refused, naming the holder; nothing changes.
  const std::string before = b.find_run("r1")->started_at;
  const ClaimResult second = b.claim_run(r, "host-b:2");
  CHECK(!second.claimed);
  CHECK(second.owner == "host-a:1");
  CHECK(second.heartbeat_age_seconds >= 0);
  CHECK(second.heartbeat_age_seconds < 300);
  CHECK(b.find_run("r1")->owner == "host-a:1");
  CHECK(b.find_run("r1")->started_at == before);
  CHECK(b.results("r1").size() == 1);

  // Once the holder's heartbeat is stale the run is taken over (and reset like begin_run).
  ResultsStore quick(path, /*stale_seconds=*/0.05);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK(!b.claim_run(r, "host-b:2").claimed);  // stale after 300 s only, for this connection
  const ClaimResult taken = quick.claim_run(r, "host-b:2");
  CHECK(taken.claimed);
  CHECK(taken.owner == "host-b:2");
  CHECK(a.find_run("r1")->owner == "host-b:2");
  CHECK(a.results("r1").empty());
  CHECK(!a.claim_run(r, "host-a:1").claimed);  // fresh again, held by b

  // A run begun without a claim (begin_run: no owner) and heartbeating counts as another's.
  a.begin_run(make_run("legacy"));
  CHECK(a.find_run("legacy")->owner.empty());
  const ClaimResult legacy = b.claim_run(make_run("legacy"), "host-b:2");
  CHECK(!legacy.claimed);
  CHECK(legacy.owner.empty());

  // Completed, failed, interrupted and queued runs can be claimed.
  for (const char* status : {kStatusCompleted, kStatusFailed, kStatusInterrupted}) {
    const RunRecord x = make_run(std::string("done_") + status);
    REQUIRE(a.claim_run(x, "host-a:1").claimed);
    a.set_status(x.run_id, status);
    const ClaimResult c = b.claim_run(x, "host-b:2");
    CHECK(c.claimed);
    CHECK(b.find_run(x.run_id)->status == "running");
    CHECK(b.find_run(x.run_id)->owner == "host-b:2");
  }
  a.register_planned(make_run("planned"));
  CHECK(b.claim_run(make_run("planned"), "host-b:2").claimed);
  CHECK(a.find_run("planned")->status == "running");
  CHECK(!a.find_run("planned")->started_at.empty());

  CHECK_THROWS_AS(a.claim_run(r, ""), InputError);
  RunRecord self = make_run("self");
  self.attempt_of = "self";
  CHECK_THROWS_AS(a.claim_run(self, "host-a:1"), InputError);
  CHECK_THROWS_AS(ResultsStore(path, OpenMode::read_only).claim_run(r, "x:1"), RuntimeFailure);
  CHECK(process_owner() == host_name() + ":" + std::to_string(::getpid()));
}

TEST_CASE("store: two processes claiming the same runs at once never both get one") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  { ResultsStore s(path); }
  constexpr int kRuns = 40;
  auto claimer = [&] {
    ResultsStore s(path);
    const std::string me = process_owner();  // the forked child has its own pid
    int won = 0;
    for (int i = 0; i < kRuns; ++i) won += s.claim_run(make_run("race" + std::to_string(i)), me).claimed;
    return won;
  };
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int won = 0;
    try {
      won = claimer();
    } catch (...) {
      ::_exit(255);
    }
    ::_exit(won);
  }
  const int here = claimer();
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != 255);
  CHECK(here + WEXITSTATUS(status) == kRuns);
  CHECK(count(path, "SELECT count(*) FROM runs WHERE owner IS NOT NULL") == kRuns);
}

TEST_CASE("store: a redo attempt replaces its run only when promoted after completing") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  ResultsStore s(path);
  // The recorded run.
  REQUIRE(s.claim_run(make_run("run"), "host:1").claimed);
  s.add_epoch({"run", "stage1", 1, 0.5, std::nullopt, 1e-3, 10.0});
  s.add_epoch({"run", "stage1", 2, 0.4, std::nullopt, 1e-3, 10.0});
  s.add_results({{"run", "sod300", "none", "mae", "pysodmetrics", 0.5}});
  s.add_per_image({{"run", "sod300", "none", "img1", "mae", "pysodmetrics", 0.5}});
  s.add_curves({{"run", "sod300", "none", "pr", 0, 0.0, 1.0}});
  s.add_timing({"run", "inference", 2.0, 10, "cpu"});
  s.add_artifact({"run", "checkpoint", "runs/run/ckpt.pt", "aa", 1});
  s.set_status("run", kStatusCompleted);
  const RunRecord old_run = *s.find_run("run");

  // The redo attempt runs under its own id.
  RunRecord attempt = make_run("run~redo");
  attempt.attempt_of = "run";
  attempt.code_version = "def456";
  REQUIRE(s.claim_run(attempt, "host:2").claimed);
  CHECK(s.find_run("run~redo")->attempt_of == "run");
  s.add_run_ref({"run~redo", "kolkin2017/table5", "proposed", "smoke", "", ""});
  s.add_epoch({"run~redo", "stage1", 1, 0.3, 0.35, 1e-3, 9.0});
  s.add_results({{"run~redo", "sod300", "none", "mae", "pysodmetrics", 0.25},
                 {"run~redo", "sod300", "none", "sm", "pysodmetrics", 0.75}});
  s.add_per_image({{"run~redo", "sod300", "none", "img2", "mae", "pysodmetrics", 0.25}});
  s.add_curves({{"run~redo", "sod300", "none", "pr", 0, 0.5, 0.5},
                {"run~redo", "sod300", "none", "pr", 1, 1, 0}});
  s.add_timing({"run~redo", "inference", 1.0, 10, "cpu"});
  s.add_artifact({"run~redo", "checkpoint", "runs/run~redo/ckpt.pt", "bb", 2});

  // Meanwhile the run keeps its results, and tables built on run_results see only those.
  CHECK(s.results("run").at(0).value == 0.5);
  CHECK(count(path, "SELECT count(*) FROM run_results") == 1);
  const auto listed = runs_readonly(path, {}, "attempt_of = 'run'");
  REQUIRE(listed.rows.size() == 1);
  CHECK(cell(listed, 0, "run_id") == "run~redo");
  CHECK(cell(listed, 0, "owner") == "host:2");
  CHECK(render(listed, Format::table).find("attempt_of") != std::string::npos);

  auto check_old_rows_intact = [&] {
    CHECK(s.results("run").size() == 1);
    CHECK(s.results("run").at(0).value == 0.5);
    CHECK(s.epochs("run").size() == 2);
    CHECK(s.per_image("run").at(0).image == "img1");
    CHECK(s.curves("run").size() == 1);
    CHECK(s.timings("run").at(0).seconds == 2.0);
    CHECK(s.artifacts("run").at(0).sha256 == "aa");
    CHECK(s.find_run("run")->status == "completed");
    CHECK(s.find_run("run")->code_version == "abc123");
    CHECK(s.find_run("run")->ended_at == old_run.ended_at);
  };

  // Not completed yet: refused, naming both ids.
  CHECK_THROWS_AS(s.promote_attempt("run~redo", "run"), InputError);
  CHECK_THROWS_WITH(s.promote_attempt("run~redo", "run"),
                    Catch::Contains("'run~redo'") && Catch::Contains("'run'") && Catch::Contains(path));
  check_old_rows_intact();
  s.set_status("run~redo", kStatusCompleted);

  // A failure in the middle of the promotion rolls all of it back.
  raw_exec(path, "CREATE TRIGGER fail_promote BEFORE DELETE ON runs WHEN old.run_id = 'run~redo' "
                 "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  CHECK_THROWS_WITH(s.promote_attempt("run~redo", "run"), Catch::Contains("injected failure"));
  check_old_rows_intact();
  CHECK(s.results("run~redo").size() == 2);
  raw_exec(path, "DROP TRIGGER fail_promote");

  // Other ids refused.
  CHECK_THROWS_AS(s.promote_attempt("run~redo", "other"), InputError);
  CHECK_THROWS_AS(s.promote_attempt("ghost", "run"), InputError);
  CHECK_THROWS_AS(s.promote_attempt("run", "run"), InputError);
  s.begin_run(make_run("plain"));
  s.set_status("plain", kStatusCompleted);
  CHECK_THROWS_WITH(s.promote_attempt("plain", "run"), Catch::Contains("not a redo attempt"));
  check_old_rows_intact();

  s.promote_attempt("run~redo", "run");
  CHECK(!s.find_run("run~redo"));
  const auto got = s.find_run("run");
  REQUIRE(got);
  CHECK(got->status == "completed");
  CHECK(got->code_version == "def456");
  CHECK(got->owner == "host:2");
  CHECK(got->attempt_of.empty());
  CHECK(got->experiment == old_run.experiment);
  const auto res = s.results("run");
  REQUIRE(res.size() == 2);
  CHECK(res[0].value == 0.25);
  CHECK(res[1].metric == "sm");
  REQUIRE(s.epochs("run").size() == 1);
  CHECK(*s.epochs("run")[0].val_loss == 0.35);
  REQUIRE(s.per_image("run").size() == 1);
  CHECK(s.per_image("run")[0].image == "img2");
  CHECK(s.curves("run").size() == 2);
  CHECK(s.timings("run").at(0).seconds == 1.0);
  REQUIRE(s.artifacts("run").size() == 1);
  CHECK(s.artifacts("run")[0].sha256 == "bb");
  CHECK(s.run_refs("run").size() == 2);  // its own + the attempt's extra ref
  for (const auto& t : detail::child_tables())
    CHECK(count(path, "SELECT count(*) FROM " + t + " WHERE run_id = 'run~redo'") == 0);
  CHECK(count(path, "SELECT count(*) FROM run_refs WHERE run_id = 'run~redo'") == 0);
  CHECK(count(path, "SELECT count(*) FROM run_results") == 2);
  CHECK(query_readonly(path, "PRAGMA foreign_key_check").rows.empty());

  // A failed attempt cannot be promoted; the run keeps what it has, the attempt stays visible.
  RunRecord failed = make_run("run~redo2");
  failed.attempt_of = "run";
  REQUIRE(s.claim_run(failed, "host:3").claimed);
  s.add_results({{"run~redo2", "sod300", "none", "mae", "pysodmetrics", 0.0625}});
  s.set_status("run~redo2", kStatusFailed, "NaN loss");
  CHECK_THROWS_WITH(s.promote_attempt("run~redo2", "run"),
                    Catch::Contains("'run~redo2'") && Catch::Contains("failed"));
  REQUIRE(s.results("run").size() == 2);
  CHECK(s.results("run")[0].value == 0.25);
  CHECK(count(path, "SELECT count(*) FROM run_results") == 2);
  const auto failed_listed = runs_readonly(path, by_status(kStatusFailed));
  REQUIRE(failed_listed.rows.size() == 1);
  CHECK(cell(failed_listed, 0, "run_id") == "run~redo2");
  CHECK(cell(failed_listed, 0, "attempt_of") == "run");

  // Never promoted from under a process executing the run itself.
  REQUIRE(s.claim_run(make_run("busy"), "other:1").claimed);
  RunRecord busy_attempt = make_run("busy~redo");
  busy_attempt.attempt_of = "busy";
  REQUIRE(s.claim_run(busy_attempt, "host:2").claimed);
  s.set_status("busy~redo", kStatusCompleted);
  CHECK_THROWS_WITH(s.promote_attempt("busy~redo", "busy"),
                    Catch::Contains("being executed by other:1") && Catch::Contains(path));
  CHECK(s.find_run("busy~redo"));
  s.set_status("busy", kStatusInterrupted);
  CHECK_NOTHROW(s.promote_attempt("busy~redo", "busy"));
  CHECK(s.find_run("busy")->status == "completed");

  // A run whose row is gone is recreated from its attempt.
  RunRecord orphan = make_run("gone~redo");
  orphan.attempt_of = "gone";
  s.begin_run(orphan);
  s.add_results({{"gone~redo", "sod300", "none", "mae", "pysodmetrics", 0.5}});
  s.set_status("gone~redo", kStatusCompleted);
  s.promote_attempt("gone~redo", "gone");
  REQUIRE(s.find_run("gone"));
  CHECK(s.find_run("gone")->attempt_of.empty());
  CHECK(s.results("gone").size() == 1);
  CHECK(s.run_refs("gone").size() == 1);

  // Merging carries owner and attempt_of.
  const std::string merged = (dir.path() / "merged.db").string();
  ResultsStore m(merged);
  m.merge_from(path);
  CHECK(m.find_run("run~redo2")->attempt_of == "run");
  CHECK(m.find_run("run~redo2")->owner == "host:3");
}

namespace {

// Copy of `from` with page `page` (1-based; page 1 keeps its 100-byte file header) overwritten
// with deterministic garbage.
void corrupt_page(const std::string& bytes, std::size_t page_size, std::size_t page, const std::string& to) {
  std::string out = bytes;
  const std::size_t begin = (page - 1) * page_size + (page == 1 ? 100 : 0);
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(page);
  for (std::size_t i = begin; i < page * page_size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<char>(x & 0xff);
  }
  std::ofstream(to, std::ios::binary | std::ios::trunc) << out;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether the file holds exactly `bytes` (a bool, so a failure does not print the binary).
bool same_bytes(const std::string& path, const std::string& bytes) { return file_bytes(path) == bytes; }

}  // namespace

TEST_CASE("store: a corrupt database is refused on every open and never written") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  {
    ResultsStore s(path);
    for (int r = 0; r < 4; ++r) {
      const std::string id = "run" + std::to_string(r);
      s.begin_run(make_run(id, "v", r));
      std::vector<ResultRow> rows;
      std::vector<PerImageRow> images;
      for (int k = 0; k < 100; ++k) {
        rows.push_back({id, "sod300", "none", "metric" + std::to_string(k), "pysodmetrics", k * 0.01});
        images.push_back({id, "sod300", "none", "image" + std::to_string(k), "mae", "pysodmetrics", k * 0.01});
      }
      s.add_results(rows);
      s.add_per_image(images);
      s.set_status(id, kStatusCompleted);
    }
  }
  REQUIRE(!std::filesystem::exists(path + "-wal"));  // checkpointed on close: all in the file
  const std::string intact = file_bytes(path);
  const std::size_t page_size = static_cast<std::size_t>(count(path, "PRAGMA page_size"));
  const std::size_t pages = intact.size() / page_size;
  REQUIRE(pages >= 10);
  REQUIRE(count(path, "PRAGMA freelist_count") == 0);  // every page is in use, so any garbage shows
  CHECK(std::get<std::string>(query_readonly(path, "PRAGMA quick_check").rows.at(0).at(0)) == "ok");

  auto refused = [](const std::string& db) {
    CHECK_THROWS_AS(ResultsStore(db), InputError);
    CHECK_THROWS_WITH(ResultsStore(db), Catch::Contains(db) && Catch::Contains("corrupt") &&
                                            Catch::Contains("restore from a backup") &&
                                            Catch::Contains("--db"));
    CHECK_THROWS_WITH(ResultsStore(db, OpenMode::read_only), Catch::Contains(db) && Catch::Contains("corrupt"));
    CHECK_THROWS_WITH(query_readonly(db, "SELECT 1"), Catch::Contains(db) && Catch::Contains("corrupt"));
    CHECK_THROWS_WITH(runs_readonly(db), Catch::Contains(db) && Catch::Contains("corrupt"));
    std::ostringstream out;
    CHECK_THROWS_WITH(query_stream(db, "SELECT 1", Format::csv, out), Catch::Contains("corrupt"));
    CHECK(out.str().empty());
  };

  // A page in the middle of the file.
  const std::string corrupt = (dir.path() / "corrupt.db").string();
  corrupt_page(intact, page_size, pages / 2, corrupt);
  const std::string corrupted_bytes = file_bytes(corrupt);
  refused(corrupt);
  // Nothing was written into it (no journal-mode change, no migration, no checkpoint).
  CHECK(same_bytes(corrupt, corrupted_bytes));
  {  // and the writer's own merges refuse a corrupt shard
    ResultsStore main_db((dir.path() / "main.db").string());
    CHECK_THROWS_WITH(main_db.merge_from(corrupt), Catch::Contains(corrupt) && Catch::Contains("corrupt"));
    CHECK(main_db.runs().empty());
  }
  CHECK(same_bytes(corrupt, corrupted_bytes));

  // Every other page too, the schema page (past the file header) included.
  for (std::size_t page = 1; page <= pages; ++page) {
    INFO("page " << page << " of " << pages);
    const std::string each = (dir.path() / ("page" + std::to_string(page) + ".db")).string();
    corrupt_page(intact, page_size, page, each);
    CHECK_THROWS_WITH(ResultsStore(each), Catch::Contains(each) && Catch::Contains("corrupt"));
    CHECK_THROWS_WITH(ResultsStore(each, OpenMode::read_only), Catch::Contains(each) && Catch::Contains("corrupt"));
  }

  // A corrupt file whose WAL still holds committed transactions: refused, and neither the file
  // nor its WAL is touched (no checkpoint when the refused connection closes).
  const std::filesystem::path wal_dir = dir.path() / "wal";
  std::filesystem::create_directory(wal_dir);
  const std::string with_wal = (wal_dir / "results.db").string();
  {
    ResultsStore w(path);
    w.set_status("run0", kStatusFailed, "a change only in the WAL");
    std::filesystem::copy_file(path, with_wal);
    std::filesystem::copy_file(path + "-wal", with_wal + "-wal");
  }
  REQUIRE(std::filesystem::file_size(with_wal + "-wal") > 0);
  const auto per_image_root =
      static_cast<std::size_t>(count(path, "SELECT rootpage FROM sqlite_master WHERE name = 'per_image'"));
  corrupt_page(file_bytes(with_wal), page_size, per_image_root, with_wal);  // a page the WAL lacks
  const std::string main_bytes = file_bytes(with_wal), wal_bytes = file_bytes(with_wal + "-wal");
  CHECK_THROWS_WITH(ResultsStore(with_wal), Catch::Contains(with_wal) && Catch::Contains("corrupt"));
  CHECK(same_bytes(with_wal, main_bytes));
  CHECK(same_bytes(with_wal + "-wal", wal_bytes));

  // A file that is not SQLite at all keeps its own message.
  const std::string garbage = (dir.path() / "garbage.db").string();
  std::ofstream(garbage) << std::string(4096, 'x');
  CHECK_THROWS_WITH(ResultsStore(garbage), Catch::Contains(garbage) && Catch::Contains("not a usable SQLite") &&
                                               !Catch::Contains("corrupt"));
  CHECK_THROWS_WITH(ResultsStore(garbage, OpenMode::read_only),
                    Catch::Contains(garbage) && !Catch::Contains("corrupt"));
  // The intact original still opens.
  CHECK(ResultsStore(path, OpenMode::read_only).runs().size() == 4);
}

TEST_CASE("store: query output streams row by row, with limits") {
  TempDir dir;
  const std::string path = (dir.path() / "results.db").string();
  {
    ResultsStore s(path);
    for (int r = 0; r < 3; ++r) s.begin_run(make_run("run" + std::to_string(r), "v", r));
  }
  const std::string cte = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 200000) ";
  const std::string rows = cte + "SELECT x FROM c";
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };

  std::ostringstream csv;
  StreamStats st = query_stream(path, rows, Format::csv, csv);  // csv default: every row
  CHECK(st.rows == 200000);
  CHECK(!st.truncated);
  CHECK(lines(csv.str()) == 200001);
  CHECK(csv.str().rfind("x\n1\n2\n", 0) == 0);
  CHECK(csv.str().substr(csv.str().size() - 8) == "\n200000\n");

  std::ostringstream json;
  st = query_stream(path, rows, Format::json, json, 0);
  CHECK(st.rows == 200000);
  CHECK(json.str().rfind("[\n", 0) == 0);
  CHECK(json.str().substr(json.str().size() - 2) == "]\n");
  const auto parsed = nlohmann::json::parse(json.str());
  REQUIRE(parsed.is_array());
  REQUIRE(parsed.size() == 200000);
  CHECK(parsed[199999]["x"] == 200000);

  // Rows reach the stream as SQLite returns them: a statement that fails at its last row has
  // written every row before it.
  const std::string fails_last =
      cte + "SELECT CASE WHEN x < 200000 THEN x ELSE json('{' || x) END AS x FROM c";
  std::ostringstream partial;
  CHECK_THROWS_AS(query_stream(path, fails_last, Format::csv, partial, 0), InputError);
  CHECK(lines(partial.str()) == 200000);  // header + 199999 rows
  std::ostringstream partial_json;
  CHECK_THROWS_WITH(query_stream(path, fails_last, Format::json, partial_json, 0), Catch::Contains(path));
  const std::string objects = partial_json.str();
  CHECK(std::count(objects.begin(), objects.end(), '{') == 199999);
  CHECK_THROWS_AS(query_readonly(path, fails_last), InputError);

  // --limit cuts.
  std::ostringstream cut;
  st = query_stream(path, rows, Format::csv, cut, 10);
  CHECK(st.rows == 10);
  CHECK(st.truncated);
  CHECK(cut.str() == "x\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
  std::ostringstream cut_json;
  query_stream(path, rows, Format::json, cut_json, 3);
  CHECK(nlohmann::json::parse(cut_json.str()).size() == 3);
  // The table buffers at most its limit (1000 by default) and says when it cut.
  std::ostringstream table;
  st = query_stream(path, rows, Format::table, table);
  CHECK(st.rows == kTableRowLimit);
  CHECK(st.truncated);
  CHECK(lines(table.str()) == kTableRowLimit + 3);
  CHECK(table.str().find("(1000 rows shown; more rows: use --limit or --format csv)") != std::string::npos);
  std::ostringstream exact;
  st = query_stream(path, "SELECT 1 AS one UNION ALL SELECT 2", Format::table, exact, 2);
  CHECK(!st.truncated);
  CHECK(exact.str().find("(2 rows)\n") != std::string::npos);
  CHECK(exact.str().find("more rows") == std::string::npos);

  // JSON: keys in column order (a repeated name keeps its last value), strings escaped, NULL.
  std::ostringstream keys;
  query_stream(path, "SELECT 2 AS b, 1 AS a, 'q\"' || char(10) || 'x' AS s, NULL AS n, 0.5 AS a",
               Format::json, keys);
  CHECK(keys.str().find("\"b\": 2,\n    \"s\"") != std::string::npos);
  const auto k = nlohmann::json::parse(keys.str());
  CHECK(k[0]["a"] == 0.5);
  CHECK(k[0]["s"] == "q\"\nx");
  CHECK(k[0]["n"].is_null());
  std::ostringstream none;
  query_stream(path, "SELECT 1 AS x WHERE 0", Format::json, none);
  CHECK(nlohmann::json::parse(none.str()).empty());
  CHECK(render(query_readonly(path, "SELECT 1 AS x WHERE 0"), Format::json) == "[\n]\n");

  // The same statements are refused as by query_readonly.
  std::ostringstream refused;
  CHECK_THROWS_AS(query_stream(path, "DELETE FROM runs", Format::csv, refused), InputError);
  CHECK_THROWS_AS(query_stream(path, "WITH x AS (SELECT 1) DELETE FROM runs", Format::csv, refused), InputError);
  CHECK(refused.str().empty());

  // A stream that cannot be written stops the query (naming the database).
  std::ostringstream broken;
  broken.setstate(std::ios::badbit);
  CHECK_THROWS_WITH(query_stream(path, rows, Format::csv, broken), Catch::Contains(path));

  // sodlab runs streams the same way.
  std::ostringstream listed;
  st = runs_stream(path, {}, "", 300, Format::csv, listed, 2);
  CHECK(st.rows == 2);
  CHECK(st.truncated);
  CHECK(lines(listed.str()) == 3);
  CHECK(listed.str().find("attempt_of") != std::string::npos);
  std::ostringstream all_runs;
  CHECK(runs_stream(path, {}, "seed >= 1", 300, Format::json, all_runs).rows == 2);
  CHECK(nlohmann::json::parse(all_runs.str())[0]["run_id"] == "run1");
}

TEST_CASE("store: a run whose owner process on this host is gone (kill -9) can be claimed at once") {
  sodlab::testing::TempDir dir;
  store::ResultsStore s((dir.path() / "r.db").string());
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);  // the pid no longer exists
  store::RunRecord r;
  r.run_id = "r1";
  r.experiment = "e";
  r.config_toml = "x";
  const std::string dead = store::host_name() + ":" + std::to_string(child);
  REQUIRE(s.claim_run(r, dead).claimed);  // heartbeat fresh, owner dead
  CHECK(s.claim_run(r, store::process_owner()).claimed);
  // A live owner on this host, or any owner on another host, still holds its run.
  store::RunRecord r2 = r;
  r2.run_id = "r2";
  REQUIRE(s.claim_run(r2, store::process_owner()).claimed);
  CHECK_FALSE(s.claim_run(r2, "otherhost:" + std::to_string(child)).claimed);
  store::RunRecord r3 = r;
  r3.run_id = "r3";
  REQUIRE(s.claim_run(r3, "otherhost:1").claimed);
  CHECK_FALSE(s.claim_run(r3, store::process_owner()).claimed);
}
