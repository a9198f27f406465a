// The store's side of sweeps: typed, queryable parameters; claims that leave completed runs and
// this sweep's failures alone; a dead worker's runs freed at once; merges of shards.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "store/provenance.h"
#include "store/query.h"
#include "store/results_store.h"
#include "support/shared_data.h"

using namespace sodlab;
using namespace sodlab::store;
using sodlab::testing::TempDir;

namespace {

RunRecord make_run(const std::string& id, const std::string& variant) {
  RunRecord r;
  r.run_id = id;
  r.experiment = "ablations/sweep";
  r.variant = variant;
  r.profile = "smoke";
  r.config_toml = "[run]\n";
  r.host = host_name();
  return r;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  return std::get<std::int64_t>(query_readonly(db, sql).rows.at(0).at(0));
}

}  // namespace

TEST_CASE("parameters are typed: 'all runs with theta = 9' is plain SQL", "[sweep]") {
  TempDir dir;
  const std::string path = (dir.path() / "r.db").string();
  {
    ResultsStore s(path);
    s.register_planned(make_run("a", "theta=9,beta2=0.3"));
    s.register_planned(make_run("b", "theta=13,beta2=0.3"));
    s.add_params("a", {{"loss.theta", std::int64_t{9}}, {"loss.beta2", 0.3}, {"loss.kernel", std::string("paper_eq9")},
                       {"loss.use_A", true}});
    s.add_params("b", {{"loss.theta", std::int64_t{13}}, {"loss.beta2", 0.3}});
    s.add_params("a", {{"loss.theta", std::int64_t{9}}});  // again: nothing changes
    CHECK_THROWS_AS(s.add_params("zzz", {{"k", std::int64_t{1}}}), InputError);
    const auto p = s.params("a");
    REQUIRE(p.size() == 4);
    CHECK(p[0].key == "loss.beta2");
    CHECK(std::get<double>(p[0].value) == 0.3);
    CHECK(std::get<std::int64_t>(p[2].value) == 9);   // loss.theta
    CHECK(std::get<std::int64_t>(p[3].value) == 1);   // loss.use_A: booleans read back as 0/1
  }
  CHECK(count(path, "SELECT count(*) FROM run_params WHERE key = 'loss.theta' AND value = 9") == 1);
  CHECK(count(path, "SELECT count(*) FROM run_params WHERE key = 'loss.beta2' AND value = 0.3") == 2);
  CHECK(count(path, "SELECT count(*) FROM params WHERE key = 'loss.use_A' AND value = TRUE") == 1);
  CHECK(count(path, "SELECT count(*) FROM params WHERE key = 'loss.kernel' AND value = 'paper_eq9'") == 1);
}

TEST_CASE("claim policy: completed runs and this sweep's failures are left alone", "[sweep]") {
  TempDir dir;
  ResultsStore s((dir.path() / "r.db").string());
  ClaimPolicy sweep;
  sweep.take_completed = false;
  sweep.keep_failed_since = utc_now();
  s.register_planned(make_run("done", "p"));
  REQUIRE(s.claim_run(make_run("done", "p"), "host-a:1", sweep).claimed);
  s.set_status("done", kStatusCompleted);
  const ClaimResult left = s.claim_run(make_run("done", "p"), "host-b:2", sweep);
  CHECK_FALSE(left.claimed);
  CHECK(left.status == kStatusCompleted);
  CHECK(left.owner == "host-a:1");
  CHECK(s.find_run("done")->status == kStatusCompleted);  // untouched

  REQUIRE(s.claim_run(make_run("bad", "q"), "host-a:1", sweep).claimed);
  s.set_status("bad", kStatusFailed, "NaN loss");
  CHECK(s.claim_run(make_run("bad", "q"), "host-b:2", sweep).status == kStatusFailed);
  ClaimPolicy later = sweep;
  later.keep_failed_since = "2999-01-01T00:00:00.000Z";  // a failure from before this sweep is retried
  CHECK(s.claim_run(make_run("bad", "q"), "host-b:2", later).claimed);
  // The default policy (sodlab run) takes completed runs over, as before.
  CHECK(s.claim_run(make_run("done", "p"), "host-b:2").claimed);
}

TEST_CASE("a dead worker's running runs become interrupted at once", "[sweep]") {
  TempDir dir;
  ResultsStore s((dir.path() / "r.db").string());
  REQUIRE(s.claim_run(make_run("r1", "p"), "host-x:77").claimed);
  REQUIRE(s.claim_run(make_run("r2", "p"), "host-y:88").claimed);
  CHECK(s.mark_owner_interrupted("host-x:77", "worker 1 (pid 77) died by signal 9") == 1);
  const auto r1 = s.find_run("r1");
  CHECK(r1->status == kStatusInterrupted);
  CHECK(r1->error.find("signal 9") != std::string::npos);
  CHECK(s.find_run("r2")->status == kStatusRunning);
  CHECK(s.claim_run(make_run("r1", "p"), "host-z:99").claimed);  // free for the next worker
}

TEST_CASE("merge brings parameters, twice changes nothing, a newer schema is refused", "[sweep]") {
  TempDir dir;
  const std::string shard = (dir.path() / "shard.db").string(), main = (dir.path() / "main.db").string();
  {
    ResultsStore s(shard);
    REQUIRE(s.claim_run(make_run("r1", "theta=5"), "host-a:1").claimed);
    s.add_params("r1", {{"loss.theta", std::int64_t{5}}});
    s.add_results({{"r1", "sod", "none", "MAE", "pysodmetrics", 0.125}});
    s.set_status("r1", kStatusCompleted);
  }
  ResultsStore m(main);
  m.register_planned(make_run("r1", "theta=5"));  // queued in the main store, as a sweep leaves it
  CHECK(m.merge_from(shard).copied == 1);
  CHECK(m.find_run("r1")->status == kStatusCompleted);
  CHECK(m.find_run("r1")->host == host_name());  // provenance kept
  CHECK(m.params("r1").size() == 1);
  const auto rows = [&] { return count(main, "SELECT (SELECT count(*) FROM results) + (SELECT count(*) FROM params) + (SELECT count(*) FROM run_refs)"); };
  const auto before = rows();
  CHECK(m.merge_from(shard).copied == 0);
  CHECK(rows() == before);

  const std::string newer = (dir.path() / "newer.db").string();
  { ResultsStore n(newer); }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(newer.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  try {
    m.merge_from(newer);
    FAIL("a shard of a newer schema was merged");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("newer.db") != std::string::npos);
  }
  const std::string junk = (dir.path() / "junk.db").string();
  { std::ofstream(junk) << "not a database at all, just text that is long enough to be a header...."; }
  CHECK_THROWS_AS(m.merge_from(junk), InputError);
  CHECK(rows() == before);
}
