#include "store/schema.h"

#include <sstream>

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

const std::vector<std::string>& child_tables() {
  static const std::vector<std::string> t{"epochs",  "results",   "per_image", "curves",
                                          "timings", "artifacts"};
  return t;
}

}  // namespace sodlab::store::detail
