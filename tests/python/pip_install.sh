#!/usr/bin/env bash
# `pip install ./python` works offline (--no-index, with pip's build isolation) into a venv that
# sees Debian's numpy/pandas/pytest, and the installed package, imported from site-packages (not
# the source tree), passes the drop-in test against PySODMetrics' values.
#   pip_install.sh <repo> <work-dir>
set -euo pipefail
repo=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
python3=/usr/bin/python3
if ! "$python3" -c "import venv, ensurepip" 2>/dev/null; then echo "SKIPPED: python3-venv is not installed"; exit 0; fi
"$python3" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --no-index --config-settings "build-dir=$work/build" --config-settings jobs=2 \
  "$repo/python" > "$work/pip.log" 2>&1 || { tail -40 "$work/pip.log"; exit 1; }
cd "$work"  # away from the source tree: the import must come from site-packages
"$work/venv/bin/python" - <<PY
import sodlab, sys
assert sodlab.__file__.startswith("$work/venv/"), sodlab.__file__
print("installed:", sodlab.__file__)
PY
cp "$repo"/python/tests/{conftest.py,pysod_style_recorder.py,test_dropin.py} "$work/"
PYTHONDONTWRITEBYTECODE=1 SODLAB_SHARED_DIR="${SODLAB_SHARED_DIR:-$repo/../shared}" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$work/test_dropin.py"
