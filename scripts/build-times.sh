#!/usr/bin/env bash
# The slowest translation units and links of the last build, from ninja's log (.ninja_log: one
# line per step, start and end in ms; a step rebuilt later keeps its last time).
# usage: scripts/build-times.sh [BUILD_DIR] [N]   (default build, 25)
set -euo pipefail
build=${1:-build}
n=${2:-25}
log="$build/.ninja_log"
[[ -f $log ]] || { echo "build-times: no $log (build first: make build)" >&2; exit 2; }
awk -v n="$n" '
  /^#/ { next }
  { t[$4] = ($2 - $1) / 1000.0 }
  END {
    total = 0; count = 0; torch = 0
    for (k in t) { total += t[k]; count++ }
    printf "%d steps, %.0f s of compile and link work (CPU seconds, ~ wall x jobs)\n", count, total
    printf "%8s  %s\n", "seconds", "step"
    cmd = "sort -rn | head -" n
    for (k in t) printf "%8.1f  %s\n", t[k], k | cmd
    close(cmd)
  }' "$log"
