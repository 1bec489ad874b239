# Thin wrapper: dependencies, build, tests, demo, benchmarks. CMake does the work.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
KAIZEN := $(BUILD_DIR)/runtime/cli/kaizen

.PHONY: all deps configure build test demo bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@scripts/demo.sh $(KAIZEN)

# Builds the kaizen binary and the benchmarks (not the tests), runs them all:
# one line per figure on stdout (build output and progress go to stderr),
# everything in bench/results.json. See bench/README.md.
bench: configure
	@cmake -S . -B $(BUILD_DIR) -DKAIZEN_BUILD_BENCH=ON > /dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target bench_all >&2
	@bench/run.sh $(BUILD_DIR)

# libFuzzer targets built with clang in build-fuzz; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh fuzz
	@cmake -S . -B build-fuzz -DKAIZEN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ > /dev/null
	@cmake --build build-fuzz -j $(JOBS) --target envelope_fuzz manifest_fuzz
	@scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-fuzz
