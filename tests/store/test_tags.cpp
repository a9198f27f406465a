// Tags and notes on runs (issue 28 §4): stored beside the run, listed by `runs`, filtered by tag,
// never changing the run's row; united by merge; a version-7 store (before them) still reads.
#include <catch2/catch.hpp>

#include <string>

#include "core/error.h"
#include "store/query.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "support/shared_data.h"
#include "support/store_records.h"

using namespace sodlab;
using namespace sodlab::store;
using sodlab::testing::cell;
using sodlab::testing::minimal_run;
using sodlab::testing::raw_exec;
using sodlab::testing::TempDir;

namespace {

// The runs row as text (every column but heartbeat-dependent ones), to see it unchanged.
std::string run_row(const std::string& db, const std::string& id) {
  const auto r = query_readonly(db, "SELECT run_id, experiment, variant, profile, fold, seed, config_toml, status, "
                                    "started_at, ended_at, overrides, attempt_of FROM runs WHERE run_id = '" + id + "'");
  std::string s;
  for (const auto& v : r.rows.at(0)) s += (v.index() == 3 ? std::get<std::string>(v) : std::to_string(v.index())) + "|";
  return s;
}

}  // namespace

TEST_CASE("tags: added, removed, listed and filtered, the run's row untouched", "[store][tags]") {
  TempDir dir;
  const std::string path = (dir.path() / "r.db").string();
  {
    ResultsStore s(path);
    s.begin_run(minimal_run("r1"));
    s.begin_run(minimal_run("r2"));
    s.set_status("r1", kStatusCompleted);
  }
  const std::string before = run_row(path, "r1");
  {
    ResultsStore s(path);
    s.add_tags("r1", {"baseline", "paper-fig"});
    s.add_tags("r1", {"baseline"});  // again: no duplicate
    s.add_tags("r2", {"baseline"});
    s.add_note("r1", "lr too high in stage 2?");
    s.add_note("r1", "checked: fine");
    CHECK(s.tags("r1") == std::vector<std::string>{"baseline", "paper-fig"});
    REQUIRE(s.notes("r1").size() == 2);
    CHECK(s.notes("r1")[0].text == "lr too high in stage 2?");
    CHECK(s.notes("r2").empty());
    // Errors name what is wrong.
    CHECK_THROWS_WITH(s.add_tags("nope", {"x"}), Catch::Contains("no run 'nope'") && Catch::Contains(path));
    CHECK_THROWS_WITH(s.add_note("nope", "x"), Catch::Contains("no run 'nope'"));
    CHECK_THROWS_AS(s.add_tags("r1", {"a b"}), InputError);
    CHECK_THROWS_AS(s.add_tags("r1", {"a,b"}), InputError);
    CHECK_THROWS_AS(s.add_tags("r1", {""}), InputError);
    CHECK_THROWS_AS(s.add_note("r1", "  "), InputError);
    CHECK(s.remove_tags("r2", {"baseline", "absent"}) == 1);
    CHECK(s.tags("r2").empty());
    RunFilter f;
    f.tags = {"baseline"};
    REQUIRE(s.runs(f).size() == 1);
    CHECK(s.runs(f)[0].run_id == "r1");
    f.tags = {"baseline", "nothing"};
    CHECK(s.runs(f).empty());
  }
  CHECK(run_row(path, "r1") == before);  // identity, status, config: unchanged
  RunFilter f;
  f.tags = {"paper-fig"};
  const auto listed = runs_readonly(path, f);
  REQUIRE(listed.rows.size() == 1);
  CHECK(cell(listed, 0, "tags") == "baseline,paper-fig");
  CHECK(cell(listed, 0, "notes") == "lr too high in stage 2? | checked: fine");
  ResultsStore ro(path, OpenMode::read_only);
  CHECK_THROWS_AS(ro.add_tags("r1", {"x"}), RuntimeFailure);
}

TEST_CASE("tags and notes survive merge, united like refs", "[store][tags][merge]") {
  TempDir dir;
  const std::string main_db = (dir.path() / "main.db").string(), shard = (dir.path() / "shard.db").string();
  {
    ResultsStore s(shard);
    s.begin_run(minimal_run("a"));
    s.set_status("a", kStatusCompleted);
    s.begin_run(minimal_run("b"));
    s.set_status("b", kStatusCompleted);
    s.add_tags("a", {"from-shard"});
    s.add_tags("b", {"b-tag"});
    s.add_note("b", "shard note");
  }
  {
    ResultsStore s(main_db);
    s.begin_run(minimal_run("a"));
    s.set_status("a", kStatusCompleted);
    s.add_tags("a", {"from-main"});
    s.merge_from(shard);
    CHECK(s.tags("a") == std::vector<std::string>{"from-main", "from-shard"});  // kept run: tags united
    CHECK(s.tags("b") == std::vector<std::string>{"b-tag"});                    // copied run: its tags
    REQUIRE(s.notes("b").size() == 1);
    CHECK(s.notes("b")[0].text == "shard note");
    s.merge_from(shard);  // idempotent
    CHECK(s.tags("a").size() == 2);
    CHECK(s.notes("b").size() == 1);
  }
}

TEST_CASE("tags: a version-7 store reads without tags, and migrates to them", "[store][tags]") {
  TempDir dir;
  const std::string path = (dir.path() / "v7.db").string();
  const auto& m = detail::migrations();
  REQUIRE(static_cast<int>(m.size()) == detail::kTagsVersion);
  std::string sql = "PRAGMA journal_mode=WAL; CREATE TABLE schema_version (version INTEGER NOT NULL);";
  for (int v = 0; v < detail::kOldestReadable; ++v)
    sql += m[v] + "; INSERT INTO schema_version VALUES (" + std::to_string(v + 1) + ");";
  sql += "INSERT INTO runs (run_id, experiment, variant, profile, fold, seed, config_toml, status, started_at) "
         "VALUES ('old', 'kolkin2017/table4', 'proposed', 'smoke', -1, 0, 'x', 'completed', '2024-01-01T00:00:00.000Z');";
  raw_exec(path, sql);
  {
    ResultsStore ro(path, OpenMode::read_only);  // readable, not migrated
    CHECK(ro.stored_schema_version() == detail::kOldestReadable);
    CHECK(ro.tags("old").empty());
    CHECK(ro.notes("old").empty());
    RunFilter f;
    f.tags = {"x"};
    CHECK(ro.runs(f).empty());
    CHECK(ro.runs().size() == 1);
  }
  const auto listed = runs_readonly(path);
  REQUIRE(listed.rows.size() == 1);
  CHECK(cell(listed, 0, "tags").empty());
  RunFilter f;
  f.tags = {"x"};
  CHECK(runs_readonly(path, f).rows.empty());
  {
    ResultsStore s(path);  // a writing open migrates
    CHECK(s.stored_schema_version() == detail::kTagsVersion);
    s.add_tags("old", {"kept"});
    CHECK(s.tags("old") == std::vector<std::string>{"kept"});
  }
}
