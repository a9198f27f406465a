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
