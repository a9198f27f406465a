// Read-only SQL on a results store, for `sodlab query` and `sodlab runs`.
//
// The database is opened with SQLITE_OPEN_READONLY (plus PRAGMA query_only), and a statement
// is accepted only if SQLite reports it read-only (sqlite3_stmt_readonly) and it is a single
// statement starting with SELECT, WITH, VALUES, EXPLAIN or PRAGMA <name> (no assignment).
// Anything else → InputError. A missing database file → InputError naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sodlab::store {

// NULL → monostate.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

QueryResult query_readonly(const std::string& db_path, const std::string& sql);

// `sodlab runs`: the runs table (effective status: stale 'running' → 'interrupted') filtered
// by an SQL condition, without config_toml; ordered by started_at.
QueryResult runs_readonly(const std::string& db_path, const std::string& where = "",
                          double stale_seconds = 300.0);

enum class Format { table, csv, json };
Format parse_format(const std::string& name);  // InputError naming the valid formats
// Renders a result: aligned text table, RFC 4180 CSV (header row), or a JSON array of objects.
std::string render(const QueryResult& result, Format format);

}  // namespace sodlab::store
