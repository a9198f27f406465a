#include "store/query.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

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

// Runs one statement with text parameters bound to its ? placeholders; errors are InputError
// "<path>: <what>: <sqlite message>".
QueryResult run_query(sqlite3* db, const std::string& path, const std::string& what,
                      const std::string& sql, const std::vector<std::string>& params = {}) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, &tail) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_finalize(raw);
    throw InputError(path + ": " + what + ": " + msg);
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (!raw) throw InputError(path + ": " + what + ": empty statement");
  if (!only_trailing_noise(tail)) throw InputError(path + ": " + what + ": give exactly one statement");
  for (std::size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(raw, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()),
                      SQLITE_TRANSIENT);
  QueryResult out;
  const int n = sqlite3_column_count(raw);
  for (int c = 0; c < n; ++c) out.columns.emplace_back(sqlite3_column_name(raw, c));
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw InputError(path + ": " + what + ": " + sqlite3_errmsg(db));
    std::vector<SqlValue> row;
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
    out.rows.push_back(std::move(row));
  }
  return out;
}

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

}  // namespace

QueryResult query_readonly(const std::string& db_path, const std::string& sql) {
  const std::string k = first_keyword(sql);
  const bool allowed = k == "SELECT" || k == "WITH" || k == "VALUES" || k == "EXPLAIN" ||
                       (k == "PRAGMA" && sql.find('=') == std::string::npos);
  if (!allowed)
    throw InputError(db_path + ": query: only read-only statements (SELECT, WITH, VALUES, EXPLAIN, "
                     "PRAGMA name) are accepted; got '" + (k.empty() ? sql.substr(0, 20) : k) + "'");
  const detail::Connection db = detail::open_readonly(db_path);
  sqlite3_stmt* probe = nullptr;
  // PRAGMA name (no assignment) reads only; the connection is read-only and query_only anyway.
  if (k != "PRAGMA" && sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &probe, nullptr) == SQLITE_OK &&
      probe && !sqlite3_stmt_readonly(probe)) {
    sqlite3_finalize(probe);
    throw InputError(db_path + ": query: the statement would modify the database; queries are read-only");
  }
  sqlite3_finalize(probe);
  return run_query(db.get(), db_path, "query", sql);
}

QueryResult runs_readonly(const std::string& db_path, const RunFilter& filter, const std::string& where,
                          double stale_seconds) {
  const detail::Connection db = detail::open_readonly(db_path);
  detail::require_current_schema(db.get(), db_path);
  const std::string cols =
      "run_id, experiment, variant, profile, overrides, fold, seed, " +
      detail::effective_status_sql(stale_seconds) +
      " AS status, code_version, code_dirty, host, cpu, threads, device, libtorch, opencv, started_at, "
      "ended_at, heartbeat_at, error, refs";
  std::vector<std::string> params;
  std::string sql = "SELECT * FROM (SELECT " + cols + " FROM run_overview) WHERE " +
                    detail::run_filter_sql(filter, params);
  const std::string what = where.empty() ? "runs" : "runs --where '" + where + "'";
  if (!where.empty()) {
    // The user's condition alone must be a single read-only expression.
    const std::string probe_sql = "SELECT * FROM (SELECT " + cols + " FROM run_overview) WHERE (" + where + ")";
    sqlite3_stmt* probe = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db.get(), probe_sql.c_str(), -1, &probe, &tail) != SQLITE_OK) {
      const std::string msg = sqlite3_errmsg(db.get());
      sqlite3_finalize(probe);
      throw InputError(db_path + ": " + what + ": " + msg);
    }
    const bool ok = probe && sqlite3_stmt_readonly(probe) && only_trailing_noise(tail) &&
                    sqlite3_bind_parameter_count(probe) == 0;
    sqlite3_finalize(probe);
    if (!ok) throw InputError(db_path + ": " + what + ": must be one read-only condition without parameters");
    sql += " AND (" + where + ")";
  }
  sql += " ORDER BY started_at IS NULL, started_at, run_id";
  return run_query(db.get(), db_path, what, sql, params);
}

Format parse_format(const std::string& name) {
  if (name == "table") return Format::table;
  if (name == "csv") return Format::csv;
  if (name == "json") return Format::json;
  throw InputError("--format '" + name + "': expected table, csv or json");
}

std::string render(const QueryResult& r, Format format) {
  std::ostringstream os;
  if (format == Format::csv) {
    for (std::size_t c = 0; c < r.columns.size(); ++c) os << (c ? "," : "") << csv_field(r.columns[c]);
    os << "\n";
    for (const auto& row : r.rows) {
      for (std::size_t c = 0; c < row.size(); ++c) os << (c ? "," : "") << csv_field(cell_text(row[c], false));
      os << "\n";
    }
  } else if (format == Format::json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& row : r.rows) {
      nlohmann::json o = nlohmann::json::object();
      for (std::size_t c = 0; c < row.size(); ++c) {
        const auto& v = row[c];
        switch (v.index()) {
          case 0: o[r.columns[c]] = nullptr; break;
          case 1: o[r.columns[c]] = std::get<std::int64_t>(v); break;
          case 2: o[r.columns[c]] = std::get<double>(v); break;
          default: o[r.columns[c]] = std::get<std::string>(v);
        }
      }
      arr.push_back(std::move(o));
    }
    os << arr.dump(2) << "\n";
  } else {
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
    os << "(" << r.rows.size() << " row" << (r.rows.size() == 1 ? "" : "s") << ")\n";
  }
  return os.str();
}

}  // namespace sodlab::store
