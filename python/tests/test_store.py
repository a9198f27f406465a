"""sodlab.store: a results database written by the sodlab command, read as pandas DataFrames."""
import os
import shutil
import sqlite3
import subprocess

import pytest

from conftest import REPO, SYNTHETIC, need

pandas = pytest.importorskip("pandas")
import sodlab.store  # noqa: E402


def sodlab_bin():
    path = os.environ.get("SODLAB_BIN") or shutil.which("sodlab") or str(REPO / "build" / "sodlab")
    if not os.path.exists(path):
        pytest.skip("no sodlab executable (set SODLAB_BIN)")
    return path


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    need(SYNTHETIC)
    db = tmp_path_factory.mktemp("store") / "results.db"
    subprocess.run([sodlab_bin(), "eval", "--pred", f"mine={SYNTHETIC / 'pred'}", "--gt", f"syn={SYNTHETIC / 'gt'}",
                    "--metrics", "mae,fm", "--db", str(db), "--threads", "1"], check=True, capture_output=True)
    return db


def test_runs_results_and_per_image_as_dataframes(database):
    with sodlab.store.open(database) as store:
        runs = store.runs()
        assert len(runs) == 1 and runs.loc[0, "status"] == "completed" and runs.loc[0, "variant"] == "mine"
        results = store.results(metric="MAE")
        assert len(results) == 1 and results.loc[0, "dataset"] == "syn"
        per_image = store.per_image(metric="MAE")
        assert len(per_image) == 200 and {"experiment", "variant", "image", "value"} <= set(per_image.columns)
        assert per_image["value"].mean() == pytest.approx(results.loc[0, "value"], abs=1e-12)
        assert len(store.curves(curve="P")) == 256
        assert store.sql("SELECT count(*) AS n FROM results").loc[0, "n"] == len(store.results())
        with pytest.raises(ValueError, match="unknown column 'nope'"):
            store.results(nope=1)


def test_tags_and_notes_of_runs(database, tmp_path):
    copy = tmp_path / "results.db"
    shutil.copy(database, copy)
    run_id = sodlab.store.open(copy).runs().loc[0, "run_id"]
    subprocess.run([sodlab_bin(), "runs", "tag", run_id, "baseline", "--db", str(copy)], check=True, capture_output=True)
    subprocess.run([sodlab_bin(), "runs", "note", run_id, "DSS-like maps", "--db", str(copy)], check=True,
                   capture_output=True)
    with sodlab.store.open(copy) as store:
        tagged = store.runs(tag="baseline")
        assert list(tagged["run_id"]) == [run_id] and tagged.loc[0, "notes"] == "DSS-like maps"
        assert store.runs(tag="other").empty


def test_opened_read_only(database):
    with sodlab.store.open(database) as store:
        with pytest.raises(pandas.errors.DatabaseError):
            store.sql("DELETE FROM results")
    assert sqlite3.connect(database).execute("SELECT count(*) FROM results").fetchone()[0] > 0


def test_not_a_store_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such results database"):
        sodlab.store.open(tmp_path / "missing.db")
    (tmp_path / "text.db").write_text("not sqlite")
    with pytest.raises(ValueError, match="text.db: not an SQLite database"):
        sodlab.store.open(tmp_path / "text.db")
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE x (a)")
    with pytest.raises(ValueError, match="not a sodlab results database"):
        sodlab.store.open(tmp_path / "other.db")
