#include "store/results_store.h"

#include <cmath>

#include <signal.h>
#include <cctype>
#include <cerrno>

#include <sqlite3.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <tuple>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <type_traits>
#include <variant>

#include "core/error.h"
#include "core/output_files.h"
#include "store/provenance.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace sodlab::store {

using detail::exec;
using detail::Stmt;
using detail::Transaction;

namespace {

constexpr int kBusyTimeoutMs = 30000;
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

const char* kRunColumns =
    "run_id, experiment, variant, profile, fold, seed, config_toml, status, code_version, "
    "code_dirty, host, cpu, threads, device, libtorch, opencv, started_at, ended_at, "
    "heartbeat_at, error, overrides, owner, attempt_of";

RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.run_id = s.text(0);
  r.experiment = s.text(1);
  r.variant = s.text(2);
  r.profile = s.text(3);
  r.fold = static_cast<int>(s.integer(4));
  r.seed = s.integer(5);
  r.config_toml = s.text(6);
  r.status = s.text(7);
  r.code_version = s.text(8);
  r.code_dirty = s.integer(9) != 0;
  r.host = s.text(10);
  r.cpu = s.text(11);
  r.threads = static_cast<int>(s.integer(12));
  r.device = s.text(13);
  r.libtorch = s.text(14);
  r.opencv = s.text(15);
  r.started_at = s.text(16);
  r.ended_at = s.text(17);
  r.heartbeat_at = s.text(18);
  r.error = s.text(19);
  r.overrides = s.text(20);
  r.owner = s.text(21);
  r.attempt_of = s.text(22);
  return r;
}

// "c=excluded.c, ..." over the run columns except run_id (upserts that keep the row, so no
// ON DELETE CASCADE fires on its run_refs).
std::string update_run_columns_from_excluded() {
  std::string out, cols = kRunColumns;
  std::size_t i = 0;
  while (i < cols.size()) {
    std::size_t j = cols.find(',', i);
    if (j == std::string::npos) j = cols.size();
    std::string c = cols.substr(i, j - i);
    c.erase(0, c.find_first_not_of(' '));
    if (c != "run_id") out += (out.empty() ? "" : ", ") + c + "=excluded." + c;
    i = j + 1;
  }
  return out;
}

void insert_ref(sqlite3* db, const RunRef& f) {
  Stmt s(db, std::string("INSERT OR IGNORE INTO run_refs (run_id, experiment, variant, profile, "
                         "overrides, first_seen_at) VALUES (?,?,?,?,?,") + kNow + ")");
  s.bind(1, f.run_id).bind(2, f.experiment).bind(3, f.variant).bind(4, f.profile);
  s.bind(5, f.overrides).run();
}

RunRef ref_of(const RunRecord& r) { return {r.run_id, r.experiment, r.variant, r.profile, r.overrides, ""}; }

std::vector<RunRef> read_refs(Stmt& s) {
  std::vector<RunRef> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
  return out;
}

bool valid_status(const std::string& s) {
  return s == kStatusQueued || s == kStatusRunning || s == kStatusCompleted ||
         s == kStatusFailed || s == kStatusInterrupted;
}

}  // namespace

std::string process_owner() { return host_name() + ":" + std::to_string(::getpid()); }

std::string default_db_path() {
  const char* env = std::getenv("SODLAB_DB");
  return env && *env ? env : "results/results.db";
}

std::string default_runs_dir() { return "results/runs"; }
std::string default_cache_dir() { return "results/cache"; }

ResultsStore::ResultsStore(const std::string& path, OpenMode mode, double stale_seconds)
    : path_(path), mode_(mode), stale_seconds_(stale_seconds) {
  output::protect_store(path);  // no output of this process may write over it (core/output_files.h)
  if (mode == OpenMode::read_only) {
    detail::Connection db = detail::open_readonly(path);
    has_tags_ = detail::require_current_schema(db.get(), path, detail::kOldestReadable) >= detail::kTagsVersion;
    db_ = db.release();
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) throw InputError(path + ": cannot create directory " + parent.string() + ": " + ec.message());
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path + ": cannot open results database: " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // Before anything writes (journal mode, migrations): a corrupt database is left untouched.
    detail::require_intact(db_, path);
    // journal_mode=WAL needs a moment of exclusive access; retry while another process has it.
    for (int attempt = 0;; ++attempt) {
      char* err = nullptr;
      const int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, &err);
      sqlite3_free(err);
      if (rc == SQLITE_OK) break;
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || attempt > 300)
        detail::throw_sqlite(db_, "not a usable SQLite database", /*input=*/true);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    exec(db_, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
    migrate();
  } catch (...) {
    // Refused (corrupt, foreign, newer): leave the file as it is, not even a checkpoint on close.
    sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultsStore::~ResultsStore() {
  if (db_) sqlite3_close(db_);
}

void ResultsStore::require_writable(const char* operation) const {
  if (mode_ == OpenMode::read_only)
    throw RuntimeFailure(path_ + ": " + operation + ": the results store was opened read-only");
}

int ResultsStore::schema_version() { return static_cast<int>(detail::migrations().size()); }

int ResultsStore::stored_schema_version() {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT max(version) FROM schema_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void ResultsStore::migrate() {
  Transaction tx(db_);
  exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  int version = 0;
  {
    Stmt s(db_, "SELECT coalesce(max(version), 0) FROM schema_version");
    if (s.step()) version = static_cast<int>(s.integer(0));
  }
  const auto& m = detail::migrations();
  if (version > static_cast<int>(m.size()))
    throw InputError(path_ + ": schema version " + std::to_string(version) +
                     " is newer than this sodlab (" + std::to_string(m.size()) +
                     "); update sodlab to use this database");
  if (version == 0) {
    // A database holding other tables is not ours: refuse rather than mix schemas.
    Stmt s(db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name <> 'schema_version'");
    if (s.step() && s.integer(0) > 0)
      throw InputError(path_ + ": not a sodlab results database (it has other tables)");
  }
  for (int v = version; v < static_cast<int>(m.size()); ++v) {
    exec(db_, m[v]);
    Stmt s(db_, "INSERT INTO schema_version (version) VALUES (?)");
    s.bind(1, v + 1).run();
  }
  tx.commit();
}

namespace {

// Binds the 19 placeholders of an INSERT INTO runs (kRunColumns) whose started_at, ended_at,
// heartbeat_at and error are given as SQL expressions; owner "" = NULL.
void bind_run(Stmt& s, const RunRecord& r, const std::string& status, const std::string& owner) {
  s.bind(1, r.run_id).bind(2, r.experiment).bind(3, r.variant).bind(4, r.profile);
  s.bind(5, r.fold).bind(6, r.seed).bind(7, r.config_toml).bind(8, status);
  s.bind_text_or_null(9, r.code_version).bind(10, static_cast<int>(r.code_dirty));
  s.bind_text_or_null(11, r.host).bind_text_or_null(12, r.cpu).bind(13, r.threads);
  s.bind_text_or_null(14, r.device).bind_text_or_null(15, r.libtorch);
  s.bind_text_or_null(16, r.opencv).bind(17, r.overrides);
  s.bind_text_or_null(18, owner).bind_text_or_null(19, r.attempt_of);
}

void check_startable(const std::string& path, const char* operation, const RunRecord& r,
                     const std::string& status) {
  if (r.run_id.empty()) throw InputError(path + ": " + operation + ": empty run_id");
  if (!valid_status(status))
    throw InputError(path + ": " + operation + ": invalid status '" + status + "'");
  if (r.attempt_of == r.run_id)
    throw InputError(path + ": " + operation + ": run '" + r.run_id + "' cannot be an attempt of itself");
}

}  // namespace

void ResultsStore::start_run_locked(const RunRecord& r, const std::string& status,
                                    const std::string& owner) {
  Stmt s(db_, std::string("INSERT INTO runs (") + kRunColumns +
                  ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?," + kNow + ",NULL," + kNow +
                  ",NULL,?,?,?) ON CONFLICT(run_id) DO UPDATE SET " + update_run_columns_from_excluded());
  bind_run(s, r, status, owner);
  s.run();
  // A run's results are recomputed at its end; a redo attempt starts from scratch, so an earlier
  // failed attempt's epochs, timings and artifacts go too (promote_attempt must not move them).
  if (r.attempt_of.empty()) {
    for (const char* t : {"results", "per_image", "curves"}) {
      Stmt d(db_, std::string("DELETE FROM ") + t + " WHERE run_id = ?");
      d.bind(1, r.run_id).run();
    }
  } else {
    for (const auto& t : detail::child_tables()) {
      Stmt d(db_, "DELETE FROM " + t + " WHERE run_id = ?");
      d.bind(1, r.run_id).run();
    }
  }
  insert_ref(db_, ref_of(r));
}

void ResultsStore::begin_run(const RunRecord& r) {
  require_writable("begin_run");
  const std::string status = r.status.empty() ? kStatusRunning : r.status;
  check_startable(path_, "begin_run", r, status);
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  start_run_locked(r, status, "");
  tx.commit();
}

bool owner_is_dead(const std::string& owner) {
  const auto colon = owner.rfind(':');
  if (colon == std::string::npos || owner.substr(0, colon) != host_name()) return false;
  char* end = nullptr;
  const long pid = std::strtol(owner.c_str() + colon + 1, &end, 10);
  if (pid <= 0 || *end != '\0') return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

ClaimResult ResultsStore::claim_run(const RunRecord& r, const std::string& owner, const ClaimPolicy& policy) {
  require_writable("claim_run");
  const std::string status = r.status.empty() ? kStatusRunning : r.status;
  check_startable(path_, "claim_run", r, status);
  if (owner.empty()) throw InputError(path_ + ": claim_run: empty owner for run '" + r.run_id + "'");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);  // BEGIN IMMEDIATE: no other claim can interleave between check and write
  {
    Stmt kept(db_, "SELECT status, coalesce(owner, ''), coalesce(ended_at, '') FROM runs WHERE run_id = ?");
    if (kept.bind(1, r.run_id).step()) {
      const std::string stored = kept.text(0);
      if ((stored == kStatusCompleted && !policy.take_completed) ||
          (stored == kStatusFailed && !policy.keep_failed_since.empty() &&
           kept.text(2) >= policy.keep_failed_since)) {
        ClaimResult left;
        left.status = stored;
        left.owner = kept.text(1);
        return left;
      }
    }
  }
  {
    Stmt held(db_, "SELECT owner, (julianday('now') - julianday(heartbeat_at)) * 86400.0 FROM runs "
                   "WHERE run_id = ? AND status = 'running' AND " +
                       detail::effective_status_sql(stale_seconds_) + " = 'running' AND owner IS NOT ?");
    held.bind(1, r.run_id).bind(2, owner);
    if (held.step() && !owner_is_dead(held.is_null(0) ? "" : held.text(0))) {
      ClaimResult busy;
      busy.status = kStatusRunning;
      busy.owner = held.text(0);
      busy.heartbeat_age_seconds = held.is_null(1) ? 0.0 : std::max(0.0, held.real(1));
      return busy;  // the transaction rolls back: nothing changed
    }
  }
  start_run_locked(r, status, owner);
  tx.commit();
  ClaimResult claimed;
  claimed.claimed = true;
  claimed.owner = owner;
  return claimed;
}

void ResultsStore::promote_attempt(const std::string& attempt_id, const std::string& run_id) {
  require_writable("promote_attempt");
  const std::string what =
      path_ + ": promote_attempt(attempt '" + attempt_id + "', run '" + run_id + "'): ";
  if (attempt_id == run_id) throw InputError(what + "a run cannot be an attempt of itself");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  std::string attempt_owner;
  {
    Stmt a(db_, "SELECT status, attempt_of, owner FROM runs WHERE run_id = ?");
    if (!a.bind(1, attempt_id).step())
      throw InputError(what + "no run '" + attempt_id + "' (the redo attempt of '" + run_id + "')");
    const std::string status = a.text(0), of = a.text(1);
    attempt_owner = a.text(2);
    if (of != run_id)
      throw InputError(what + "run '" + attempt_id + "' is not a redo attempt of '" + run_id + "' (" +
                       (of.empty() ? std::string("it is not an attempt") : "attempt_of = '" + of + "'") +
                       ")");
    if (status != kStatusCompleted)
      throw InputError(what + "attempt '" + attempt_id + "' is " + status + ", not completed; run '" +
                       run_id + "' keeps its recorded results");
  }
  {  // Never from under a process that is executing run_id itself.
    Stmt held(db_, "SELECT coalesce(owner, 'a process without a claim') FROM runs WHERE run_id = ? "
                   "AND status = 'running' AND " + detail::effective_status_sql(stale_seconds_) +
                       " = 'running' AND owner IS NOT ?");
    held.bind(1, run_id).bind_text_or_null(2, attempt_owner);
    if (held.step())
      throw InputError(what + "run '" + run_id + "' is being executed by " + held.text(0) +
                       "; promote the attempt once that has ended");
  }
  {  // run_id's row takes the attempt's; its identity (experiment .. seed) stays.
    Stmt s(db_, "INSERT INTO runs (" + std::string(kRunColumns) +
                    ") SELECT ?, experiment, variant, profile, fold, seed, config_toml, status, "
                    "code_version, code_dirty, host, cpu, threads, device, libtorch, opencv, started_at, "
                    "ended_at, heartbeat_at, error, overrides, owner, NULL FROM runs WHERE run_id = ? "
                    "ON CONFLICT(run_id) DO UPDATE SET config_toml=excluded.config_toml, "
                    "status=excluded.status, code_version=excluded.code_version, "
                    "code_dirty=excluded.code_dirty, host=excluded.host, cpu=excluded.cpu, "
                    "threads=excluded.threads, device=excluded.device, libtorch=excluded.libtorch, "
                    "opencv=excluded.opencv, started_at=excluded.started_at, ended_at=excluded.ended_at, "
                    "heartbeat_at=excluded.heartbeat_at, error=excluded.error, owner=excluded.owner, "
                    "overrides=excluded.overrides");
    s.bind(1, run_id).bind(2, attempt_id).run();
  }
  for (const auto& t : detail::child_tables()) {
    Stmt d(db_, "DELETE FROM " + t + " WHERE run_id = ?");
    d.bind(1, run_id).run();
    Stmt u(db_, "UPDATE " + t + " SET run_id = ? WHERE run_id = ?");
    u.bind(1, run_id).bind(2, attempt_id).run();
  }
  {
    Stmt f(db_, "INSERT OR IGNORE INTO run_refs (run_id, experiment, variant, profile, overrides, "
                "first_seen_at) SELECT ?, experiment, variant, profile, overrides, first_seen_at "
                "FROM run_refs WHERE run_id = ?");
    f.bind(1, run_id).bind(2, attempt_id).run();
    Stmt t(db_, "INSERT OR IGNORE INTO run_tags (run_id, tag, added_at) SELECT ?, tag, added_at FROM run_tags "
                "WHERE run_id = ?");
    t.bind(1, run_id).bind(2, attempt_id).run();
    Stmt n(db_, "INSERT OR IGNORE INTO run_notes (run_id, added_at, text) SELECT ?, added_at, text FROM run_notes "
                "WHERE run_id = ?");
    n.bind(1, run_id).bind(2, attempt_id).run();
    Stmt d(db_, "DELETE FROM runs WHERE run_id = ?");  // its run_refs go with it (ON DELETE CASCADE)
    d.bind(1, attempt_id).run();
  }
  tx.commit();
}

void ResultsStore::register_planned(const RunRecord& r) {
  require_writable("register_planned");
  if (r.run_id.empty()) throw InputError(path_ + ": register_planned: empty run_id");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, std::string("INSERT OR IGNORE INTO runs (") + kRunColumns +
                  ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,?,?,?)");
  bind_run(s, r, kStatusQueued, "");
  s.run();
  insert_ref(db_, ref_of(r));
  tx.commit();
}

void ResultsStore::add_run_ref(const RunRef& f) {
  require_writable("add_run_ref");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  {
    Stmt e(db_, "SELECT 1 FROM runs WHERE run_id = ?");
    if (!e.bind(1, f.run_id).step())
      throw InputError(path_ + ": add_run_ref: no run '" + f.run_id + "'");
  }
  insert_ref(db_, f);
  tx.commit();
}

void ResultsStore::add_params(const std::string& run_id,
                              const std::vector<std::pair<std::string, OptionValue>>& params) {
  require_writable("add_params");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  {
    Stmt e(db_, "SELECT 1 FROM runs WHERE run_id = ?");
    if (!e.bind(1, run_id).step()) throw InputError(path_ + ": add_params: no run '" + run_id + "'");
  }
  Stmt s(db_, "INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  for (const auto& [key, value] : params) {
    s.bind(1, run_id).bind(2, key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) s.bind(3, static_cast<std::int64_t>(v ? 1 : 0));
          else s.bind(3, v);
        },
        value);
    s.run();
  }
  tx.commit();
}

std::vector<ParamRow> ResultsStore::params(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT key, value, typeof(value) FROM params WHERE run_id = ? ORDER BY key, value");
  s.bind(1, run_id);
  std::vector<ParamRow> out;
  while (s.step()) {
    ParamRow p{run_id, s.text(0), std::string()};
    const std::string type = s.text(2);
    if (type == "integer") p.value = s.integer(1);
    else if (type == "real") p.value = s.real(1);
    else p.value = s.text(1);
    out.push_back(std::move(p));
  }
  return out;
}

int ResultsStore::mark_owner_interrupted(const std::string& owner, const std::string& error) {
  require_writable("mark_owner_interrupted");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, std::string("UPDATE runs SET status = 'interrupted', error = ?, ended_at = ") + kNow +
                  " WHERE owner = ? AND status = 'running'");
  s.bind(1, error).bind(2, owner).run();
  const int n = sqlite3_changes(db_);
  tx.commit();
  return n;
}

void ResultsStore::set_status(const std::string& run_id, const std::string& status,
                              const std::string& error) {
  require_writable("set_status");
  if (!valid_status(status))
    throw InputError(path_ + ": set_status: invalid status '" + status +
                     "' (queued, running, completed, failed, interrupted)");
  const bool ends = status == kStatusCompleted || status == kStatusFailed || status == kStatusInterrupted;
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, std::string("UPDATE runs SET status = ?, error = ?, ended_at = ") +
                  (ends ? kNow : "NULL") + ", heartbeat_at = " + kNow + " WHERE run_id = ?");
  s.bind(1, status).bind_text_or_null(2, error).bind(3, run_id).run();
  if (sqlite3_changes(db_) != 1) throw InputError(path_ + ": set_status: no run '" + run_id + "'");
  tx.commit();
}

void ResultsStore::heartbeat(const std::string& run_id) {
  require_writable("heartbeat");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, std::string("UPDATE runs SET heartbeat_at = ") + kNow + " WHERE run_id = ?");
  s.bind(1, run_id).run();
  tx.commit();
}

int ResultsStore::mark_stale_interrupted() {
  require_writable("mark_stale_interrupted");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  exec(db_, "UPDATE runs SET status = 'interrupted', ended_at = heartbeat_at WHERE status = 'running' AND " +
                detail::effective_status_sql(stale_seconds_) + " = 'interrupted'");
  const int n = sqlite3_changes(db_);
  tx.commit();
  return n;
}

void ResultsStore::add_epoch(const EpochRecord& e) {
  require_writable("add_epoch");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO epochs (run_id, stage, epoch, train_loss, val_loss, lr, seconds) "
              "VALUES (?,?,?,?,?,?,?)");
  s.bind(1, e.run_id).bind(2, e.stage).bind(3, e.epoch).bind(4, e.train_loss);
  s.bind(5, e.val_loss).bind(6, e.lr).bind(7, e.seconds).run();
  tx.commit();
}

void ResultsStore::add_results(const std::vector<ResultRow>& rows) {
  require_writable("add_results");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO results (run_id, dataset, distortion, metric, convention, value) "
              "VALUES (?,?,?,?,?,?)");
  for (const auto& r : rows) {
    s.bind(1, r.run_id).bind(2, r.dataset).bind(3, r.distortion).bind(4, r.metric);
    s.bind(5, r.convention).bind(6, r.value).run();
  }
  tx.commit();
}

void ResultsStore::add_per_image(const std::vector<PerImageRow>& rows) {
  require_writable("add_per_image");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO per_image (run_id, dataset, distortion, image, metric, "
              "convention, value) VALUES (?,?,?,?,?,?,?)");
  for (const auto& r : rows) {
    s.bind(1, r.run_id).bind(2, r.dataset).bind(3, r.distortion).bind(4, r.image);
    s.bind(5, r.metric).bind(6, r.convention).bind(7, r.value).run();
  }
  tx.commit();
}

void ResultsStore::add_curves(const std::vector<CurvePoint>& points) {
  require_writable("add_curves");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO curves (run_id, dataset, distortion, curve, idx, x, y) "
              "VALUES (?,?,?,?,?,?,?)");
  for (const auto& p : points) {
    s.bind(1, p.run_id).bind(2, p.dataset).bind(3, p.distortion).bind(4, p.curve);
    s.bind(5, p.idx).bind(6, p.x).bind(7, p.y).run();
  }
  tx.commit();
}

void ResultsStore::add_timing(const TimingRow& t) {
  require_writable("add_timing");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO timings (run_id, phase, seconds, items, device, bytes) VALUES (?,?,?,?,?,?)");
  s.bind(1, t.run_id).bind(2, t.phase).bind(3, t.seconds).bind(4, t.items);
  s.bind_text_or_null(5, t.device);
  if (t.bytes) s.bind(6, *t.bytes);
  else s.bind_null(6);
  s.run();
  tx.commit();
}

void ResultsStore::add_artifact(const ArtifactRow& a) {
  require_writable("add_artifact");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT OR REPLACE INTO artifacts (run_id, kind, path, sha256, bytes) VALUES (?,?,?,?,?)");
  s.bind(1, a.run_id).bind(2, a.kind).bind(3, a.path).bind_text_or_null(4, a.sha256);
  s.bind(5, a.bytes).run();
  tx.commit();
}

std::optional<RunRecord> ResultsStore::find_run(const std::string& run_id) {
  RunFilter f;
  f.run_ids = {run_id};
  auto found = runs(f);
  if (found.empty()) return std::nullopt;
  return found.front();
}

std::vector<RunRecord> ResultsStore::runs(const RunFilter& filter) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!has_tags_ && !filter.tags.empty()) return {};  // a version-7 store: no run has a tag
  std::string cols = kRunColumns;
  const std::string eff = detail::effective_status_sql(stale_seconds_) + " AS status";
  cols.replace(cols.find("status"), 6, eff);
  std::vector<std::string> params;
  const std::string where = detail::run_filter_sql(filter, params);
  Stmt s(db_, std::string("SELECT ") + kRunColumns + " FROM (SELECT " + cols + " FROM runs) WHERE " +
                  where + " ORDER BY started_at IS NULL, started_at, run_id");
  for (std::size_t i = 0; i < params.size(); ++i) s.bind(static_cast<int>(i + 1), params[i]);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<RunRef> ResultsStore::run_refs(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT run_id, experiment, variant, profile, overrides, first_seen_at FROM run_refs "
              "WHERE run_id = ? ORDER BY experiment, variant, profile, overrides");
  s.bind(1, run_id);
  return read_refs(s);
}

std::vector<RunRef> ResultsStore::run_refs_of(const std::string& experiment, const std::string& profile) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT run_id, experiment, variant, profile, overrides, first_seen_at FROM run_refs "
              "WHERE experiment = ? AND profile = ? ORDER BY variant, overrides, run_id");
  s.bind(1, experiment).bind(2, profile);
  return read_refs(s);
}

std::optional<std::string> ResultsStore::latest_completed_profile(const std::string& experiment) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT f.profile FROM run_refs f JOIN runs r USING (run_id) "
              "WHERE f.experiment = ? AND r.status = 'completed' "
              "ORDER BY r.ended_at DESC, f.first_seen_at DESC, r.run_id DESC LIMIT 1");
  s.bind(1, experiment);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::vector<EpochRecord> ResultsStore::epochs(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT stage, epoch, train_loss, val_loss, lr, seconds FROM epochs WHERE run_id = ? "
              "ORDER BY rowid");
  s.bind(1, run_id);
  std::vector<EpochRecord> out;
  while (s.step()) {
    EpochRecord e{run_id, s.text(0), static_cast<int>(s.integer(1)), s.real(2), std::nullopt,
                  s.real(4), s.real(5)};
    if (!s.is_null(3)) e.val_loss = s.real(3);
    out.push_back(e);
  }
  return out;
}

std::vector<ResultRow> ResultsStore::results(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT dataset, distortion, metric, convention, value FROM results WHERE run_id = ? "
              "ORDER BY dataset, distortion, metric, convention");
  s.bind(1, run_id);
  std::vector<ResultRow> out;
  while (s.step()) out.push_back({run_id, s.text(0), s.text(1), s.text(2), s.text(3), s.real(4)});
  return out;
}

std::vector<PerImageRow> ResultsStore::per_image(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT dataset, distortion, image, metric, convention, value FROM per_image "
              "WHERE run_id = ? ORDER BY dataset, distortion, image, metric, convention");
  s.bind(1, run_id);
  std::vector<PerImageRow> out;
  while (s.step())
    out.push_back({run_id, s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.real(5)});
  return out;
}

std::map<std::string, double> ResultsStore::per_image_values(const std::string& run_id, const std::string& dataset,
                                                             const std::string& distortion, const std::string& metric,
                                                             const std::string& convention) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT image, value FROM per_image WHERE run_id = ? AND dataset = ? AND distortion = ? "
              "AND metric = ? AND convention = ?");
  s.bind(1, run_id).bind(2, dataset).bind(3, distortion).bind(4, metric).bind(5, convention);
  std::map<std::string, double> out;
  while (s.step()) out[s.text(0)] = s.is_null(1) ? std::nan("") : s.real(1);
  return out;
}

namespace {

void require_run(sqlite3* db, const std::string& path, const std::string& run_id, const char* what) {
  Stmt e(db, "SELECT 1 FROM runs WHERE run_id = ?");
  if (!e.bind(1, run_id).step())
    throw InputError(path + ": " + what + ": no run '" + run_id + "' in this store (`sodlab runs` lists them)");
}

void check_tag(const std::string& tag) {
  if (tag.empty()) throw InputError("tag: empty tag");
  for (char c : tag)
    if (c == ',' || std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      throw InputError("tag '" + tag + "': a tag has no commas, spaces or control characters");
}

}  // namespace

void ResultsStore::add_tags(const std::string& run_id, const std::vector<std::string>& tags) {
  require_writable("add_tags");
  for (const auto& t : tags) check_tag(t);
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  require_run(db_, path_, run_id, "tag");
  Stmt s(db_, std::string("INSERT OR IGNORE INTO run_tags (run_id, tag, added_at) VALUES (?, ?, ") + kNow + ")");
  for (const auto& t : tags) s.bind(1, run_id).bind(2, t).run();
  tx.commit();
}

int ResultsStore::remove_tags(const std::string& run_id, const std::vector<std::string>& tags) {
  require_writable("remove_tags");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  require_run(db_, path_, run_id, "tag --remove");
  int removed = 0;
  Stmt s(db_, "DELETE FROM run_tags WHERE run_id = ? AND tag = ?");
  for (const auto& t : tags) {
    s.bind(1, run_id).bind(2, t).run();
    removed += sqlite3_changes(db_);
  }
  tx.commit();
  return removed;
}

void ResultsStore::add_note(const std::string& run_id, const std::string& text) {
  require_writable("add_note");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw InputError("note: empty note text");
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_);
  require_run(db_, path_, run_id, "note");
  Stmt s(db_, std::string("INSERT OR IGNORE INTO run_notes (run_id, added_at, text) VALUES (?, ") + kNow + ", ?)");
  s.bind(1, run_id).bind(2, text).run();
  tx.commit();
}

std::vector<std::string> ResultsStore::tags(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  if (!has_tags_) return out;
  Stmt s(db_, "SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag");
  s.bind(1, run_id);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<RunNote> ResultsStore::notes(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RunNote> out;
  if (!has_tags_) return out;
  Stmt s(db_, "SELECT added_at, text FROM run_notes WHERE run_id = ? ORDER BY added_at, rowid");
  s.bind(1, run_id);
  while (s.step()) out.push_back({run_id, s.text(0), s.text(1)});
  return out;
}

std::vector<CurvePoint> ResultsStore::curves(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT dataset, distortion, curve, idx, x, y FROM curves WHERE run_id = ? "
              "ORDER BY dataset, distortion, curve, idx");
  s.bind(1, run_id);
  std::vector<CurvePoint> out;
  while (s.step())
    out.push_back({run_id, s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3)),
                   s.real(4), s.real(5)});
  return out;
}

std::vector<TimingRow> ResultsStore::timings(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT phase, seconds, items, device, bytes FROM timings WHERE run_id = ? ORDER BY phase");
  s.bind(1, run_id);
  std::vector<TimingRow> out;
  while (s.step()) {
    out.push_back({run_id, s.text(0), s.real(1), s.integer(2), s.text(3), std::nullopt});
    if (!s.is_null(4)) out.back().bytes = s.integer(4);
  }
  return out;
}

std::vector<ArtifactRow> ResultsStore::artifacts(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Stmt s(db_, "SELECT kind, path, sha256, bytes FROM artifacts WHERE run_id = ? ORDER BY kind, path");
  s.bind(1, run_id);
  std::vector<ArtifactRow> out;
  while (s.step()) out.push_back({run_id, s.text(0), s.text(1), s.text(2), s.integer(3)});
  return out;
}

namespace {

// completed > interrupted = failed > running = queued: which copy of a run holds more truth.
int status_rank(const std::string& status) {
  if (status == kStatusCompleted) return 3;
  if (status == kStatusInterrupted || status == kStatusFailed) return 2;
  return 1;
}

// A shard copied aside, beside the store, and migrated there: the shard itself is only read
// (immutable when no WAL file holds changes, so not even lock or side files appear beside it).
// The copy and its side files are removed on destruction.
class ShardCopy {
 public:
  ShardCopy(const std::string& shard, const std::string& store_path, double stale_seconds) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dir = fs::path(store_path).parent_path();
    path_ = ((dir.empty() ? fs::path(".") : dir) /
             ("." + fs::path(store_path).filename().string() + ".merge-" + std::to_string(::getpid()) + ".db"))
                .string();
    remove_files();
    const fs::path wal = shard + "-wal";
    const bool wal_changes = fs::is_regular_file(wal, ec) && fs::file_size(wal, ec) > 0 && !ec;
    detail::Connection source = detail::open_readonly(shard, /*immutable=*/!wal_changes);
    sqlite3* copy = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_backup* b = sqlite3_backup_init(copy, "main", source.get(), "main");
      rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(copy);
      sqlite3_backup_finish(b);
    }
    const std::string message = copy ? sqlite3_errmsg(copy) : "out of memory";
    sqlite3_close(copy);
    if (rc != SQLITE_DONE) {
      remove_files();
      throw RuntimeFailure(shard + ": cannot copy the shard aside to " + path_ + " to merge it: " + message);
    }
    try {
      ResultsStore migrated(path_, OpenMode::read_write, stale_seconds);
    } catch (const Error& e) {
      remove_files();
      std::string text = e.what();
      for (auto at = text.find(path_); at != std::string::npos; at = text.find(path_, at + shard.size()))
        text.replace(at, path_.size(), shard);
      throw InputError(text);
    }
  }
  ~ShardCopy() { remove_files(); }
  ShardCopy(const ShardCopy&) = delete;
  ShardCopy& operator=(const ShardCopy&) = delete;
  const std::string& path() const { return path_; }

 private:
  void remove_files() const {
    for (const char* side : {"", "-wal", "-shm", "-journal"}) ::unlink((path_ + side).c_str());
  }
  std::string path_;
};

using ResultKey = std::tuple<std::string, std::string, std::string, std::string>;  // dataset, distortion, metric, convention

std::map<ResultKey, std::optional<double>> results_of(sqlite3* db, const std::string& schema, const std::string& run_id) {
  Stmt s(db, "SELECT dataset, distortion, metric, convention, value FROM " + schema + ".results WHERE run_id = ?");
  s.bind(1, run_id);
  std::map<ResultKey, std::optional<double>> out;
  while (s.step()) out[{s.text(0), s.text(1), s.text(2), s.text(3)}] = s.is_null(4) ? std::nullopt : std::optional(s.real(4));
  return out;
}

std::string value_text(const std::optional<double>& v) {
  if (!v) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return buf;
}

// "" when both completed copies hold the same results, else the first difference.
std::string first_difference(sqlite3* db, const std::string& run_id) {
  const auto here = results_of(db, "main", run_id), there = results_of(db, "shard", run_id);
  auto name = [](const ResultKey& k) {
    return std::get<2>(k) + " on " + std::get<0>(k) + " (distortion " + std::get<1>(k) + ", " + std::get<3>(k) + ")";
  };
  for (const auto& [k, v] : here) {
    const auto it = there.find(k);
    if (it == there.end()) return name(k) + ": the store has " + value_text(v) + ", the shard has none";
    if (v != it->second) return name(k) + ": the store has " + value_text(v) + ", the shard " + value_text(it->second);
  }
  for (const auto& [k, v] : there)
    if (!here.count(k)) return name(k) + ": the shard has " + value_text(v) + ", the store has none";
  return "";
}

}  // namespace

ResultsStore::MergeSummary ResultsStore::merge_from(const std::string& shard_path, MergePrefer prefer) {
  require_writable("merge_from");
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(shard_path, ec))
    throw InputError(shard_path + ": no such results database (merging into " + path_ + ")");
  const ShardCopy copy(shard_path, path_, stale_seconds_);
  const std::string shard_name = fs::absolute(shard_path, ec).lexically_normal().string();
  std::lock_guard<std::mutex> lock(mutex_);
  {
    Stmt a(db_, "ATTACH DATABASE ? AS shard");
    a.bind(1, copy.path()).run();
  }
  MergeSummary summary;
  try {
    Transaction tx(db_);
    struct Logged {
      std::string run_id, decision, detail;
    };
    std::vector<std::string> take;
    std::vector<Logged> log;
    std::string conflict;
    {
      Stmt q(db_, "SELECT s.run_id, s.status, m.status, m.effective, coalesce(m.owner, '') FROM shard.runs s "
                  "LEFT JOIN (SELECT run_id, status, owner, " + detail::effective_status_sql(stale_seconds_) +
                  " AS effective FROM main.runs) m ON m.run_id = s.run_id ORDER BY s.run_id");
      while (q.step()) {
        const std::string id = q.text(0), theirs = q.text(1), ours = q.text(2), effective = q.text(3);
        if (q.is_null(2)) {
          take.push_back(id);
          ++summary.copied;
          continue;
        }
        if (effective == kStatusRunning) {  // executing here now: its provenance stays one process's
          summary.deferred.push_back(id + " (" + q.text(4) + ")");
          log.push_back({id, "deferred", "executing here (owner " + q.text(4) + "); the shard's copy is " + theirs});
          continue;
        }
        const int rt = status_rank(theirs), ro = status_rank(ours);
        if (rt > ro) {
          take.push_back(id);
          ++summary.copied;
          log.push_back({id, "replaced", "the store's copy was " + ours + ", the shard's " + theirs});
          continue;
        }
        const std::string diff = rt == 3 && ro == 3 ? first_difference(db_, id) : "";
        if (diff.empty()) {
          ++summary.kept;
          continue;
        }
        if (prefer == MergePrefer::none) {
          if (conflict.empty())
            conflict = "run " + id + " is completed in both with different results: " + diff;
          continue;
        }
        ++summary.settled;
        if (prefer == MergePrefer::shard) take.push_back(id);
        log.push_back({id, prefer == MergePrefer::shard ? "taken (--prefer shard)" : "kept (--prefer store)", diff});
      }
    }
    if (!conflict.empty())
      throw InputError(shard_path + ": " + conflict + "; nothing was merged. Pick a side with --prefer store or "
                       "--prefer shard (recorded in the store's merges table), or find out why they differ");
    exec(db_, "DROP TABLE IF EXISTS temp.merge_ids; CREATE TEMP TABLE merge_ids (run_id TEXT PRIMARY KEY)");
    for (const auto& id : take) {
      Stmt i(db_, "INSERT INTO temp.merge_ids (run_id) VALUES (?)");
      i.bind(1, id).run();
    }
    for (const auto& t : detail::child_tables())
      exec(db_, "DELETE FROM main." + t + " WHERE run_id IN (SELECT run_id FROM temp.merge_ids)");
    exec(db_, std::string("INSERT INTO main.runs (") + kRunColumns + ") SELECT " + kRunColumns +
                  " FROM shard.runs WHERE run_id IN (SELECT run_id FROM temp.merge_ids) "
                  "ON CONFLICT(run_id) DO UPDATE SET " + update_run_columns_from_excluded());
    for (const auto& t : detail::child_tables())
      exec(db_, "INSERT INTO main." + t + " SELECT * FROM shard." + t +
                    " WHERE run_id IN (SELECT run_id FROM temp.merge_ids)");
    // Every shard run is in main now (copied, kept or deferred): keep both sides' refs.
    exec(db_, "INSERT OR IGNORE INTO main.run_refs (run_id, experiment, variant, profile, overrides, "
              "first_seen_at) SELECT run_id, experiment, variant, profile, overrides, first_seen_at "
              "FROM shard.run_refs");
    exec(db_, "INSERT OR IGNORE INTO main.params (run_id, key, value) SELECT run_id, key, value FROM shard.params");
    exec(db_, "INSERT OR IGNORE INTO main.run_tags (run_id, tag, added_at) SELECT run_id, tag, added_at "
              "FROM shard.run_tags");
    exec(db_, "INSERT OR IGNORE INTO main.run_notes (run_id, added_at, text) SELECT run_id, added_at, text "
              "FROM shard.run_notes");
    for (const auto& l : log) {
      Stmt i(db_, std::string("INSERT INTO main.merges (merged_at, shard, run_id, decision, detail) VALUES (") + kNow +
                      ", ?, ?, ?, ?)");
      i.bind(1, shard_name).bind(2, l.run_id).bind(3, l.decision).bind(4, l.detail).run();
    }
    exec(db_, "DROP TABLE temp.merge_ids");
    tx.commit();
  } catch (...) {
    sqlite3_exec(db_, "DETACH DATABASE shard", nullptr, nullptr, nullptr);
    throw;
  }
  exec(db_, "DETACH DATABASE shard");
  return summary;
}

}  // namespace sodlab::store
