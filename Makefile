# sodlab front door. `make run` (main job on built-in defaults) and `make test` do all set-up.
BUILD ?= build
JOBS  ?= $(shell nproc)
BUILD_TYPE ?= Release
SODLAB := $(BUILD)/sodlab
SHARED ?= ../shared

.PHONY: all deps configure build test run bench bench-eval bench-losses bench-models clean

all: build

deps:
	@scripts/install-deps.sh --check 2>/dev/null || scripts/install-deps.sh

configure: deps
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Main job on built-in defaults (no external data needed).
run: build
	$(SODLAB) eval --synthetic 100

bench: bench-eval bench-losses bench-models

bench-eval: build
	scripts/bench-eval.sh $(BUILD) $(SHARED)

bench-losses: build
	$(BUILD)/benchmarks/bench_losses

bench-models: build
	$(BUILD)/benchmarks/bench_models

clean:
	rm -rf $(BUILD)
