#!/usr/bin/env bash
# The GPU check: builds the GPU-check subset (cmake/gpu_check.cmake: sodlab-gpu-check and the
# device tests) and runs it, on a machine that has CUDA, PyTorch 2.x, CMake, ninja and a C++
# compiler but no package manager and no network.
#
#   scripts/gpu-check.sh --prepare
#       Here, on Debian 12 as root with the network: downloads the Debian packages the subset needs
#       (apt-get download) and unpacks the headers and libraries it uses into .gpu-deps/
#       (git-ignored; the one folder to carry to the GPU machine). Prints its size and fails if it
#       and the tracked tree exceed 64 MiB, or if a carried library needs one that is not carried.
#   scripts/gpu-check.sh [--torch python|system] [--build-dir DIR] [--jobs N] [--steps N]
#       Configures DIR (default build-gpu/) with -DSODLAB_GPU_CHECK_ONLY=ON -DSODLAB_TORCH=python
#       (default: the LibTorch inside python3's PyTorch; `system` = Debian's, to try it here)
#       -DSODLAB_GPU_DEPS=.gpu-deps, builds with all cores (or N), runs the device tests (ctest) and
#       sodlab-gpu-check (paper-profile SZN and MEnet training steps, fp32 / bf16 / fp16, N timed
#       steps each, default 10), and prints a summary; with $OUT set, writes it to
#       $OUT/gpu-check.txt and the full log to $OUT/gpu-check-log.txt.
#
# Exit: 0 built, tests passed, every model and precision timed; 77 the same, but no CUDA device
# visible (sodlab-gpu-check skipped: the expected result on a machine without a GPU); 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPS="$ROOT/.gpu-deps"
LIMIT_MIB=64

# The Debian packages unpacked by --prepare. OpenCV core + imgproc (+ their libraries: TBB, LAPACK
# and BLAS with gfortran, GLX with X11); imgcodecs' headers only (its library pulls GDAL: the subset
# links cmake/imgcodecs_unavailable.cpp instead); HDF5's static archives (its shared library pulls
# libcurl); libcrypto; libpng + zlib; TOML++; nlohmann-json, CLI11, Catch2 (headers).
PACKAGES=(
  libopencv-core-dev libopencv-core406 libopencv-imgproc-dev libopencv-imgproc406 libopencv-imgcodecs-dev
  libtbb12 liblapack3 libblas3 libgfortran5 libquadmath0
  libglx0 libglvnd0 libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0
  libhdf5-dev libaec-dev
  libssl-dev libssl3 libpng-dev libpng16-16 zlib1g zlib1g-dev
  libtomlplusplus-dev libtomlplusplus3 nlohmann-json3-dev libcli11-dev catch2
)
# Provided by every machine with a C++ compiler: never carried.
BASE_LIBS="libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 ld-linux-x86-64.so.2 libstdc++.so.6 libgcc_s.so.1"

die() { echo "gpu-check: $*" >&2; exit 1; }

tree_bytes() { (cd "$ROOT" && git ls-files -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1); }

prepare() {
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "--prepare needs Debian's apt-get and dpkg-deb"
  local tmp new lib
  tmp=$(mktemp -d) || die "mktemp failed"
  trap 'rm -rf "$tmp"' RETURN
  echo "gpu-check: downloading ${#PACKAGES[@]} Debian packages"
  if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "${PACKAGES[@]}" >/dev/null); then
    echo "gpu-check: apt-get download failed; updating the package lists and trying again"
    apt-get -q update >/dev/null && (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "${PACKAGES[@]}" >/dev/null) ||
      die "apt-get download failed (as root, with network access?)"
  fi
  new="$DEPS.new"
  rm -rf "$new" && mkdir -p "$new" || die "cannot create $new"
  for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$new" || die "dpkg-deb -x $deb failed"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$new/PACKAGES"
  done
  lib="$new/usr/lib/x86_64-linux-gnu"
  # One library folder (bookworm's zlib1g still installs into /lib), and relative links only (an
  # absolute one would point outside the folder once carried).
  if [[ -d $new/lib ]]; then
    cp -a "$new"/lib/. "$new/usr/lib/" && rm -rf "$new/lib"
  fi
  local link target
  while IFS= read -r link; do
    target=$(readlink "$link")
    target="$new/usr${target#/usr}"
    [[ -e $target ]] && ln -sfr "$target" "$link"
  done < <(find "$new" -type l -lname '/*')
  # Debian's alternatives (not run by dpkg-deb -x) would link these into the library folder.
  mv "$lib"/blas/libblas.so.3* "$lib"/lapack/liblapack.so.3* "$lib"/ && rm -rf "$lib/blas" "$lib/lapack"
  # Multi-arch headers into the plain include folder (a non-Debian compiler does not search there).
  cp -a "$new"/usr/include/x86_64-linux-gnu/openssl/. "$new/usr/include/openssl/"
  cp -a "$new"/usr/include/x86_64-linux-gnu/opencv4/opencv2/. "$new/usr/include/opencv4/opencv2/"
  rm -rf "$new/usr/include/x86_64-linux-gnu"
  # Only what the subset compiles and links against.
  rm -rf "$new"/usr/share/{doc,doc-base,man,lintian,bug,pkgconfig} "$new"/usr/bin "$new"/etc "$lib"/pkgconfig \
         "$lib"/hdf5 "$lib"/engines-3 "$lib"/ossl-modules "$lib"/libssl.* "$lib"/libhdf5_serial*.so* \
         "$lib"/libhdf5_serial*fortran* "$lib"/libhdf5_serial_hl* "$lib"/libopencv_imgcodecs.so \
         "$new"/usr/include/opencv4/opencv2/core/{cuda,opencl} "$new"/usr/include/opencv4/opencv2/core/cuda*.hpp \
         "$new"/usr/include/hdf5/serial/*.mod
  find "$lib" -name '*.a' ! -name 'libhdf5_serial.a' ! -name 'libhdf5_serial_cpp.a' ! -name 'libsz.a' ! -name 'libaec.a' -delete
  find "$new" -xtype l -delete  # links whose target was pruned

  # Every carried library's dependencies are carried too, or are the C/C++ runtime.
  local missing="" so need
  for so in "$lib"/*.so*; do
    [[ -L $so ]] && continue
    for need in $(readelf -d "$so" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [[ " $BASE_LIBS " == *" $need "* || -e "$lib/$need" ]] || missing+=" $(basename "$so")->$need"
    done
  done
  [[ -z $missing ]] || die "carried libraries need libraries that are not carried:$missing"
  # The newest glibc / libstdc++ symbol versions they need, checked on the GPU machine.
  local needs
  needs=$(for so in "$lib"/*.so*; do [[ -L $so ]] || objdump -T "$so" 2>/dev/null; done |
          grep -oE '\b(GLIBC|GLIBCXX|CXXABI)_[0-9.]+' | sort -u -t_ -k1,1 -k2,2V |
          awk -F_ '{v[$1]=$0} END {for (k in v) print v[k]}' | sort | paste -sd' ')
  {
    echo "Prepared by scripts/gpu-check.sh --prepare on $(uname -n) ($(. /etc/os-release && echo "$PRETTY_NAME")), $(date -u +%FT%TZ)"
    echo "needs: $needs"
  } >"$new/MANIFEST"

  local bytes tree
  bytes=$(du -sb "$new" | cut -f1)
  tree=$(tree_bytes)
  rm -rf "$DEPS" && mv "$new" "$DEPS" || die "cannot move $new to $DEPS"
  awk -v d="$bytes" -v t="$tree" -v n="$(find "$DEPS" -type f | wc -l)" -v needs="$needs" \
    'BEGIN {printf "gpu-check: .gpu-deps/ %.1f MiB (%d files), tracked tree %.1f MiB; the libraries need %s\n", d / 1048576, n, t / 1048576, needs}'
  if ((bytes + tree > LIMIT_MIB * 1048576)); then
    die ".gpu-deps/ and the tracked tree exceed the $LIMIT_MIB MiB that travel to a GPU machine"
  fi
  echo "gpu-check: carry .gpu-deps to the GPU machine and run: bash scripts/gpu-check.sh"
}

# The symbol versions MANIFEST says the carried libraries need, against this machine's runtime.
check_runtime() {
  local needs libc libstdcxx v
  needs=$(sed -n 's/^needs: //p' "$DEPS/MANIFEST")
  libc=$(ldconfig -p 2>/dev/null | awk '/libc\.so\.6 .*x86-64/ {print $NF; exit}')
  libstdcxx=$(${CXX:-c++} -print-file-name=libstdc++.so.6 2>/dev/null)
  [[ -e ${libc:-} ]] || libc=/lib/x86_64-linux-gnu/libc.so.6
  for v in $needs; do
    case $v in
      GLIBC_*) [[ -e $libc ]] && ! grep -qa "$v" "$libc" && echo "  $libc lacks $v" ;;
      *) [[ -e $libstdcxx ]] && ! grep -qa "$v" "$libstdcxx" && echo "  $libstdcxx lacks $v" ;;
    esac
  done
  return 0
}

TORCH=python
BUILD=""
JOBS=$(nproc 2>/dev/null || echo 4)
STEPS=10
while (($#)); do
  case $1 in
    --prepare) prepare; exit $? ;;
    --torch) TORCH=${2:?--torch needs python or system}; shift 2 ;;
    --build-dir) BUILD=${2:?--build-dir needs a folder}; shift 2 ;;
    --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
    --steps) STEPS=${2:?--steps needs a number}; shift 2 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $TORCH == python || $TORCH == system ]] || die "--torch: expected python or system"
BUILD=${BUILD:-$ROOT/build-gpu}
[[ -f $DEPS/MANIFEST ]] || die "no .gpu-deps/ here: run scripts/gpu-check.sh --prepare on a Debian 12 machine and carry the folder"

LOG=$(mktemp)
SUMMARY=$(mktemp)
STEPOUT=$(mktemp)
trap 'rm -f "$LOG" "$SUMMARY" "$STEPOUT"' EXIT
say() { echo "$*" | tee -a "$SUMMARY" "$LOG"; }
# step [-s] NAME CMD...: runs CMD, its output on the terminal, in the log and in $STEPOUT (-s: and
# in the summary); returns its status.
step() {
  local all=0 name rc start
  [[ $1 == -s ]] && { all=1; shift; }
  name=$1
  shift
  start=$(date +%s)
  echo "=== $name: $*" >>"$LOG"
  "$@" 2>&1 | tee "$STEPOUT"
  rc=${PIPESTATUS[0]}
  cat "$STEPOUT" >>"$LOG"
  ((all)) && cat "$STEPOUT" >>"$SUMMARY"
  say "$name: exit $rc ($(($(date +%s) - start)) s)"
  return "$rc"
}
finish() {
  case $1 in
    0) say "result: passed" ;;
    77) say "result: built and tested; timing skipped (no CUDA device visible)" ;;
    *) say "result: FAILED" ;;
  esac
  if [[ -n ${OUT:-} ]]; then
    mkdir -p "$OUT" && cp "$SUMMARY" "$OUT/gpu-check.txt" && cp "$LOG" "$OUT/gpu-check-log.txt" &&
      chmod 644 "$OUT/gpu-check.txt" "$OUT/gpu-check-log.txt"
  fi
  exit "$1"
}

# CMake and ninja from pip live beside the python3 that holds PyTorch.
if ! command -v cmake >/dev/null || ! command -v ninja >/dev/null; then
  PY_BIN=$(dirname "$(command -v python3 || echo /nonexistent/python3)")
  [[ -d $PY_BIN ]] && export PATH="$PATH:$PY_BIN"
fi
command -v cmake >/dev/null || die "no cmake on PATH"

say "gpu-check: $(date -u +%FT%TZ) on $(uname -n), $(nproc) cores; torch=$TORCH; build $BUILD"
say "deps: $(head -1 "$DEPS/MANIFEST")"
say "compiler: $(${CXX:-c++} --version 2>/dev/null | head -1)"
say "cmake: $(cmake --version 2>/dev/null | head -1); ninja: $(ninja --version 2>/dev/null || echo none)"
command -v nvidia-smi >/dev/null && say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 | paste -sd';')"
lacking=$(check_runtime)
[[ -z $lacking ]] || { say "the carried libraries need a newer C/C++ runtime than this machine's:"; say "$lacking"; finish 1; }

CONFIG=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSODLAB_GPU_CHECK_ONLY=ON -DSODLAB_TORCH="$TORCH"
        -DSODLAB_GPU_DEPS="$DEPS")
command -v ninja >/dev/null && CONFIG+=(-G Ninja)
if [[ $TORCH == python ]]; then
  PY=$(command -v python3) || { say "no python3 on PATH"; finish 1; }
  CONFIG+=(-DPython3_EXECUTABLE="$PY")
  say "python3: $PY, $("$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tail -1)"
  # A CUDA PyTorch's TorchConfig enables CMake's CUDA language: it needs nvcc (nothing is compiled with it).
  NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
  if [[ -n $NVCC ]]; then
    CUDA_DIR=$(dirname "$(dirname "$NVCC")")
    export PATH="$CUDA_DIR/bin:$PATH" CUDA_HOME=${CUDA_HOME:-$CUDA_DIR}
    CONFIG+=(-DCMAKE_CUDA_COMPILER="$NVCC" -DCUDAToolkit_ROOT="$CUDA_DIR" -DCUDA_TOOLKIT_ROOT_DIR="$CUDA_DIR")
    say "nvcc: $NVCC, $("$NVCC" --version | tail -1)"
  else
    say "nvcc: not found (a CUDA PyTorch's TorchConfig needs it)"
  fi
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1)
  # What TorchConfig would otherwise probe for (or warn about) at configure time.
  [[ $cap =~ ^[0-9]+\.[0-9]+$ ]] && export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$cap}
fi

step configure cmake "${CONFIG[@]}" || { tail -30 "$STEPOUT" >>"$SUMMARY"; finish 1; }
step build cmake --build "$BUILD" --parallel "$JOBS" || { grep -B2 -A12 -m3 'error' "$STEPOUT" >>"$SUMMARY"; finish 1; }
step tests ctest --test-dir "$BUILD" --output-on-failure --timeout 300
rc=$?
grep -E 'tests passed|Skipped|\*\*\*|Failed|Not Run' "$STEPOUT" >>"$SUMMARY"
((rc == 0)) || finish 1
step -s sodlab-gpu-check timeout 420 "$BUILD/sodlab-gpu-check" --steps "$STEPS"
rc=$?
case $rc in
  0 | 77) finish "$rc" ;;
  *) finish 1 ;;
esac
