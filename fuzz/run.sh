#!/usr/bin/env bash
# Runs each libFuzzer harness for a bounded time. Usage: fuzz/run.sh SECONDS TARGET...
# Seeds: the committed corpus Tests/fuzz/corpus/<target>/ (read only); new
# interesting inputs go to fuzz/.build/new-inputs/<target>/, crashes and hangs
# to fuzz/findings/<target>-crash-<sha1> (see docs/FUZZING.md for what to do with them).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1; shift
bin=fuzz/.build/debug
failed=()
for target in "$@"; do
  new=fuzz/.build/new-inputs/$target
  mkdir -p "$new" fuzz/findings
  echo "== fuzz-$target for ${seconds}s"
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: unbounded growth is a finding too.
  # SWIFT_BACKTRACE: Swift's crash backtracer would take the trap before libFuzzer saves the input.
  if ! SWIFT_BACKTRACE=enable=no "$bin/fuzz-$target" "$new" "Tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="fuzz/findings/$target-" -print_final_stats=1 2> "fuzz/.build/fuzz-$target.log"; then
    failed+=("$target")
    tail -n 40 "fuzz/.build/fuzz-$target.log"
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "fuzz/.build/fuzz-$target.log" | tr '\n' ' '; echo
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing found problems in: ${failed[*]} (inputs in fuzz/findings/)" >&2
  exit 1
fi
