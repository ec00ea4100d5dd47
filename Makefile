# The two commands of the README:
#   make demo   relay + embedded rule bot + embedded 8x8 simulator; prints the URLs
#   make test   every test: Swift unit tests, loopback integration tests, browser tests, a short fuzz run
PORT ?= 8080
SWIFT ?= swift
PYTEST = .venv/bin/python -m pytest

.PHONY: demo test build unit integration browser deps clean

demo:
	@.ci/deps.sh run
	$(SWIFT) build --product handover-relay
	.build/debug/handover-relay demo --port $(PORT)

build:
	@.ci/deps.sh run
	$(SWIFT) build

test:
	@.ci/deps.sh test
	$(MAKE) --no-print-directory -C bench build
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory unit integration browser fuzz-ci

# A throwaway redis-server for the Redis store's tests (RELAY_TEST_REDIS_URL), stopped even if they fail.
unit:
	.ci/with-redis.sh $(SWIFT) test --skip-build

integration:
	RELAY_BIN=$(CURDIR)/.build/debug/handover-relay $(PYTEST) -q Tests/integration

browser:
	RELAY_BIN=$(CURDIR)/.build/debug/handover-relay $(PYTEST) -q Tests/browser

clean:
	rm -rf .build .venv

# Benchmarks (bench/, docs/BENCHMARKS.md). `make test` only compiles them.
#   make bench                 every scenario;  make bench-<scenario>  one of them
#   make bench BENCH_ARGS='--repeat 2'   (or --quick for a smoke run)
BENCH_RELAY = .build-bench-relay/release/handover-relay
BENCH_ARGS ?=
.PHONY: bench bench-build bench-idle bench-bot-echo bench-handover bench-fanout bench-storm \
        bench-stream-append bench-stream-replay bench-stream-fanout bench-cluster

bench-build:
	@.ci/deps.sh bench
	$(MAKE) --no-print-directory -C bench build
	$(SWIFT) build -c release --product handover-relay --scratch-path .build-bench-relay

bench: bench-build
	python3 bench/run.py all --no-build --relay-bin $(BENCH_RELAY) $(BENCH_ARGS)

bench-idle bench-bot-echo bench-handover bench-fanout bench-storm bench-stream-append bench-stream-replay bench-stream-fanout bench-cluster: bench-build
	python3 bench/run.py $(@:bench-%=%) --no-build --relay-bin $(BENCH_RELAY) $(BENCH_ARGS)

# Fuzzing (docs/FUZZING.md): libFuzzer harnesses in fuzz/, built apart with -sanitize=fuzzer.
#   make fuzz                    every target for FUZZ_SECONDS (default 60) each
#   make fuzz FUZZ_TARGETS=json FUZZ_SECONDS=600
# `make test` replays the committed corpus (Tests/fuzz/corpus) in the unit tests and runs
# each target for FUZZ_CI_SECONDS (the build takes about a minute; 11 targets x 15 s).
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 15
FUZZ_TARGETS ?= json chat-frame copilot-frame copilot-tiles stream-frame webhook query url token config bot-script
.PHONY: fuzz fuzz-build fuzz-ci

fuzz-build:
	$(SWIFT) build --package-path fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library

fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-ci: fuzz-build
	fuzz/run.sh $(FUZZ_CI_SECONDS) $(FUZZ_TARGETS)
