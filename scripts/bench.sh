#!/usr/bin/env bash
# Runs the full benchmark set of README "Performance" against apps/echo, a
# fresh server per scenario (RSS figures need one), and prints each RESULT.
#   scripts/bench.sh [build-dir]        (takes about 3 minutes; not part of CI)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
echo_bin=$build/apps/echo/phx-echo
bench_bin=$build/apps/bench/phx-bench

run() { # run <label> <phx-bench arguments...>
  local label=$1; shift
  local log; log=$(mktemp)
  "$echo_bin" --port 0 >"$log" 2>&1 &  # logs the port it bound
  local server=$! port=""
  for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  echo "== $label: phx-bench $*"
  "$bench_bin" --port "$port" --server-pid "$server" "$@" 2>/dev/null | grep '^RESULT' || echo "(failed)"
  kill -TERM "$server"; wait "$server" || true
  rm -f "$log"
}

run idle-19k       --scenario idle --connections 19000 --duration 10 --heartbeat-ms 5000
run idle-channels  --scenario idle --connections 2000 --channels 10 --compare-channels --duration 4
run fanout-single  --scenario fanout --connections 10000 --broadcasts 20 --rate 2
run fanout-50ps    --scenario fanout --connections 10000 --broadcasts 250 --rate 50
run fanout-100ps   --scenario fanout --connections 10000 --broadcasts 500 --rate 100
run rtt-idle       --scenario rtt --connections 1 --pings 10000
run rtt-10k        --scenario rtt --connections 10000 --rate 10000 --duration 10
run churn          --scenario churn --connections 50 --duration 10
