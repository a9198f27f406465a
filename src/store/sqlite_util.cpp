#include "store/sqlite_util.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "core/error.h"

namespace sodlab::store::detail {

void throw_sqlite(sqlite3* db, const std::string& what, bool input) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  const std::string msg = std::string(file && *file ? file : "results store") + ": " + what +
                          ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  if (input) throw InputError(msg);
  throw RuntimeFailure(msg);
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    const char* file = sqlite3_db_filename(db, "main");
    throw RuntimeFailure(std::string(file && *file ? file : "results store") + ": " + m +
                         " (while running: " + sql.substr(0, 80) + ")");
  }
}

void throw_corrupt(const std::string& path, const std::string& detail) {
  throw InputError(path + ": the results database is corrupt (PRAGMA quick_check: " + detail +
                   "); move it aside and restore from a backup, or re-run the experiments into a "
                   "new --db");
}

void require_intact(sqlite3* db, const std::string& path) {
  // At most a few problems: enough to report, and quick_check stops after as many.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(5)", -1, &raw, nullptr);
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  std::string problems;
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
      std::string line = t ? t : "";
      if (line == "ok") continue;
      const std::string marker = "*** in database main ***";  // one line of text per problem
      if (line.rfind(marker, 0) == 0) line.erase(0, line.find_first_not_of(" \n", marker.size()));
      std::replace(line.begin(), line.end(), '\n', ' ');
      problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  if (rc == SQLITE_DONE) {
    if (!problems.empty()) throw_corrupt(path, problems);
    return;
  }
  const int primary = rc & 0xff;  // the busy timeout has already waited for locks
  const std::string message = sqlite3_errmsg(db);
  if (primary == SQLITE_CORRUPT) throw_corrupt(path, message);
  if (primary == SQLITE_NOTADB) throw InputError(path + ": not a usable SQLite database: " + message);
  throw InputError(path + ": cannot read the results database: " + message);
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    sqlite3_close(db_);
    db_ = o.release();
  }
  return *this;
}

std::string file_uri(const std::string& path, const std::string& params) {
  // An absolute path gets an empty authority ("file:///abs"), so "//x" is never a host name.
  std::string uri = !path.empty() && path[0] == '/' ? "file://" : "file:";
  for (char c : path) {
    if (c == '%') uri += "%25";
    else if (c == '?') uri += "%3f";
    else if (c == '#') uri += "%23";
    else uri += c;
  }
  return params.empty() ? uri : uri + "?" + params;
}

namespace {

constexpr int kReadBusyTimeoutMs = 30000;

// Opens `path` with URI parameters `params` and reads the schema once (the read that needs the
// WAL side files). Returns the SQLite result code of that first read; `out` holds the connection
// and `message` the error text when it is not SQLITE_OK.
int try_open_readonly(const std::string& path, const std::string& params, Connection& out,
                      std::string& message) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file_uri(path, params).c_str(), &raw,
                                 SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    message = raw ? sqlite3_errmsg(raw) : "out of memory";
    return rc;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kReadBusyTimeoutMs);
  char* err = nullptr;
  const int rc2 = sqlite3_exec(raw, "PRAGMA query_only=1; SELECT count(*) FROM sqlite_master",
                               nullptr, nullptr, &err);
  if (rc2 != SQLITE_OK) {
    message = err ? err : sqlite3_errmsg(raw);
    sqlite3_free(err);
    return rc2;
  }
  out = std::move(db);
  return SQLITE_OK;
}

}  // namespace

Connection open_readonly(const std::string& path, bool immutable) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw InputError(path + ": no results database here (run an experiment first, or pass --db)");
  Connection db;
  std::string message;
  int rc = SQLITE_OK;
  if (!immutable) {
    rc = try_open_readonly(path, "mode=ro", db, message);
    if (rc == SQLITE_OK) {
      require_intact(db.get(), path);
      return db;
    }
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT) throw_corrupt(path, message);
    if (primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY)
      throw InputError(path + ": cannot read the results database: " + message);
    // The WAL side files cannot be opened or created: read the main file as immutable, unless
    // a WAL file holds rows that reading it that way would miss.
    const fs::path wal = path + "-wal";
    if (fs::is_regular_file(wal, ec) && fs::file_size(wal, ec) > 0 && !ec)
      throw InputError(path + ": cannot read the results database (" + message + "), and " +
                       wal.string() + " holds changes not yet checkpointed into it; run a writing "
                       "command (e.g. `sodlab run`) or `sqlite3 " + path +
                       " 'PRAGMA wal_checkpoint'` as a user who can write its directory");
  }
  rc = try_open_readonly(path, "mode=ro&immutable=1", db, message);
  if ((rc & 0xff) == SQLITE_CORRUPT) throw_corrupt(path, message);
  if (rc != SQLITE_OK) throw InputError(path + ": cannot read the results database: " + message);
  require_intact(db.get(), path);
  return db;
}

Stmt::Stmt(sqlite3* db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    throw_sqlite(db, "cannot prepare '" + sql.substr(0, 80) + "'");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, const std::optional<double>& v) {
  return v ? bind(i, *v) : bind_null(i);
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
Stmt& Stmt::bind_text_or_null(int i, const std::string& v) {
  return v.empty() ? bind_null(i) : bind(i, v);
}

bool Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, "statement failed");
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::int64_t Stmt::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(stmt_, col); }
bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Transaction::Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(db_, "COMMIT");
  done_ = true;
}

}  // namespace sodlab::store::detail
