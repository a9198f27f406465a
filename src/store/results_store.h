// SQLite results store: every run, epoch, metric, curve, timing and artifact of the harness.
//
// Plain SQL (see src/store/README.md for the schema), readable with the sqlite3 shell. WAL mode,
// busy timeout (30 s), schema_version + migrations applied on open. Every write call is one
// short `BEGIN IMMEDIATE` transaction (vectors are inserted in one transaction), so several
// processes may write the same database at once. One ResultsStore = one connection; its methods
// are serialised by a mutex (a heartbeat thread may share it with the trainer).
//
// Re-writing the same key replaces the row (INSERT OR REPLACE), so a resumed run may re-add its
// epochs/timings/artifacts. begin_run() on an existing run_id resets it to 'running' and deletes
// its results, per_image and curves (they are recomputed at the end of the run).
//
// Timestamps are UTC text "YYYY-MM-DDTHH:MM:SS.SSSZ" set by SQLite. A run whose status is
// 'running' but whose heartbeat_at is older than `stale_seconds` is REPORTED as 'interrupted'
// by find_run()/runs() (the stored row is changed only by mark_stale_interrupted()).
// Errors: InputError when the file cannot be opened/created or is not a sodlab store;
// RuntimeFailure when a write fails.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace sodlab::store {

// Default database path: $SODLAB_DB if set, else "results/results.db".
std::string default_db_path();

inline constexpr const char* kStatusQueued = "queued";
inline constexpr const char* kStatusRunning = "running";
inline constexpr const char* kStatusCompleted = "completed";
inline constexpr const char* kStatusFailed = "failed";
inline constexpr const char* kStatusInterrupted = "interrupted";

struct RunRecord {
  std::string run_id;
  std::string experiment, variant, profile;
  int fold = -1;             // -1 = no k-fold
  std::int64_t seed = 0;
  std::string config_toml;   // canonical resolved config (config::RunSpec::config_toml)
  std::string status;        // queued | running | completed | failed | interrupted
  std::string code_version;
  bool code_dirty = false;
  std::string host, cpu;     // see provenance.h
  int threads = 0;
  std::string device;        // "cpu", "cuda:0", ...
  std::string libtorch, opencv;  // library versions
  std::string started_at, ended_at, heartbeat_at;  // set by the store; "" = NULL
  std::string error;         // message of a failed run
};

struct EpochRecord {
  std::string run_id;
  std::string stage;         // stage name
  int epoch = 0;             // 1-based within the stage
  double train_loss = 0;
  std::optional<double> val_loss;
  double lr = 0;
  double seconds = 0;
};

struct ResultRow {
  std::string run_id, dataset, distortion, metric, convention;
  double value = 0;
};

struct PerImageRow {
  std::string run_id, dataset, distortion, image, metric, convention;
  double value = 0;
};

struct CurvePoint {
  std::string run_id, dataset, distortion, curve;  // curve e.g. "pr", "roc", "fmeasure"
  int idx = 0;
  double x = 0, y = 0;
};

struct TimingRow {
  std::string run_id;
  std::string phase;   // unique per run, e.g. "train.stage1.epoch3", "inference", "loss"
  double seconds = 0;
  std::int64_t items = 0;  // images processed (seconds/items = per image)
  std::string device;
};

struct ArtifactRow {
  std::string run_id;
  std::string kind;    // "checkpoint", "predictions", "features", ...
  std::string path;
  std::string sha256;
  std::int64_t bytes = 0;
};

class ResultsStore {
 public:
  // Opens (creating parent directories and the file) and migrates to the current schema.
  explicit ResultsStore(const std::string& path, double stale_seconds = 300.0);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  const std::string& path() const { return path_; }
  static int schema_version();  // the version this code migrates to
  int stored_schema_version();  // the version in the file

  // Inserts or resets the run: status 'running' (unless record.status is set), started_at and
  // heartbeat_at = now, ended_at/error cleared; deletes old results/per_image/curves of the id.
  void begin_run(const RunRecord& record);
  // Sets status (and error); ended_at = now for completed/failed/interrupted.
  // InputError if the status is not one of the five or the run does not exist.
  void set_status(const std::string& run_id, const std::string& status,
                  const std::string& error = "");
  void heartbeat(const std::string& run_id);
  // Stored 'running' runs with a stale heartbeat become 'interrupted'; returns how many.
  int mark_stale_interrupted();

  void add_epoch(const EpochRecord& e);
  void add_results(const std::vector<ResultRow>& rows);
  void add_per_image(const std::vector<PerImageRow>& rows);
  void add_curves(const std::vector<CurvePoint>& points);
  void add_timing(const TimingRow& t);
  void add_artifact(const ArtifactRow& a);

  std::optional<RunRecord> find_run(const std::string& run_id);
  // Runs matching an SQL condition on the runs columns (status = effective status), ordered
  // by started_at. `where` is trusted SQL from the command line ("" = all).
  std::vector<RunRecord> runs(const std::string& where = "");
  std::vector<EpochRecord> epochs(const std::string& run_id);
  std::vector<ResultRow> results(const std::string& run_id);
  std::vector<PerImageRow> per_image(const std::string& run_id);
  std::vector<CurvePoint> curves(const std::string& run_id);
  std::vector<TimingRow> timings(const std::string& run_id);
  std::vector<ArtifactRow> artifacts(const std::string& run_id);

  // Copies every run (and its rows) of another store into this one; a run_id present in both
  // keeps the copy whose row was updated last (heartbeat_at/ended_at). Returns runs copied.
  int merge_from(const std::string& other_path);

  sqlite3* handle() { return db_; }  // for the query module and tests

 private:
  void migrate();
  std::string path_;
  double stale_seconds_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace sodlab::store
