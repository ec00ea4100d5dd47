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
