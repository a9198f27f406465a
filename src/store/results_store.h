// SQLite results store: every run, epoch, metric, curve, timing and artifact of the harness.
//
// Plain SQL (see src/store/README.md for the schema), readable with the sqlite3 shell. WAL mode,
// busy timeout (30 s), schema_version + migrations applied on open. Every write call is one
// short `BEGIN IMMEDIATE` transaction (vectors are inserted in one transaction), so several
// processes may write the same database at once. One ResultsStore = one connection; its methods
// are serialised by a mutex (a heartbeat thread may share it with the trainer).
//
// Open modes: read_write creates the file (and parent directories) and migrates it;
// read_only (for reading commands) never creates, writes or migrates: the file must exist and
// be at this code's schema version (or 7, read without tags and notes), and every write method throws RuntimeFailure. A read-only
// store in a directory the user cannot write (SQLite cannot create the WAL side files) is read
// as immutable (see detail::open_readonly in sqlite_util.h).
//
// Re-writing the same key replaces the row (INSERT OR REPLACE), so a resumed run may re-add its
// epochs/timings/artifacts. begin_run() on an existing run_id resets it to 'running' and deletes
// its results, per_image and curves (they are recomputed at the end of the run).
//
// Claims: a process about to execute a run calls claim_run() (not begin_run()): it starts the
// run like begin_run() and records the process as its owner, unless another owner's 'running'
// run with a fresh heartbeat holds it, so two processes never execute one run at once.
// Redo attempts: a --force redo of a completed run runs under its own run_id (attempt_of = the
// run it redoes), and only promote_attempt() of a completed attempt replaces the run's rows, so
// the recorded results are never lost to a redo that fails or is killed.
//
// Timestamps are UTC text "YYYY-MM-DDTHH:MM:SS.SSSZ" set by SQLite. A run whose status is
// 'running' but whose heartbeat_at is older than `stale_seconds` is REPORTED as 'interrupted'
// by find_run()/runs() (the stored row is changed only by mark_stale_interrupted()); a 'queued'
// run never is.
// Every open (both modes) runs PRAGMA quick_check first; a corrupt database is refused before
// anything is written to it.
// Errors name the database path: InputError when the file cannot be opened/created, is not a
// sodlab store, is corrupt, or (read_only) is at another schema version; RuntimeFailure when a
// write fails.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/options.h"

struct sqlite3;

namespace sodlab::store {

// Default database path: $SODLAB_DB if set, else "results/results.db".
std::string default_db_path();
// Default homes of checkpoints (`--runs-dir`) and HDF5 caches (`--cache-dir`).
std::string default_runs_dir();
std::string default_cache_dir();

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
  std::string overrides;     // the --set overrides it was planned with, canonical text; "" = none
  std::string owner;         // "host:pid" that last claimed it (claim_run); "" = none. Set by the store
  std::string attempt_of;    // a --force redo attempt: the run_id it redoes; "" = not an attempt
};

// One parameter of a run (table params): a config key path and the value it resolved to.
struct ParamRow {
  std::string run_id, key;
  OptionValue value;  // booleans read back as integers 0/1
};

// What claim_run() may take over besides queued, interrupted and stale runs.
struct ClaimPolicy {
  bool take_completed = true;     // false: a completed run is left alone (sweep workers)
  std::string keep_failed_since;  // non-empty (UTC timestamp): a run that failed at or after it is
                                  // left alone (not retried by the sweep that saw it fail)
};

// The outcome of claim_run().
struct ClaimResult {
  bool claimed = false;
  std::string status;                // not claimed: the stored status that kept it ("running",
                                     // "completed" or "failed"); claimed: ""
  std::string owner;                 // the run's owner now: yours if claimed, else the holder's
                                     // ("" = begun by begin_run or an older sodlab, no claim)
  double heartbeat_age_seconds = 0;  // not claimed: seconds since the holder's last heartbeat;
                                     // claimed: 0
};

// An owner "host:pid" on this host whose process no longer exists (killed with -9: its heartbeat
// is still fresh, but nobody is executing the run). Owners on other hosts are never presumed dead.
bool owner_is_dead(const std::string& owner);

// "host:pid" of the calling process (host_name() in provenance.h), the owner for claim_run().
std::string process_owner();

// Selects runs; every field left empty matches any run. Values are bound parameters.
struct RunFilter {
  std::optional<std::string> experiment, variant, profile;
  std::optional<std::string> status;  // the effective status (stale 'running' → 'interrupted')
  std::vector<std::string> run_ids;   // empty = any
  std::vector<std::string> tags;      // runs carrying every one of these tags (empty = any)
};

// A user's note on a run (`sodlab runs note`): notes are only ever added (a merge unites them).
struct RunNote {
  std::string run_id, added_at, text;
};

// One (experiment file, variant, profile, overrides) that refers to a run: two experiment files
// that train the same model share one run id, and each gets a ref.
struct RunRef {
  std::string run_id, experiment, variant, profile, overrides;
  std::string first_seen_at;  // set by the store
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
  std::optional<std::int64_t> bytes;  // bytes read or written (cache phases), none = not measured
};

struct ArtifactRow {
  std::string run_id;
  std::string kind;    // "checkpoint", "predictions", "features", ...
  std::string path;
  std::string sha256;
  std::int64_t bytes = 0;
};

enum class OpenMode { read_write, read_only };

class ResultsStore {
 public:
  // read_write: opens (creating parent directories and the file) and migrates to the current
  // schema. read_only: see the header comment; a missing file → InputError.
  explicit ResultsStore(const std::string& path, OpenMode mode = OpenMode::read_write,
                        double stale_seconds = 300.0);
  ResultsStore(const std::string& path, double stale_seconds)
      : ResultsStore(path, OpenMode::read_write, stale_seconds) {}
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  const std::string& path() const { return path_; }
  OpenMode mode() const { return mode_; }
  static int schema_version();  // the version this code migrates to
  int stored_schema_version();  // the version in the file

  // Inserts or resets the run: status 'running' (unless record.status is set), started_at and
  // heartbeat_at = now, ended_at/error cleared; deletes old results/per_image/curves of the id.
  // A 'queued' run (register_planned) becomes running the same way. Also adds the record's
  // RunRef (experiment, variant, profile, overrides) if absent. owner = none; attempt_of =
  // record.attempt_of. Claims nothing: a process executing the run calls claim_run().
  void begin_run(const RunRecord& record);
  // In one BEGIN IMMEDIATE transaction: if the run exists, its stored status is 'running', its
  // heartbeat is younger than stale_seconds and its owner is not `owner` (a NULL owner counts as
  // another's), nothing changes and the claim fails (claimed = false, the holder's owner and
  // heartbeat age). Otherwise exactly begin_run(record) with owner = `owner` (a queued,
  // completed, failed, interrupted or stale run is taken over; so is one `owner` holds, and one
  // whose owner is a process of this host that no longer exists, e.g. after kill -9).
  // InputError on an empty run_id or owner. Keep heartbeating while executing (see heartbeat()).
  // `policy` may also leave completed runs, and runs that failed since a time, alone (status says
  // which kept it).
  ClaimResult claim_run(const RunRecord& record, const std::string& owner, const ClaimPolicy& policy = {});
  // Replaces run `run_id` by its completed redo attempt, in one transaction: InputError (naming
  // both ids; nothing changed) unless run `attempt_id` exists, is stored 'completed' and has
  // attempt_of = run_id, nor while run_id itself is 'running' with a fresh heartbeat under an
  // owner other than the attempt's. Deletes every child row of run_id (epochs, results, per_image, curves,
  // timings, artifacts), re-points the attempt's child rows to run_id, copies the attempt's
  // config_toml, status, provenance, timestamps, error, owner and overrides onto run_id's row
  // (inserting it from the attempt's if absent), adds the attempt's run_refs to run_id's and
  // deletes the attempt's row. On any failure it rolls back: run_id's rows stay as they were.
  // Artifact paths are copied as they are (record the final paths in the attempt). Starting an
  // attempt (begin_run/claim_run with attempt_of set) clears every child row of the attempt id.
  void promote_attempt(const std::string& attempt_id, const std::string& run_id);
  // Records a planned run: inserts it as 'queued' (started_at NULL) with its RunRef if the
  // run_id is absent; an existing run (any status) is left as it is (its RunRef is still added).
  void register_planned(const RunRecord& record);
  // Adds a ref to an existing run if absent (INSERT OR IGNORE; first_seen_at = now).
  void add_run_ref(const RunRef& ref);
  // Adds the run's parameters (INSERT OR IGNORE, one transaction); InputError if the run does not
  // exist. Only ever added to, like refs: a run shared by two variants has both's parameters.
  void add_params(const std::string& run_id, const std::vector<std::pair<std::string, OptionValue>>& params);
  std::vector<ParamRow> params(const std::string& run_id);  // ordered by key, value
  // Stored 'running' runs owned by `owner` become 'interrupted' with `error` (a worker that died:
  // its runs are free at once, not after the heartbeat goes stale); returns how many.
  int mark_owner_interrupted(const std::string& owner, const std::string& error);
  // Sets status (and error); ended_at = now for completed/failed/interrupted.
  // InputError if the status is not one of the five or the run does not exist.
  void set_status(const std::string& run_id, const std::string& status,
                  const std::string& error = "");
  // heartbeat_at = now. Call it more often than stale_seconds while executing a run: once the
  // heartbeat is older, the run is reported 'interrupted' and the next claim_run() takes it over.
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
  // Runs matching the filter (on the runs columns, status = effective status), ordered by
  // started_at (queued runs, not started, last), then run_id.
  std::vector<RunRecord> runs(const RunFilter& filter = {});  // attempts included
  // The refs of a run, and the refs of an experiment under a profile (any variant, any
  // overrides), ordered by variant, overrides, run_id.
  std::vector<RunRef> run_refs(const std::string& run_id);
  std::vector<RunRef> run_refs_of(const std::string& experiment, const std::string& profile);
  // The profile under which the experiment refers (run_refs) to its most recently ended
  // completed run; nullopt if it has none.
  std::optional<std::string> latest_completed_profile(const std::string& experiment);
  std::vector<EpochRecord> epochs(const std::string& run_id);
  std::vector<ResultRow> results(const std::string& run_id);
  std::vector<PerImageRow> per_image(const std::string& run_id);

  // Tags and notes (schema version 8): what a user says about a run; never part of its identity
  // (no run column changes). `add_tags` ignores tags the run already has; `remove_tags` returns
  // how many it removed. InputError for a run id not in the store (naming it and the file), an
  // empty tag or one with a comma or whitespace, an empty note. A read-only store of version 7
  // (before tags) reads as having none.
  void add_tags(const std::string& run_id, const std::vector<std::string>& tags);
  int remove_tags(const std::string& run_id, const std::vector<std::string>& tags);
  void add_note(const std::string& run_id, const std::string& text);
  std::vector<std::string> tags(const std::string& run_id);  // sorted
  std::vector<RunNote> notes(const std::string& run_id);     // oldest first
  // One metric's per-image values of a run on (dataset, distortion, convention): image stem →
  // value, NaN where the stored value is NULL (SQLite stores a NaN as NULL, e.g. the AUROC of an
  // image with one class); empty when the run has none.
  std::map<std::string, double> per_image_values(const std::string& run_id, const std::string& dataset,
                                                 const std::string& distortion, const std::string& metric,
                                                 const std::string& convention);
  std::vector<CurvePoint> curves(const std::string& run_id);
  std::vector<TimingRow> timings(const std::string& run_id);
  std::vector<ArtifactRow> artifacts(const std::string& run_id);

  // Copies the runs (and their rows) of a shard store into this one. A run_id present in both
  // keeps the better truth, by status only (wall clocks of different hosts decide nothing):
  // completed > interrupted = failed > running = queued; a shard copy replaces the store's only
  // when its status ranks higher. Two completed copies whose results differ are a conflict:
  // InputError naming the run and the first differing result, nothing changed, unless `prefer`
  // picks a side (recorded in the merges table). A run this store shows executing (running,
  // fresh heartbeat) is never touched: it is reported as deferred. run_refs and params of both
  // are kept (union). The shard is only read (opened immutable, copied aside and migrated there):
  // a refused shard is left byte for byte, a read-only one merges, no side files are left beside
  // it. A shard of a newer schema, a foreign or corrupt file is an InputError naming it.
  // Idempotent: merging the same shard again changes nothing.
  enum class MergePrefer { none, store, shard };
  struct MergeSummary {
    int copied = 0;     // new here, or replacing a lower-ranked copy
    int kept = 0;       // already here as good or better (identical results when both completed)
    int settled = 0;    // conflicts settled by `prefer`
    std::vector<std::string> deferred;  // executing here: "run_id (owner)"
  };
  MergeSummary merge_from(const std::string& shard_path, MergePrefer prefer = MergePrefer::none);

 private:
  void migrate();
  // begin_run()'s work inside the caller's transaction; `owner` "" = NULL.
  void start_run_locked(const RunRecord& record, const std::string& status, const std::string& owner);
  void require_writable(const char* operation) const;  // RuntimeFailure on a read-only store
  std::string path_;
  OpenMode mode_;
  double stale_seconds_;
  bool has_tags_ = true;  // false: a read-only store of version 7 (no run_tags / run_notes)
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace sodlab::store
