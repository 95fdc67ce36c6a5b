#!/usr/bin/env bash
# Starts phx-echo on a free loopback port and runs `phx-bench --smoke`
# against it, over WebSocket and then over long-poll; fails if the bench fails or the server does not exit cleanly.
#   tests/bench/smoke.sh <phx-echo> <phx-bench>
set -euo pipefail
echo_bin=$1
bench_bin=$2
log=$(mktemp)
"$echo_bin" --port 0 >"$log" 2>&1 &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do # the server logs the port it bound
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "phx-echo did not start:"; cat "$log"; exit 1; }
status=0
timeout 60 "$bench_bin" --port "$port" --server-pid "$server" --smoke || status=$?
if [ "$status" -eq 0 ]; then # and every long-poll scenario, against the same server
  timeout 60 "$bench_bin" --port "$port" --server-pid "$server" --smoke --transport longpoll \
    || status=$?
fi
kill -TERM "$server"
server_status=0
wait "$server" || server_status=$?
if [ "$status" -ne 0 ] || [ "$server_status" -ne 0 ]; then
  echo "bench exit $status, server exit $server_status; server log:"
  cat "$log"
  exit 1
fi
