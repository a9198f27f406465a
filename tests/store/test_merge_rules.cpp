// `merge` keeps the best truth (issue 23 §2): a completed run is never replaced by a failed,
// interrupted or running copy; two completed copies that disagree are a conflict unless a side is
// picked (and recorded); a run executing here is left whole; shards are only read.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "store/query.h"
#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/store_records.h"
#include "support/tmpfs.h"

using namespace sodlab;
using namespace sodlab::store;
using sodlab::testing::count;
using sodlab::testing::minimal_run;
using sodlab::testing::read_file;
using sodlab::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A run with one result, one per-image value and one curve point, left in `status`
// ("running" = begun and never ended, as a killed task leaves it).
void add_run(ResultsStore& s, const std::string& id, const std::string& status, double mae) {
  s.begin_run(minimal_run(id));
  s.add_results({{id, "sod", "none", "mae", "pysodmetrics", mae}});
  s.add_per_image({{id, "sod", "none", "img1", "mae", "pysodmetrics", mae}});
  s.add_curves({{id, "sod", "none", "pr", 0, 0.5, mae}});
  if (status != kStatusRunning) s.set_status(id, status, status == kStatusCompleted ? "" : "killed");
}

// Child rows of run `id` in `db`: results + per_image + curves.
std::int64_t rows_of(const std::string& db, const std::string& id) {
  return count(db, "SELECT (SELECT count(*) FROM results WHERE run_id = '" + id + "') + (SELECT count(*) FROM "
                   "per_image WHERE run_id = '" + id + "') + (SELECT count(*) FROM curves WHERE run_id = '" + id + "')");
}

}  // namespace

TEST_CASE("merge: a completed run is never replaced by a failed, interrupted or running copy", "[store][merge]") {
  for (const std::string status : {kStatusFailed, kStatusInterrupted, kStatusRunning, kStatusQueued}) {
    INFO(status);
    TempDir dir;
    const std::string main = (dir.path() / "main.db").string(), shard = (dir.path() / "shard.db").string();
    {
      ResultsStore s(shard);
      if (status == kStatusQueued) s.register_planned(minimal_run("r"));
      else add_run(s, "r", status, 0.9);
    }
    ResultsStore m(main);
    add_run(m, "r", kStatusCompleted, 0.1);
    const auto merged = m.merge_from(shard);
    CHECK(merged.copied == 0);
    CHECK(merged.kept == 1);
    CHECK(m.find_run("r")->status == kStatusCompleted);
    CHECK(m.results("r").at(0).value == 0.1);
    CHECK(rows_of(main, "r") == 3);
  }
}

TEST_CASE("merge: a better status replaces the store's copy, whatever the clocks say, and says so", "[store][merge]") {
  TempDir dir;
  const std::string main = (dir.path() / "main.db").string(), shard = (dir.path() / "shard.db").string();
  {
    ResultsStore s(shard);
    add_run(s, "done_there", kStatusCompleted, 0.2);
    add_run(s, "failed_there", kStatusFailed, 0.3);
  }
  ResultsStore m(main);
  // Both store copies end after the shard's (a later wall clock), which decides nothing.
  add_run(m, "done_there", kStatusInterrupted, 0.7);
  add_run(m, "failed_there", kStatusInterrupted, 0.8);
  const auto merged = m.merge_from(shard);
  CHECK(merged.copied == 1);  // completed > interrupted
  CHECK(merged.kept == 1);    // failed = interrupted: the store's stays
  CHECK(m.find_run("done_there")->status == kStatusCompleted);
  CHECK(m.results("done_there").at(0).value == 0.2);
  CHECK(m.find_run("failed_there")->status == kStatusInterrupted);
  CHECK(count(main, "SELECT count(*) FROM merges WHERE run_id = 'done_there' AND decision = 'replaced' AND "
                    "detail LIKE '%interrupted%completed%'") == 1);
  const auto again = m.merge_from(shard);  // idempotent
  CHECK(again.copied == 0);
  CHECK(again.kept == 2);
}

TEST_CASE("merge: two completed copies that disagree are a conflict, settled only by --prefer", "[store][merge]") {
  TempDir dir;
  const std::string main = (dir.path() / "main.db").string(), shard = (dir.path() / "shard.db").string();
  {
    ResultsStore s(shard);
    add_run(s, "same", kStatusCompleted, 0.25);
    add_run(s, "differs", kStatusCompleted, 0.5);
    add_run(s, "new_one", kStatusCompleted, 0.125);
  }
  ResultsStore m(main);
  add_run(m, "same", kStatusCompleted, 0.25);
  add_run(m, "differs", kStatusCompleted, 0.625);
  const auto before = count(main, "SELECT count(*) FROM runs") * 1000 + count(main, "SELECT count(*) FROM results");
  try {
    m.merge_from(shard);
    FAIL("a conflict was merged");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CHECK(what.find("differs") != std::string::npos);
    CHECK(what.find("mae on sod") != std::string::npos);
    CHECK(what.find("the store has 0.625, the shard 0.5") != std::string::npos);
    CHECK(what.find("--prefer") != std::string::npos);
  }
  CHECK(count(main, "SELECT count(*) FROM runs") * 1000 + count(main, "SELECT count(*) FROM results") == before);
  CHECK_FALSE(m.find_run("new_one"));  // nothing changed, not even the uncontested run

  const auto kept = m.merge_from(shard, ResultsStore::MergePrefer::store);
  CHECK(kept.settled == 1);
  CHECK(kept.copied == 1);  // new_one
  CHECK(m.results("differs").at(0).value == 0.625);
  CHECK(count(main, "SELECT count(*) FROM merges WHERE run_id = 'differs' AND decision = 'kept (--prefer store)'") == 1);
  const auto taken = m.merge_from(shard, ResultsStore::MergePrefer::shard);
  CHECK(taken.settled == 1);
  CHECK(m.results("differs").at(0).value == 0.5);
  CHECK(count(main, "SELECT count(*) FROM merges WHERE run_id = 'differs' AND decision = 'taken (--prefer shard)'") == 1);
  CHECK(count(main, "SELECT count(*) FROM merges WHERE run_id = 'same'") == 0);
}

TEST_CASE("merge: a run executing here keeps its own row, provenance unmixed", "[store][merge]") {
  TempDir dir;
  const std::string main = (dir.path() / "main.db").string(), shard = (dir.path() / "shard.db").string();
  {
    ResultsStore s(shard);
    add_run(s, "r", kStatusCompleted, 0.2);
  }
  ResultsStore m(main);
  REQUIRE(m.claim_run(minimal_run("r"), "thishost:4242").claimed);
  const RunRecord before = *m.find_run("r");
  const auto merged = m.merge_from(shard);
  REQUIRE(merged.deferred.size() == 1);
  CHECK(merged.deferred[0].find("thishost:4242") != std::string::npos);
  const RunRecord after = *m.find_run("r");
  CHECK(after.status == kStatusRunning);
  CHECK(after.owner == before.owner);
  CHECK(after.started_at == before.started_at);
  CHECK(after.ended_at.empty());
  CHECK(m.results("r").empty());
  CHECK(count(main, "SELECT count(*) FROM merges WHERE run_id = 'r' AND decision = 'deferred'") == 1);
  // Once it has ended (here: failed), the shard's completed copy is the better truth.
  m.set_status("r", kStatusFailed, "out of memory");
  CHECK(m.merge_from(shard).copied == 1);
  CHECK(m.find_run("r")->status == kStatusCompleted);
}

TEST_CASE("merge: shards are only read, a refused file stays byte for byte, no side files appear", "[store][merge]") {
  TempDir dir;
  const std::string main = (dir.path() / "main.db").string();
  ResultsStore m(main);
  // A foreign SQLite file in rollback-journal mode: refused, untouched (not switched to WAL).
  const fs::path foreign = dir.path() / "foreign.db";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(foreign.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER); INSERT INTO photos VALUES (1)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string foreign_bytes = read_file(foreign);
  try {
    m.merge_from(foreign.string());
    FAIL("a foreign database was merged");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find(foreign.string()) != std::string::npos);
    CHECK(std::string(e.what()).find("not a sodlab results database") != std::string::npos);
  }
  CHECK(read_file(foreign) == foreign_bytes);
  // A good shard (checkpointed, closed): merged, left byte for byte, no -wal / -shm beside it.
  const fs::path shard = dir.path() / "shard.db";
  {
    ResultsStore s(shard.string());
    add_run(s, "r", kStatusCompleted, 0.2);
  }
  const std::string shard_bytes = read_file(shard);
  CHECK(m.merge_from(shard.string()).copied == 1);
  CHECK(read_file(shard) == shard_bytes);
  for (const char* side : {"-wal", "-shm", "-journal"}) {
    CHECK_FALSE(fs::exists(shard.string() + side));
    CHECK_FALSE(fs::exists(foreign.string() + side));
  }
  for (const auto& e : fs::directory_iterator(dir.path()))  // the copy aside is gone too
    CHECK(e.path().filename().string().find(".merge-") == std::string::npos);
}

TEST_CASE("merge: a shard on a read-only mount merges", "[store][merge]") {
  TempDir dir;
  sodlab::testing::Tmpfs mount(dir.path() / "ro", "4m");
  if (!mount.mounted()) SODLAB_SKIP("cannot mount a tmpfs here (" + mount.why_not() + "); needs root");
  const fs::path shard = mount.path() / "shard.db";
  {
    ResultsStore s(shard.string());
    add_run(s, "r", kStatusCompleted, 0.2);
  }
  REQUIRE(mount.remount("ro"));
  ResultsStore m((dir.path() / "main.db").string());
  CHECK(m.merge_from(shard.string()).copied == 1);
  CHECK(m.results("r").at(0).value == 0.2);
}
