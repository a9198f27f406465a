"""A sodlab results database (results/results.db) as pandas DataFrames, read-only, for notebooks.

    import sodlab.store
    db = sodlab.store.open("results/results.db")
    db.results(experiment="kolkin2017/table4", metric="wFm")   # one row per (run, dataset, ...)
    db.per_image(run_id=...)  ;  db.runs(tag="baseline")  ;  db.epochs()  ;  db.params()  ;  db.timings()

Rows come from the store's own views (src/store/schema.cpp: run_overview, run_results,
run_params), so every frame carries the run's identity (experiment, variant, profile, fold,
seed, status). The file is opened with SQLite's read-only mode: nothing here can change or lose
a recorded result, and a database that is not a sodlab store is a ValueError naming the file.
"""
import os
import sqlite3

__all__ = ["open", "Store"]

_IDENTITY = "r.experiment, r.variant, r.profile, r.fold, r.seed, r.status"


def _pandas():
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - pandas is a declared dependency
        raise ImportError("sodlab.store needs pandas (Debian: python3-pandas)") from error
    return pandas


class Store:
    """One results database, opened read-only. Filters are keyword equalities on a frame's columns."""

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise ValueError(f"{self.path}: no such results database")
        uri = "file:" + os.path.abspath(self.path).replace("?", "%3f").replace("#", "%23") + "?mode=ro"
        self._db = sqlite3.connect(uri, uri=True)
        try:
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise ValueError(f"{self.path}: not an SQLite database ({error})") from None
        if "schema_version" not in tables or "runs" not in tables:
            self._db.close()
            raise ValueError(f"{self.path}: not a sodlab results database (no schema_version/runs table)")
        self.schema_version = self._db.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def sql(self, query, params=()):
        """Any read-only SQL query as a DataFrame."""
        return _pandas().read_sql_query(query, self._db, params=params)

    def _frame(self, query, filters):
        frame = self.sql(query)
        for column, value in filters.items():
            if column not in frame.columns:
                raise ValueError(f"unknown column {column!r}; columns: {', '.join(frame.columns)}")
            frame = frame[frame[column] == value]
        return frame.reset_index(drop=True)

    def runs(self, tag=None, **filters):
        """Every run (run_overview: identity, status, provenance, times, tags, notes), redo attempts
        included; tag: only runs carrying it (`sodlab runs tag RUN TAG`)."""
        frame = self._frame("SELECT * FROM run_overview ORDER BY experiment, variant, fold, seed", filters)
        if tag is not None:
            if "tags" not in frame.columns:
                raise ValueError(f"{self.path}: this store (schema {self.schema_version}) has no tags")
            frame = frame[frame["tags"].fillna("").map(lambda t: tag in t.split(","))].reset_index(drop=True)
        return frame

    def results(self, **filters):
        """Dataset-level results of the runs that count (not redo attempts): one row per metric value."""
        return self._frame("SELECT * FROM run_results ORDER BY experiment, variant, fold, seed, dataset, metric",
                           filters)

    def per_image(self, **filters):
        """Per-image values, with their run's identity."""
        return self._frame(
            f"SELECT {_IDENTITY}, x.* FROM per_image x JOIN runs r USING (run_id) WHERE r.attempt_of IS NULL "
            "ORDER BY x.run_id, x.dataset, x.distortion, x.image, x.metric", filters)

    def epochs(self, **filters):
        """Training curves: loss, learning rate and seconds per epoch and stage."""
        return self._frame(
            f"SELECT {_IDENTITY}, e.* FROM epochs e JOIN runs r USING (run_id) ORDER BY e.run_id, e.stage, e.epoch",
            filters)

    def params(self, **filters):
        """Every resolved config key of every run (run_params), one row per (run, key)."""
        return self._frame("SELECT * FROM run_params ORDER BY run_id, key", filters)

    def timings(self, **filters):
        """Wall time (and items) of each phase of each run."""
        return self._frame(f"SELECT {_IDENTITY}, t.* FROM timings t JOIN runs r USING (run_id) ORDER BY t.run_id",
                           filters)

    def curves(self, **filters):
        """Dataset curves (PR, F, E, ...): one row per point."""
        return self._frame(f"SELECT {_IDENTITY}, c.* FROM curves c JOIN runs r USING (run_id) "
                           "ORDER BY c.run_id, c.dataset, c.distortion, c.curve, c.idx", filters)


def open(path):  # noqa: A001 (the module's verb, as sqlite3.connect)
    """Opens a results database read-only."""
    return Store(path)
