// Internal to src/store: thin RAII helpers over the SQLite C API.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sodlab::store::detail {

// Throws RuntimeFailure "<db path>: <what>: <sqlite message>" (InputError if `input`).
[[noreturn]] void throw_sqlite(sqlite3* db, const std::string& what, bool input = false);

// Executes one or more statements without results.
void exec(sqlite3* db, const std::string& sql);

// An open connection, closed when destroyed.
class Connection {
 public:
  Connection() = default;
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() { sqlite3_close(db_); }
  Connection(Connection&& o) noexcept : db_(o.release()) {}
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }
  sqlite3* release() {
    sqlite3* d = db_;
    db_ = nullptr;
    return d;
  }

 private:
  sqlite3* db_ = nullptr;
};

// "file:" URI of a file path (percent-encoding '%', '?', '#'), followed by "?" + `params`.
std::string file_uri(const std::string& path, const std::string& params);

// Runs `PRAGMA quick_check` once; openers call it right after opening, before anything writes
// (a corrupt database is never written). InputError naming `path`: "the results database is corrupt
// ... move it aside and restore from a backup, or re-run the experiments into a new --db" when
// it reports anything but "ok" or SQLite finds the file malformed (SQLITE_CORRUPT); "not a
// usable SQLite database" when the file is not SQLite at all (SQLITE_NOTADB); "cannot read"
// otherwise (e.g. still locked after the connection's busy timeout).
void require_intact(sqlite3* db, const std::string& path);

// The InputError require_intact() throws for a corrupt database, `detail` = what SQLite said.
[[noreturn]] void throw_corrupt(const std::string& path, const std::string& detail);

// Opens an existing database for reading only; never creates, writes or migrates it.
// SQLITE_OPEN_READONLY through "file:PATH?mode=ro", busy timeout 30 s, PRAGMA query_only.
// The first read happens here: when it fails because SQLite cannot open or create the WAL side
// files (PATH-wal / PATH-shm; e.g. a directory the user cannot write: SQLITE_CANTOPEN,
// SQLITE_READONLY), the file is reopened with immutable=1 (no locks, no WAL) so it still reads;
// that is refused (InputError) while a non-empty PATH-wal exists, whose committed rows an
// immutable reader would silently miss. `immutable` = go straight to immutable=1. Then
// require_intact() (PRAGMA quick_check).
// InputError naming the path: file missing, not an SQLite database, unreadable, corrupt.
Connection open_readonly(const std::string& path, bool immutable = false);

// Prepared statement; bind() indices are 1-based; step() returns true while a row is ready.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, const std::optional<double>& v);
  Stmt& bind_null(int i);
  // Text bound as NULL when empty.
  Stmt& bind_text_or_null(int i, const std::string& v);

  bool step();
  void reset();  // ready to bind and step again
  void run() { step(); reset(); }

  std::string text(int col) const;  // "" for NULL
  std::int64_t integer(int col) const;
  double real(int col) const;
  bool is_null(int col) const;
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT (rollback when destroyed without commit()).
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  void commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace sodlab::store::detail
