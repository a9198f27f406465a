# sodlab front door. `make run` (main job on built-in defaults) and `make test` do all set-up:
# each installs missing Debian packages (scripts/install-deps.sh), configures and builds.
BUILD      ?= build
JOBS       ?= $(shell nproc)
BUILD_TYPE ?= Release
SODLAB     := $(BUILD)/sodlab
SHARED     ?= ../shared
# Profile of the paper-table targets: paper (GPU + the papers' datasets), small (2-core CPU,
# ../shared/data), smoke (seconds, synthetic data).
PROFILE    ?= small
# Intra-op threads of the paper-table targets ("" = the machine's cores). Part of every run id:
# render with the THREADS the runs were made with.
THREADS    ?=
THREADS_ARG = $(if $(THREADS),--threads $(THREADS))

.PHONY: all deps configure build build-cli build-bench build-times test run bench bench-eval bench-metrics bench-losses bench-models bench-data bench-robustness bench-cache \
        tables list-tables plots report ablations clean
.PHONY: fuzz fuzz-ci python bench-python

all: build

deps:
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh

# The compiler: clang 14 compiles the torch-heavy files about twice as fast as GCC 12 (its
# precompiled header too), with the same results (the note of issue 24); CXX=g++ CC=gcc for GCC.
CXX ?= clang++-14
CC  ?= clang-14
ifeq ($(origin CXX),default)
CXX := clang++-14
endif
ifeq ($(origin CC),default)
CC := clang-14
endif

configure: deps
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_C_COMPILER=$(CC) -DCMAKE_CXX_COMPILER=$(CXX)

# Everything but the benchmarks: the CLI, the tests, sodlab-gpu-check.
build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Only the command line (sodlab, sodlab-torch) and the libraries it links.
build-cli: configure
	cmake --build $(BUILD) -j $(JOBS) --target sodlab

# The Google Benchmark programs (build/benchmarks/), for the bench-* targets.
build-bench: configure
	cmake --build $(BUILD) -j $(JOBS) --target benchmarks

# The Python package sodlab (python/README.md) in $(BUILD)/python/sodlab: the module over
# src/metrics and the package's Python files (`make build` builds it too; `pip install ./python`
# installs it).
python: configure
	cmake --build $(BUILD) -j $(JOBS) --target sodlab_python
	@echo "import it with: PYTHONPATH=$(BUILD)/python /usr/bin/python3 -c 'import sodlab'"

# Per-image time of sodlab's Python class API and of sodlab.evaluate on SOD-300, against decoding
# the same PNGs, measured in one run (benchmarks/python/bench_python.py; PYSOD=DIR also times
# PySODMetrics itself from a checkout).
bench-python: python build-cli
	PYTHONPATH=$(BUILD)/python /usr/bin/python3 benchmarks/python/bench_python.py --shared $(SHARED)

# The slowest translation units and links of the last build (.ninja_log), and the total.
build-times:
	@scripts/build-times.sh $(BUILD) 25

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Main job on built-in defaults: Kolkin Table 4 on the smoke profile (synthetic data, about a
# minute), recorded in results/results.db, then the table beside the paper's values.
run: build-cli
	$(SODLAB) run kolkin2017/table4 --profile smoke
	$(SODLAB) table kolkin2017/table4 --profile smoke

# One target per experiment file, generated from experiments/<paper>/<table>.toml as
# <paper>-<table> (kolkin2017-table1, menet-table4, ...): runs what the store does not hold yet
# (runs shared with another table are trained once), then writes the table to
# results/tables/$(PROFILE)/<paper>-<table>.md and prints it. A study or an eval-only file that reads another
# experiment's runs (runs_of = "...") depends on that experiment's target.
EXPERIMENTS   := $(patsubst experiments/%.toml,%,$(sort $(wildcard experiments/*/*.toml)))
TABLE_TARGETS := $(subst /,-,$(EXPERIMENTS))
define experiment_rule
$(subst /,-,$(1)): build-cli
	$$(SODLAB) run $(1) --profile $$(PROFILE) $$(THREADS_ARG)
	$$(SODLAB) table $(1) --profile $$(PROFILE) $$(THREADS_ARG) --out results/tables/$$(PROFILE)/$(subst /,-,$(1)).md
	@cat results/tables/$$(PROFILE)/$(subst /,-,$(1)).md
$(foreach dep,$(shell sed -n 's/^runs_of *= *"\(.*\)".*/\1/p' experiments/$(1).toml),$(subst /,-,$(1)): $(subst /,-,$(dep)))
endef
$(foreach e,$(EXPERIMENTS),$(eval $(call experiment_rule,$(e))))
.PHONY: $(TABLE_TARGETS)

# Every paper table (PROFILE=small by default), in file order; wall time in results/tables/.
tables: build-cli
	@mkdir -p results/tables/$(PROFILE)
	@start=$$(date +%s); $(MAKE) --no-print-directory $(TABLE_TARGETS) PROFILE=$(PROFILE) THREADS=$(THREADS) || exit $$?; \
	  echo "make tables PROFILE=$(PROFILE): $$(( $$(date +%s) - start )) s" | tee results/tables/$(PROFILE)/wall_time.txt

list-tables:
	@echo $(TABLE_TARGETS)

# Figures of MEnet's robustness experiments (after make menet-table2 menet-fig9): PR curves under
# each distortion (Fig. 7), adaptive F against AWGN sigma (Fig. 9), training curves; PNG with its
# gnuplot script and data in results/plots/$(PROFILE)/.
plots: build-cli
	$(SODLAB) plot menet/fig9 --kind distortion --profile $(PROFILE) $(THREADS_ARG)
	$(SODLAB) plot menet/table2 --kind pr --profile $(PROFILE) $(THREADS_ARG)
	$(SODLAB) plot menet/table2 --kind pr --distortion awgn_U5-50 --profile $(PROFILE) $(THREADS_ARG)
	$(SODLAB) plot menet/table2 --kind pr --distortion jpeg_U10-50 --profile $(PROFILE) $(THREADS_ARG)
	$(SODLAB) plot menet/table4 --kind training --profile $(PROFILE) $(THREADS_ARG)

# The static HTML report of PROFILE from the store: every paper table beside the published values,
# every figure the runs have data for, the sweep overview and one page per run, in
# results/report/index.html (self-contained: copy the folder anywhere).
report: build-cli
	$(SODLAB) report --profile $(PROFILE) $(THREADS_ARG) --out-dir results/report

# Ablation sweeps (ablations/*.toml): every point of every sweep, SWEEP_JOBS worker processes of
# cores / SWEEP_JOBS threads each (the threads are part of the run ids: the table is rendered
# with the same), tables in results/tables/$(PROFILE)/ablations/.
SWEEP_JOBS ?= $(JOBS)
ablations: build-cli
	@threads=$$(( $$(nproc) / $(SWEEP_JOBS) )); [ $$threads -ge 1 ] || threads=1; \
	for f in ablations/*.toml; do \
	  $(SODLAB) sweep $$f --profile $(PROFILE) --jobs $(SWEEP_JOBS) --threads $$threads || exit $$?; \
	  mkdir -p results/tables/$(PROFILE)/ablations; \
	  $(SODLAB) table $$f --profile $(PROFILE) --threads $$threads \
	    --out results/tables/$(PROFILE)/ablations/$$(basename $$f .toml).md || exit $$?; \
	  cat results/tables/$(PROFILE)/ablations/$$(basename $$f .toml).md; done

bench: bench-eval bench-metrics bench-losses bench-models bench-data bench-robustness bench-cache

bench-metrics: build-bench
	SODLAB_SHARED_DIR=$(SHARED) $(BUILD)/benchmarks/bench_metrics

# Per family (bench_eval: ms per image, x decoding the same PNGs, x PySODMetrics: issue 26's
# figures, and with PYSOD=<PySODMetrics checkout> PySODMetrics itself timed first in this run on
# one core, on the same images), then the whole `sodlab eval` process (scripts/bench-eval.sh).
bench-eval: build-cli
	cmake --build $(BUILD) -j $(JOBS) --target bench_eval
	$(if $(PYSOD),OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0 /usr/bin/python3 \
	  benchmarks/python/time_pysod_families.py --pysod $(PYSOD) --shared $(SHARED) --out $(BUILD)/pysod_families.json)
	SODLAB_SHARED_DIR=$(SHARED) $(if $(PYSOD),SODLAB_BENCH_PYSOD=$(BUILD)/pysod_families.json) $(BUILD)/benchmarks/bench_eval
	scripts/bench-eval.sh $(BUILD) $(SHARED)

bench-losses: build-bench
	$(BUILD)/benchmarks/bench_losses

bench-models: build-bench
	$(BUILD)/benchmarks/bench_models

bench-cache: build-bench
	$(BUILD)/benchmarks/bench_cache

bench-data: build-bench
	$(BUILD)/benchmarks/bench_data

bench-robustness: build-bench
	$(BUILD)/benchmarks/bench_robustness

# libFuzzer targets (fuzz/README.md), built with clang into build-fuzz/: FUZZ_SECONDS per target.
# `fuzz-ci` is the short run of every CI submission (about a minute, on the checked-in seeds).
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 30
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci:
	scripts/fuzz.sh $(FUZZ_CI_SECONDS)

clean:
	rm -rf $(BUILD)
