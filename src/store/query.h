// Read-only SQL on a results store, for `sodlab query` and `sodlab runs`.
//
// The database is opened like a read-only ResultsStore (detail::open_readonly: URI mode=ro,
// PRAGMA query_only, immutable=1 when the WAL side files cannot be created), and a statement
// is accepted only if SQLite reports it read-only (sqlite3_stmt_readonly) and it is a single
// statement starting with SELECT, WITH, VALUES, EXPLAIN or PRAGMA <name> (no assignment).
// Anything else → InputError. Every error names the database file (a missing one too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "store/results_store.h"

namespace sodlab::store {

// NULL → monostate.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

QueryResult query_readonly(const std::string& db_path, const std::string& sql);

// `sodlab runs`: the view run_overview (runs without config_toml, plus overrides and `refs`,
// the number of run_refs) with the effective status (stale 'running' → 'interrupted'),
// filtered by `filter` (bound parameters) AND the user's SQL condition `where` ("" = none; it
// must be one read-only expression); ordered by started_at (queued runs last), run_id.
// Unlike query_readonly, the database must be at this code's schema version.
QueryResult runs_readonly(const std::string& db_path, const RunFilter& filter = {},
                          const std::string& where = "", double stale_seconds = 300.0);

enum class Format { table, csv, json };
Format parse_format(const std::string& name);  // InputError naming the valid formats
// Renders a result: aligned text table, RFC 4180 CSV (header row), or a JSON array of objects.
std::string render(const QueryResult& result, Format format);

}  // namespace sodlab::store
