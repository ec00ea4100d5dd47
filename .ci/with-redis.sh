#!/usr/bin/env bash
# Runs a command with a throwaway redis-server: a free loopback port, no persistence, its
# own temporary directory. The command sees RELAY_TEST_REDIS_URL; the server is stopped
# afterwards whatever happens, and the command's exit status is returned.
# Usage: .ci/with-redis.sh <command…>      (e.g. .ci/with-redis.sh swift test --skip-build)
set -euo pipefail
if (($# == 0)); then echo "usage: $0 <command…>" >&2; exit 2; fi
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "redis-server/redis-cli not found: run .ci/deps.sh test (package redis-server)" >&2
  exit 1
fi

# Port 0 makes the kernel pick a free port; a tiny race remains until redis binds it.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d "${TMPDIR:-/tmp}/relay-redis.XXXXXX")
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
  --dir "$dir" --logfile "$dir/redis.log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq 100); do
  if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "redis-server exited on start:" >&2; cat "$dir/redis.log" >&2; exit 1
  fi
  sleep 0.1
done
[[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]] || { echo "redis-server did not answer PING" >&2; exit 1; }

export RELAY_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
status=0
"$@" || status=$?
exit "$status"
