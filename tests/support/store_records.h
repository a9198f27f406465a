// For the store tests: a minimal run record, a query cell as text, and raw SQL on a database file through a plain
// connection of its own (to build old or odd databases, or to try what the store refuses).
#pragma once

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <variant>

#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::testing {

// A run of kolkin2017/table4's `proposed` variant on the smoke profile, with only the identity set.
inline store::RunRecord minimal_run(const std::string& id) {
  store::RunRecord r;
  r.run_id = id;
  r.experiment = "kolkin2017/table4";
  r.variant = "proposed";
  r.profile = "smoke";
  r.config_toml = "[run]\n";
  r.code_version = "abc";
  return r;
}

// The column `name` of row `row` of a query result, as text (integers printed, other types "").
inline std::string cell(const store::QueryResult& r, std::size_t row, const std::string& name) {
  for (std::size_t c = 0; c < r.columns.size(); ++c)
    if (r.columns[c] == name) {
      const auto& v = r.rows.at(row).at(c);
      if (v.index() == 1) return std::to_string(std::get<std::int64_t>(v));
      return v.index() == 3 ? std::get<std::string>(v) : std::string();
    }
  FAIL("no column " << name);
  return "";
}

// Runs `sql` on the file; a failing statement fails the test with SQLite's message.
inline void raw_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace sodlab::testing
