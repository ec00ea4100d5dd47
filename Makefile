# The two commands of the README:
#   make demo   relay + embedded rule bot + embedded 8x8 simulator; prints the URLs
#   make test   every test: Swift unit tests, loopback integration tests, browser tests
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
	$(MAKE) --no-print-directory unit integration browser

unit:
	$(SWIFT) test --skip-build

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
        bench-stream-append bench-stream-replay bench-stream-fanout

bench-build:
	@.ci/deps.sh bench
	$(MAKE) --no-print-directory -C bench build
	$(SWIFT) build -c release --product handover-relay --scratch-path .build-bench-relay

bench: bench-build
	python3 bench/run.py all --no-build --relay-bin $(BENCH_RELAY) $(BENCH_ARGS)

bench-idle bench-bot-echo bench-handover bench-fanout bench-storm bench-stream-append bench-stream-replay bench-stream-fanout: bench-build
	python3 bench/run.py $(@:bench-%=%) --no-build --relay-bin $(BENCH_RELAY) $(BENCH_ARGS)
