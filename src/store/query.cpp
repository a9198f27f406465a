#include "store/query.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace sodlab::store {
namespace {

std::string first_keyword(const std::string& sql) {
  std::size_t i = 0;
  for (;;) {  // skip whitespace and comments
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.compare(i, 2, "--") == 0) {
      i = sql.find('\n', i);
      if (i == std::string::npos) return "";
    } else if (sql.compare(i, 2, "/*") == 0) {
      i = sql.find("*/", i);
      if (i == std::string::npos) return "";
      i += 2;
    } else {
      break;
    }
  }
  std::string k;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
    k += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return k;
}

bool only_trailing_noise(const char* tail) {
  std::string rest(tail ? tail : "");
  for (;;) {
    rest.erase(0, rest.find_first_not_of(" \t\r\n;"));
    if (rest.compare(0, 2, "--") == 0) {
      const auto nl = rest.find('\n');
      rest = nl == std::string::npos ? "" : rest.substr(nl);
    } else if (rest.compare(0, 2, "/*") == 0) {
      const auto end = rest.find("*/");
      rest = end == std::string::npos ? "" : rest.substr(end + 2);
    } else {
      return rest.empty();
    }
  }
}

using StmtPtr = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

// Receives the result of a statement: its columns once, then rows until row() returns false.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void begin(const std::vector<std::string>& columns) = 0;
  virtual bool row(std::vector<SqlValue>&& values) = 0;  // false = stop stepping
  virtual void end() {}
};

// Runs one statement with text parameters bound to its ? placeholders, handing each row to
// `sink` as sqlite3_step returns it; errors are InputError "<path>: <what>: <sqlite message>".
void run_query(sqlite3* db, const std::string& path, const std::string& what, const std::string& sql,
               const std::vector<std::string>& params, RowSink& sink) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, &tail) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_finalize(raw);
    throw InputError(path + ": " + what + ": " + msg);
  }
  StmtPtr stmt(raw, sqlite3_finalize);
  if (!raw) throw InputError(path + ": " + what + ": empty statement");
  if (!only_trailing_noise(tail)) throw InputError(path + ": " + what + ": give exactly one statement");
  for (std::size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(raw, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()),
                      SQLITE_TRANSIENT);
  const int n = sqlite3_column_count(raw);
  std::vector<std::string> columns;
  for (int c = 0; c < n; ++c) columns.emplace_back(sqlite3_column_name(raw, c));
  sink.begin(columns);
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw InputError(path + ": " + what + ": " + sqlite3_errmsg(db));
    std::vector<SqlValue> row;
    row.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(raw, c)) {
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, c))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(raw, c)); break;
        default: {
          const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
          row.emplace_back(std::string(t ? t : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, c))));
        }
      }
    }
    if (!sink.row(std::move(row))) break;
  }
  sink.end();
}

// Collects the whole result (query_readonly, runs_readonly).
class Collect : public RowSink {
 public:
  void begin(const std::vector<std::string>& columns) override { result.columns = columns; }
  bool row(std::vector<SqlValue>&& values) override {
    result.rows.push_back(std::move(values));
    return true;
  }
  QueryResult result;
};

std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

std::string cell_text(const SqlValue& v, bool compact) {
  switch (v.index()) {
    case 0: return compact ? "NULL" : "";
    case 1: return std::to_string(std::get<std::int64_t>(v));
    case 2: {
      if (!compact) return shortest(std::get<double>(v));
      std::ostringstream os;
      os.precision(6);
      os << std::get<double>(v);
      return os.str();
    }
    default: return std::get<std::string>(v);
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Writes rows to a stream as they arrive (CSV, JSON) or buffers them for the aligned table;
// stops asking for rows once `limit` (> 0) rows are written and one more exists.
class Writer : public RowSink {
 public:
  Writer(Format format, std::ostream& out, std::int64_t limit, std::string db_path = "")
      : format_(format), out_(out), limit_(limit), db_path_(std::move(db_path)) {
    if (limit_ < 0) limit_ = format == Format::table ? kTableRowLimit : 0;
  }
  void begin(const std::vector<std::string>& columns) override {
    table_.columns = columns;
    if (format_ == Format::csv) {
      std::string line;
      for (std::size_t c = 0; c < columns.size(); ++c) line += (c ? "," : "") + csv_field(columns[c]);
      write(line + "\n");
    } else if (format_ == Format::json) {
      // Keys: JSON-escaped column names; a repeated name keeps its last column.
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const bool repeated = std::find(columns.begin() + static_cast<std::ptrdiff_t>(c) + 1, columns.end(),
                                        columns[c]) != columns.end();
        json_keys_.push_back(repeated ? "" : "    " + json_string(columns[c]) + ": ");
      }
      write("[\n");
    }
  }
  bool row(std::vector<SqlValue>&& values) override {
    if (limit_ > 0 && stats.rows == limit_) {
      stats.truncated = true;
      return false;
    }
    ++stats.rows;
    if (format_ == Format::table) {
      table_.rows.push_back(std::move(values));
      return true;
    }
    std::string line;
    if (format_ == Format::csv) {
      for (std::size_t c = 0; c < values.size(); ++c)
        line += (c ? "," : "") + csv_field(cell_text(values[c], false));
      line += "\n";
    } else {
      line = stats.rows > 1 ? ",\n  {" : "  {";
      bool first = true;
      for (std::size_t c = 0; c < values.size(); ++c) {
        if (json_keys_[c].empty()) continue;
        line += (first ? "\n" : ",\n") + json_keys_[c] + json_value(values[c]);
        first = false;
      }
      line += first ? "}" : "\n  }";
    }
    write(line);
    return true;
  }
  void end() override {
    if (format_ == Format::json) write(stats.rows > 0 ? "\n]\n" : "]\n");
    if (format_ == Format::table) write(render_table(table_, stats.truncated));
    out_.flush();
  }
  StreamStats stats;

 private:
  static std::string json_string(const std::string& s) {
    // Invalid UTF-8 (text SQLite holds as bytes) is replaced, not a failure.
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  static std::string json_value(const SqlValue& v) {
    switch (v.index()) {
      case 0: return "null";
      case 1: return std::to_string(std::get<std::int64_t>(v));
      case 2: return nlohmann::json(std::get<double>(v)).dump();  // shortest; inf/NaN → null
      default: return json_string(std::get<std::string>(v));
    }
  }
  void write(const std::string& text) {
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out_)
      throw RuntimeFailure((db_path_.empty() ? "" : db_path_ + ": ") +
                           "cannot write the query output (disk full, or the reader went away)");
  }
  static std::string render_table(const QueryResult& r, bool truncated) {
    std::ostringstream os;
    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> width(r.columns.size());
    for (std::size_t c = 0; c < r.columns.size(); ++c) width[c] = r.columns[c].size();
    for (const auto& row : r.rows) {
      cells.emplace_back();
      for (std::size_t c = 0; c < row.size(); ++c) {
        std::string t = cell_text(row[c], true);
        std::replace(t.begin(), t.end(), '\n', ' ');
        if (t.size() > 60) t = t.substr(0, 57) + "...";
        width[c] = std::max(width[c], t.size());
        cells.back().push_back(t);
      }
    }
    auto line = [&](const std::vector<std::string>& v) {
      for (std::size_t c = 0; c < v.size(); ++c) {
        os << (c ? "  " : "") << v[c];
        if (c + 1 < v.size()) os << std::string(width[c] - v[c].size(), ' ');
      }
      os << "\n";
    };
    line(r.columns);
    std::vector<std::string> rule;
    for (auto w : width) rule.push_back(std::string(w, '-'));
    line(rule);
    for (const auto& row : cells) line(row);
    const std::size_t n = r.rows.size();
    if (truncated)
      os << "(" << n << " row" << (n == 1 ? "" : "s") << " shown; more rows: use --limit or --format csv)\n";
    else
      os << "(" << n << " row" << (n == 1 ? "" : "s") << ")\n";
    return os.str();
  }

  Format format_;
  std::ostream& out_;
  std::int64_t limit_;
  std::string db_path_;  // for messages
  std::vector<std::string> json_keys_;
  QueryResult table_;  // the table's buffered rows
};

// The read-only connection for `sql`, checked to be one read-only statement of an allowed kind.
detail::Connection open_for_query(const std::string& db_path, const std::string& sql) {
  const std::string k = first_keyword(sql);
  const bool allowed = k == "SELECT" || k == "WITH" || k == "VALUES" || k == "EXPLAIN" ||
                       (k == "PRAGMA" && sql.find('=') == std::string::npos);
  if (!allowed)
    throw InputError(db_path + ": query: only read-only statements (SELECT, WITH, VALUES, EXPLAIN, "
                     "PRAGMA name) are accepted; got '" + (k.empty() ? sql.substr(0, 20) : k) + "'");
  detail::Connection db = detail::open_readonly(db_path);
  sqlite3_stmt* probe = nullptr;
  // PRAGMA name (no assignment) reads only; the connection is read-only and query_only anyway.
  if (k != "PRAGMA" && sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &probe, nullptr) == SQLITE_OK &&
      probe && !sqlite3_stmt_readonly(probe)) {
    sqlite3_finalize(probe);
    throw InputError(db_path + ": query: the statement would modify the database; queries are read-only");
  }
  sqlite3_finalize(probe);
  return db;
}

// The SELECT of `sodlab runs` (parameters appended to `params`); checks the user's condition.
// `has_tags`: false for a version-7 store (no run_tags / run_notes): tags and notes read as NULL
// and a tag filter matches nothing.
std::string runs_sql(sqlite3* db, const std::string& db_path, const RunFilter& filter,
                     const std::string& where, double stale_seconds, std::vector<std::string>& params,
                     const std::string& what, bool has_tags) {
  const std::string cols =
      "run_id, experiment, variant, profile, overrides, fold, seed, " +
      detail::effective_status_sql(stale_seconds) +
      " AS status, attempt_of, code_version, code_dirty, host, cpu, threads, device, libtorch, opencv, "
      "started_at, ended_at, heartbeat_at, error, owner, refs, " +
      std::string(has_tags ? "tags, notes" : "NULL AS tags, NULL AS notes");
  RunFilter f = filter;
  const bool impossible = !has_tags && !f.tags.empty();
  if (impossible) f.tags.clear();
  std::string sql = "SELECT * FROM (SELECT " + cols + " FROM run_overview) WHERE " +
                    detail::run_filter_sql(f, params) + (impossible ? " AND 0" : "");
  if (!where.empty()) {
    // The user's condition alone must be a single read-only expression.
    const std::string probe_sql =
        "SELECT * FROM (SELECT " + cols + " FROM run_overview) WHERE (" + where + ")";
    sqlite3_stmt* probe = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, probe_sql.c_str(), -1, &probe, &tail) != SQLITE_OK) {
      const std::string msg = sqlite3_errmsg(db);
      sqlite3_finalize(probe);
      throw InputError(db_path + ": " + what + ": " + msg);
    }
    const bool ok = probe && sqlite3_stmt_readonly(probe) && only_trailing_noise(tail) &&
                    sqlite3_bind_parameter_count(probe) == 0;
    sqlite3_finalize(probe);
    if (!ok) throw InputError(db_path + ": " + what + ": must be one read-only condition without parameters");
    sql += " AND (" + where + ")";
  }
  return sql + " ORDER BY started_at IS NULL, started_at, run_id";
}

// runs_readonly / runs_stream: the listing handed to `sink`.
void list_runs(const std::string& db_path, const RunFilter& filter, const std::string& where,
               double stale_seconds, RowSink& sink) {
  const detail::Connection db = detail::open_readonly(db_path);
  const int version = detail::require_current_schema(db.get(), db_path, detail::kOldestReadable);
  const std::string what = where.empty() ? "runs" : "runs --where '" + where + "'";
  std::vector<std::string> params;
  const std::string sql =
      runs_sql(db.get(), db_path, filter, where, stale_seconds, params, what, version >= detail::kTagsVersion);
  run_query(db.get(), db_path, what, sql, params, sink);
}

}  // namespace

QueryResult query_readonly(const std::string& db_path, const std::string& sql) {
  const detail::Connection db = open_for_query(db_path, sql);
  Collect all;
  run_query(db.get(), db_path, "query", sql, {}, all);
  return std::move(all.result);
}

StreamStats query_stream(const std::string& db_path, const std::string& sql, Format format,
                         std::ostream& out, std::int64_t limit) {
  const detail::Connection db = open_for_query(db_path, sql);
  Writer writer(format, out, limit, db_path);
  run_query(db.get(), db_path, "query", sql, {}, writer);
  return writer.stats;
}

QueryResult runs_readonly(const std::string& db_path, const RunFilter& filter, const std::string& where,
                          double stale_seconds) {
  Collect all;
  list_runs(db_path, filter, where, stale_seconds, all);
  return std::move(all.result);
}

StreamStats runs_stream(const std::string& db_path, const RunFilter& filter, const std::string& where,
                        double stale_seconds, Format format, std::ostream& out, std::int64_t limit) {
  Writer writer(format, out, limit, db_path);
  list_runs(db_path, filter, where, stale_seconds, writer);
  return writer.stats;
}

Format parse_format(const std::string& name) {
  if (name == "table") return Format::table;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  throw InputError("--format '" + name + "': expected table, csv or json");
}

std::string render(const QueryResult& r, Format format) {
  std::ostringstream os;
  Writer writer(format, os, /*limit=*/0);
  writer.begin(r.columns);
  for (const auto& row : r.rows) writer.row(std::vector<SqlValue>(row));
  writer.end();
  return os.str();
}

}  // namespace sodlab::store
