#!/usr/bin/env bash
# Sets up, builds and starts the chat demo on http://127.0.0.1:4000/
#   scripts/demo.sh [phx-chat options, e.g. --port 4001]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
echo "== starting the chat demo: open the URL it prints (default http://127.0.0.1:4000/) in two windows; Ctrl-C stops it"
exec build/apps/chat/phx-chat "$@"
