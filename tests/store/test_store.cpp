#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "store/provenance.h"
#include "store/query.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"
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

// Raw SQL on a file through a plain connection (to build old or odd databases).
void raw_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// The column `name` of row `row` of a query result, as text.
std::string cell(const QueryResult& r, std::size_t row, const std::string& name) {
  for (std::size_t c = 0; c < r.columns.size(); ++c)
    if (r.columns[c] == name) {
      const auto& v = r.rows.at(row).at(c);
      if (v.index() == 1) return std::to_string(std::get<std::int64_t>(v));
      return v.index() == 3 ? std::get<std::string>(v) : std::string();
    }
  FAIL("no column " << name);
  return "";
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

TEST_CASE("store: a database at the previous schema version migrates and gets one ref per run") {
  TempDir dir;
  const std::string path = (dir.path() / "old.db").string();
  // Build version N-1 by hand with the earlier migrations, and rows as that code wrote them.
  const auto& m = detail::migrations();
  REQUIRE(m.size() >= 3);
  std::string sql = "PRAGMA journal_mode=WAL; CREATE TABLE schema_version (version INTEGER NOT NULL);";
  for (std::size_t v = 0; v + 1 < m.size(); ++v)
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
  CHECK(count(path, "SELECT max(version) FROM schema_version") == ResultsStore::schema_version() - 1);

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
    }
    CHECK(s.latest_completed_profile("kolkin2017/table4") == std::optional<std::string>("smoke"));
  }
  CHECK(count(path, "SELECT count(*) FROM run_results WHERE overrides = ''") == 1);
  CHECK(runs_readonly(path).rows.size() == 2);
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
