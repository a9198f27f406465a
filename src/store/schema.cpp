#include "store/schema.h"

#include <algorithm>

#include <sstream>

#include "core/error.h"
#include "store/results_store.h"
#include "store/sqlite_util.h"

namespace sodlab::store::detail {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m{
      // 1: tables.
      R"sql(
CREATE TABLE runs (
  run_id       TEXT PRIMARY KEY,
  experiment   TEXT NOT NULL,
  variant      TEXT NOT NULL,
  profile      TEXT NOT NULL,
  fold         INTEGER NOT NULL,          -- -1 = no k-fold
  seed         INTEGER NOT NULL,
  config_toml  TEXT NOT NULL,             -- canonical resolved config
  status       TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','interrupted')),
  code_version TEXT,
  code_dirty   INTEGER NOT NULL DEFAULT 0,
  host         TEXT,
  cpu          TEXT,
  threads      INTEGER,
  device       TEXT,
  libtorch     TEXT,
  opencv       TEXT,
  started_at   TEXT,                      -- UTC, YYYY-MM-DDTHH:MM:SS.SSSZ
  ended_at     TEXT,
  heartbeat_at TEXT,
  error        TEXT
);
CREATE TABLE epochs (
  run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  stage      TEXT NOT NULL,
  epoch      INTEGER NOT NULL,
  train_loss REAL,
  val_loss   REAL,
  lr         REAL,
  seconds    REAL,
  PRIMARY KEY (run_id, stage, epoch)
);
CREATE TABLE results (
  run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  dataset    TEXT NOT NULL,
  distortion TEXT NOT NULL,
  metric     TEXT NOT NULL,
  convention TEXT NOT NULL,
  value      REAL,
  PRIMARY KEY (run_id, dataset, distortion, metric, convention)
);
CREATE TABLE per_image (
  run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  dataset    TEXT NOT NULL,
  distortion TEXT NOT NULL,
  image      TEXT NOT NULL,
  metric     TEXT NOT NULL,
  convention TEXT NOT NULL,
  value      REAL,
  PRIMARY KEY (run_id, dataset, distortion, image, metric, convention)
);
CREATE TABLE curves (
  run_id     TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  dataset    TEXT NOT NULL,
  distortion TEXT NOT NULL,
  curve      TEXT NOT NULL,
  idx        INTEGER NOT NULL,
  x          REAL,
  y          REAL,
  PRIMARY KEY (run_id, dataset, distortion, curve, idx)
);
CREATE TABLE timings (
  run_id  TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  phase   TEXT NOT NULL,
  seconds REAL NOT NULL,
  items   INTEGER NOT NULL DEFAULT 0,
  device  TEXT,
  PRIMARY KEY (run_id, phase)
);
CREATE TABLE artifacts (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  path   TEXT NOT NULL,
  sha256 TEXT,
  bytes  INTEGER,
  PRIMARY KEY (run_id, kind, path)
);
)sql",
      // 2: lookup indexes and a flat view of results with their run's identity.
      R"sql(
CREATE INDEX runs_by_experiment ON runs (experiment, profile, variant);
CREATE INDEX results_by_metric ON results (dataset, metric, convention);
CREATE VIEW run_results AS
  SELECT r.experiment, r.variant, r.profile, r.seed, r.fold, r.status, r.code_version,
         x.run_id, x.dataset, x.distortion, x.metric, x.convention, x.value
  FROM results x JOIN runs r USING (run_id);
)sql",
      // 3: the --set overrides of a run; which experiment files / variants / profiles refer to
      // a run (one ref per existing run); run_results gains overrides; run_overview for
      // `sodlab runs`.
      R"sql(
ALTER TABLE runs ADD COLUMN overrides TEXT NOT NULL DEFAULT '';  -- canonical --set text, '' = none
CREATE TABLE run_refs (
  run_id        TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  experiment    TEXT NOT NULL,
  variant       TEXT NOT NULL,
  profile       TEXT NOT NULL,
  overrides     TEXT NOT NULL DEFAULT '',
  first_seen_at TEXT NOT NULL,                -- UTC, YYYY-MM-DDTHH:MM:SS.SSSZ
  PRIMARY KEY (run_id, experiment, variant, profile, overrides)
);
CREATE INDEX run_refs_by_experiment ON run_refs (experiment, profile, variant);
INSERT INTO run_refs (run_id, experiment, variant, profile, overrides, first_seen_at)
  SELECT run_id, experiment, variant, profile, '',
         coalesce(started_at, strftime('%Y-%m-%dT%H:%M:%fZ','now')) FROM runs;
DROP VIEW run_results;
CREATE VIEW run_results AS
  SELECT r.experiment, r.variant, r.profile, r.seed, r.fold, r.status, r.code_version,
         x.run_id, x.dataset, x.distortion, x.metric, x.convention, x.value, r.overrides
  FROM results x JOIN runs r USING (run_id);
CREATE VIEW run_overview AS
  SELECT r.run_id, r.experiment, r.variant, r.profile, r.overrides, r.fold, r.seed, r.status,
         r.code_version, r.code_dirty, r.host, r.cpu, r.threads, r.device, r.libtorch, r.opencv,
         r.started_at, r.ended_at, r.heartbeat_at, r.error,
         (SELECT count(*) FROM run_refs f WHERE f.run_id = r.run_id) AS refs
  FROM runs r;
)sql",
      // 4: run claims (owner) and redo attempts (attempt_of); run_results leaves attempts out
      // (their results replace the run's only when promoted); run_overview shows both.
      R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT;       -- "host:pid" of the process that claimed it, NULL = none
ALTER TABLE runs ADD COLUMN attempt_of TEXT;  -- run_id a --force redo attempt redoes, NULL = not one
DROP VIEW run_results;
CREATE VIEW run_results AS
  SELECT r.experiment, r.variant, r.profile, r.seed, r.fold, r.status, r.code_version,
         x.run_id, x.dataset, x.distortion, x.metric, x.convention, x.value, r.overrides
  FROM results x JOIN runs r USING (run_id)
  WHERE r.attempt_of IS NULL;
DROP VIEW run_overview;
CREATE VIEW run_overview AS
  SELECT r.run_id, r.experiment, r.variant, r.profile, r.overrides, r.fold, r.seed, r.status,
         r.attempt_of, r.code_version, r.code_dirty, r.host, r.cpu, r.threads, r.device,
         r.libtorch, r.opencv, r.started_at, r.ended_at, r.heartbeat_at, r.error, r.owner,
         (SELECT count(*) FROM run_refs f WHERE f.run_id = r.run_id) AS refs
  FROM runs r;
)sql",
      // 5: the parameters of a run (what its variant or sweep point sets), queryable in SQL;
      // run_params joins them with the run's identity.
      R"sql(
CREATE TABLE params (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,     -- config key path, e.g. loss.theta
  value,                    -- as typed in TOML: INTEGER, REAL or TEXT (booleans 0/1; arrays and
                            -- tables as TOML text)
  PRIMARY KEY (run_id, key, value)
);
CREATE INDEX params_by_key ON params (key, value);
CREATE VIEW run_params AS
  SELECT r.run_id, r.experiment, r.variant, r.profile, r.fold, r.seed, r.status, p.key, p.value
  FROM params p JOIN runs r USING (run_id)
  WHERE r.attempt_of IS NULL;
)sql",
      // 6: bytes moved by a phase (the caches' hits and misses: bytes read and written).
      R"sql(
ALTER TABLE timings ADD COLUMN bytes INTEGER;  -- NULL = not measured
)sql",
      // 7: what `sodlab merge` decided where a shard's copy of a run was not simply new: a
      // better status replacing the store's, a conflict settled by --prefer, a run deferred
      // because it was executing here.
      R"sql(
CREATE TABLE merges (
  merged_at TEXT NOT NULL,
  shard TEXT NOT NULL,
  run_id TEXT NOT NULL,
  decision TEXT NOT NULL,  -- replaced | kept (--prefer store) | taken (--prefer shard) | deferred
  detail TEXT NOT NULL
);
CREATE INDEX merges_by_run ON merges (run_id);
)sql",
      // 8: tags and notes a user attaches to a run (`sodlab runs tag|note`); never part of its
      // identity; a merge unites them like refs. run_overview shows both.
      R"sql(
CREATE TABLE run_tags (
  run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  tag      TEXT NOT NULL,
  added_at TEXT NOT NULL,                     -- UTC, YYYY-MM-DDTHH:MM:SS.SSSZ
  PRIMARY KEY (run_id, tag)
);
CREATE INDEX run_tags_by_tag ON run_tags (tag);
CREATE TABLE run_notes (
  run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  added_at TEXT NOT NULL,
  text     TEXT NOT NULL,
  PRIMARY KEY (run_id, added_at, text)
);
DROP VIEW run_overview;
CREATE VIEW run_overview AS
  SELECT r.run_id, r.experiment, r.variant, r.profile, r.overrides, r.fold, r.seed, r.status,
         r.attempt_of, r.code_version, r.code_dirty, r.host, r.cpu, r.threads, r.device,
         r.libtorch, r.opencv, r.started_at, r.ended_at, r.heartbeat_at, r.error, r.owner,
         (SELECT count(*) FROM run_refs f WHERE f.run_id = r.run_id) AS refs,
         (SELECT group_concat(tag, ',') FROM (SELECT tag FROM run_tags t WHERE t.run_id = r.run_id
                                              ORDER BY tag)) AS tags,
         (SELECT group_concat(text, ' | ') FROM (SELECT text FROM run_notes n WHERE n.run_id = r.run_id
                                                 ORDER BY added_at, rowid)) AS notes
  FROM runs r;
)sql",
  };
  return m;
}

std::string effective_status_sql(double stale_seconds) {
  std::ostringstream os;
  os.precision(17);
  os << "(CASE WHEN status = 'running' AND heartbeat_at IS NOT NULL AND "
        "(julianday('now') - julianday(heartbeat_at)) * 86400.0 > "
     << stale_seconds << " THEN 'interrupted' ELSE status END)";
  return os.str();
}

std::string run_filter_sql(const RunFilter& f, std::vector<std::string>& params) {
  std::string sql;
  auto term = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    sql += std::string(sql.empty() ? "" : " AND ") + column + " = ?";
    params.push_back(*value);
  };
  term("experiment", f.experiment);
  term("variant", f.variant);
  term("profile", f.profile);
  term("status", f.status);
  for (const auto& tag : f.tags) {
    sql += std::string(sql.empty() ? "" : " AND ") + "run_id IN (SELECT run_id FROM run_tags WHERE tag = ?)";
    params.push_back(tag);
  }
  if (!f.run_ids.empty()) {
    sql += std::string(sql.empty() ? "" : " AND ") + "run_id IN (";
    for (std::size_t i = 0; i < f.run_ids.size(); ++i) {
      sql += i ? ",?" : "?";
      params.push_back(f.run_ids[i]);
    }
    sql += ")";
  }
  return sql.empty() ? "1" : sql;
}

int require_current_schema(sqlite3* db, const std::string& path, int oldest) {
  {
    Stmt t(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
    if (!t.step() || t.integer(0) == 0)
      throw InputError(path + ": not a sodlab results database (no schema_version table)");
  }
  Stmt s(db, "SELECT coalesce(max(version), 0) FROM schema_version");
  const int version = s.step() ? static_cast<int>(s.integer(0)) : 0;
  const int current = static_cast<int>(migrations().size());
  if (version > current)
    throw InputError(path + ": schema version " + std::to_string(version) +
                     " is newer than this sodlab (" + std::to_string(current) +
                     "); update sodlab to read this database");
  if (version < std::min(oldest, current))
    throw InputError(path + ": schema version " + std::to_string(version) + ", this sodlab reads " +
                     std::to_string(current) + "; a writing command (e.g. `sodlab run`) migrates it");
  return version;
}

const std::vector<std::string>& child_tables() {
  static const std::vector<std::string> t{"epochs",  "results",   "per_image", "curves",
                                          "timings", "artifacts"};
  return t;
}

}  // namespace sodlab::store::detail
