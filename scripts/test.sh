#!/usr/bin/env bash
# Sets up, builds and runs every test: doctest unit tests (also under
# AddressSanitizer + UBSan), the Node integration tests against apps/echo
# with the real phoenix client, the browser test of the chat page, and the
# install/find_package check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DPHX_SANITIZE=ON -DPHX_BUILD_APPS=OFF -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 120

echo "== all tests"
ctest --test-dir build --output-on-failure --timeout 300
