#!/usr/bin/env bash
# Installs what building, running and testing need, only when missing, so the
# README's commands work on a fresh Debian machine. Usage: .ci/deps.sh [run|test|bench]
set -euo pipefail
need=(libwebsockets-dev libwebsockets-evlib-ev libev-dev libssl-dev libsqlite3-dev libhiredis-dev pkg-config)
# redis-server: `make unit` runs the Redis store's tests against a throwaway server (.ci/with-redis.sh),
# and Tests/integration/test_cluster.py runs two relay nodes on one.
if [[ "${1:-run}" == test ]]; then need+=(chromium chromium-driver redis-server); fi
# The benchmark tools (bench/) are C: `make test` compiles them, `make bench` runs them.
if [[ "${1:-run}" == test || "${1:-run}" == bench ]]; then need+=(build-essential); fi
# The cluster scenario runs two relays on a throwaway redis-server.
if [[ "${1:-run}" == bench ]]; then need+=(python3 redis-server); fi

missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  echo "swift is not on PATH: install a Swift 6 toolchain (swift.org) first" >&2
  exit 1
fi

if [[ "${1:-run}" == test ]]; then
  # Python peers for the integration and browser tests, in a private venv.
  if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv 2>/dev/null || {
      apt-get install -y -qq python3-venv >/dev/null && python3 -m venv .venv; }
  fi
  .venv/bin/pip install -q --disable-pip-version-check -r Tests/requirements.txt
fi
