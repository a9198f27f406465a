// Read-only SQL on a results store, for `sodlab query` and `sodlab runs`.
//
// The database is opened like a read-only ResultsStore (detail::open_readonly: URI mode=ro,
// PRAGMA query_only, immutable=1 when the WAL side files cannot be created), and a statement
// is accepted only if SQLite reports it read-only (sqlite3_stmt_readonly) and it is a single
// statement starting with SELECT, WITH, VALUES, EXPLAIN or PRAGMA <name> (no assignment).
// Anything else → InputError. Every error names the database file (a missing one too).
//
// query_stream()/runs_stream() write rows to the stream as SQLite steps them (CSV, JSON), so
// memory stays flat however many rows there are; query_readonly()/runs_readonly() collect the
// whole result in memory (for small results and tests). An SQL error after some rows were
// written throws with the output incomplete.
#pragma once

#include <cstdint>
#include <iosfwd>
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

// `sodlab runs`: the view run_overview (runs without config_toml, plus overrides, attempt_of,
// owner, `refs` (the number of run_refs), `tags` (comma-separated, sorted) and `notes` (" | "
// between notes, oldest first)) with the effective status (stale 'running' → 'interrupted'),
// filtered by `filter` (bound parameters; `tags`: runs carrying all of them) AND the user's SQL
// condition `where` ("" = none; it must be one read-only expression); ordered by started_at
// (queued runs last), run_id. Unlike query_readonly, the database must be at this code's schema
// version, or version 7 (before tags: tags and notes NULL).
QueryResult runs_readonly(const std::string& db_path, const RunFilter& filter = {},
                          const std::string& where = "", double stale_seconds = 300.0);

enum class Format { table, csv, json };
Format parse_format(const std::string& name);  // InputError naming the valid formats
// Renders a result: aligned text table, RFC 4180 CSV (header row), or a JSON array of objects
// (keys in column order).
std::string render(const QueryResult& result, Format format);

// Row limits of the streaming functions: 0 = all rows; kDefaultLimit = the format's default,
// all rows for CSV / JSON and kTableRowLimit for the table (which is buffered to align it).
inline constexpr std::int64_t kDefaultLimit = -1;
inline constexpr std::int64_t kTableRowLimit = 1000;

struct StreamStats {
  std::int64_t rows = 0;   // rows written
  bool truncated = false;  // the limit cut further rows (the table then says so in its footer)
};

// query_readonly() written to `out` as `format`: CSV and JSON ("[\n", one object per row,
// "]\n") are written row by row as sqlite3_step returns them; the table buffers at most `limit`
// rows and, when cut, ends "(N rows shown; more rows: use --limit or --format csv)".
StreamStats query_stream(const std::string& db_path, const std::string& sql, Format format,
                         std::ostream& out, std::int64_t limit = kDefaultLimit);

// runs_readonly() written to `out` like query_stream().
StreamStats runs_stream(const std::string& db_path, const RunFilter& filter, const std::string& where,
                        double stale_seconds, Format format, std::ostream& out,
                        std::int64_t limit = kDefaultLimit);

}  // namespace sodlab::store
