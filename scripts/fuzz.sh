#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (build-fuzz/) and runs each for a while.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default 60 s, every target
# Environment: FUZZ_JOBS (build parallelism, default 1), FUZZ_BUILD (default build-fuzz),
# FUZZ_FLAGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2" or "-only_ascii=1").
#
# Each target fuzzes build-fuzz/corpus/<target>/ (kept between runs; new inputs go there) with the
# checked-in seeds fuzz/corpus/<target>/ as a second, read-only corpus: the checkout is never
# written. Prints per target the executions run and what was found; exits 1 when a target
# crashed, leaked, timed out or ran out of memory, naming the reproducer file
# (build-fuzz/artifacts/<target>/crash-*, see fuzz/README.md to reproduce).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
shift || true
ALL_TARGETS=(fuzz_experiment fuzz_gray_image)
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL_TARGETS[@]}")
BUILD=${FUZZ_BUILD:-build-fuzz}
JOBS=${FUZZ_JOBS:-1}

# Dependencies: the build's own packages (OpenCV, libpng, TOML++, OpenSSL, cmake, ninja) and the
# fuzzing toolchain (clang-14, libclang-rt-14-dev with libFuzzer, llvm-14 for llvm-symbolizer).
scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh
scripts/install-deps.sh --fuzz --check 2>/dev/null || scripts/install-deps.sh --fuzz

if [[ ! -f $BUILD/build.ninja ]]; then
  cmake -S fuzz -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
fi
build_start=$(date +%s)
cmake --build "$BUILD" -j "$JOBS"
echo "fuzz: build took $(($(date +%s) - build_start)) s (-j $JOBS)"

SYMBOLIZER=/usr/lib/llvm-14/bin/llvm-symbolizer
[[ -x $SYMBOLIZER ]] && export ASAN_SYMBOLIZER_PATH=$SYMBOLIZER UBSAN_SYMBOLIZER_PATH=$SYMBOLIZER
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
mkdir -p "$BUILD/tmp"
export TMPDIR=$PWD/$BUILD/tmp

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  [[ -x $BUILD/$t ]] || { echo "fuzz: no target $t (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
  corpus=$BUILD/corpus/$t
  artifacts=$BUILD/artifacts/$t
  log=$BUILD/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  dict=()
  [[ -f fuzz/$t.dict ]] && dict=(-dict="fuzz/$t.dict")
  echo "fuzz: $t for ${SECONDS_PER_TARGET} s (log $log)"
  rc=0
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  "$BUILD/$t" "${dict[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
    "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  execs=$(final_stat number_of_executed_units)
  per_sec=$(final_stat average_exec_per_sec)
  added=$(final_stat new_units_added)
  rss=$(final_stat peak_rss_mb)
  cov=$({ grep -a -o 'cov: [0-9]*' "$log" || true; } | tail -1 | cut -d' ' -f2)
  line="$t: ${execs:-?} executions (${per_sec:-?}/s), coverage ${cov:-?} edges, ${added:-?} new inputs, corpus $(find "$corpus" -type f | wc -l) files, peak RSS ${rss:-?} MB"
  if ((rc != 0)); then
    line+=" -> FAILED (exit $rc)"
    failed+=("$t")
    echo "---- $t: last lines of $log"
    grep -a -v '^#[0-9]' "$log" | tail -40
    grep -a -o "Test unit written to .*" "$log" | sed 's/^/     /' || true
  fi
  summary+=("$line")
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (reproducers above; fuzz/README.md says how to replay and minimise them)" >&2
  exit 1
fi
echo "fuzz: no findings"
