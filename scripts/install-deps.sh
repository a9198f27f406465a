#!/usr/bin/env bash
# Installs every Debian package that sodlab's build, tests and benchmarks use.
#   scripts/install-deps.sh          install what is missing (needs root or sudo)
#   scripts/install-deps.sh --check  exit 0 if everything is installed, 1 otherwise
#   scripts/install-deps.sh --fuzz [--check]  the same for FUZZ_PACKAGES only (scripts/fuzz.sh,
#                                    `make fuzz`, `make fuzz-ci`); `make test` never needs them
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-14   # the compiler of the build (Makefile CXX: about twice as fast as g++ on the torch files)
  libtorch-dev libopenblas-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libpng-dev
  libhdf5-dev
  libtomlplusplus-dev
  libsqlite3-dev sqlite3
  catch2
  libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libssl-dev
  strace   # tests: sodlab eval leaves no spinning thread (sched_yield count)
  gnuplot-nox   # sodlab plot renders figures with it (pngcairo / svg / pdfcairo)
  slurmctld slurmd slurm-client munge   # sweep test runs a real single-node Slurm (scripts/slurm-cluster.sh)
  chromium chromium-driver fonts-dejavu-core curl jq   # report test loads sodlab report in headless Chromium (WebDriver)
  python3-torch python3-torchvision   # weights test: torchvision's vgg16 written by PyTorch itself
  # the Python package (python/): its module, its tests (pytest, run by ctest), sodlab.store's
  # DataFrames and `make bench-python`'s decoding reference
  pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest python3-opencv
)
# libFuzzer toolchain for fuzz/ (Debian 12): clang-14, its compiler-rt with libclang_rt.fuzzer
# and the sanitizer runtimes, llvm-14 for llvm-symbolizer (symbolized crash stacks).
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)
if [[ "${1:-}" == "--fuzz" ]]; then PACKAGES=("${FUZZ_PACKAGES[@]}"); shift; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ "${1:-}" == "--check" ]]; then
  if ((${#missing[@]})); then echo "missing packages: ${missing[*]}" >&2; exit 1; fi
  exit 0
fi

if ((${#missing[@]} == 0)); then echo "install-deps: all ${#PACKAGES[@]} packages present"; exit 0; fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
