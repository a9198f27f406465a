"""Shared paths for the Python tests (run by ctest: tests/python/CMakeLists.txt).

SODLAB_SHARED_DIR (default: <repo>/../shared) holds the fixtures and data; a test that needs it
and cannot find it is skipped, and a run in which nothing passed prints "SKIPPED: ..." so that
ctest counts it as skipped, never as passed. SODLAB_BIN: the sodlab executable (store tests).
"""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("SODLAB_SHARED_DIR", REPO.parent / "shared"))
FIXTURES = SHARED / "fixtures"
SOD300_MASKS = SHARED / "data" / "sod300" / "masks"
SOD300_IMAGES = SHARED / "data" / "sod300" / "images"
DSS_MAPS = FIXTURES / "sod300-published-maps" / "DSS"
SYNTHETIC = FIXTURES / "pysod-synthetic"
PYSOD_ALL = FIXTURES / "pysod-all"


def need(*paths):
    """Skips the calling test unless every path exists."""
    for path in paths:
        if not pathlib.Path(path).exists():
            pytest.skip(f"{path} not found (set SODLAB_SHARED_DIR)")


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    if not stats.get("passed") and stats.get("skipped") and not stats.get("failed") and not stats.get("error"):
        reasons = {str(r.longrepr[-1]) if isinstance(r.longrepr, tuple) else str(r.longrepr) for r in stats["skipped"]}
        terminalreporter.write_line("SKIPPED: " + "; ".join(sorted(reasons)))
