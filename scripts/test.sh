#!/usr/bin/env bash
# Sets up, builds and runs every test: doctest unit tests, the Node
# integration tests against apps/echo with the real phoenix client, the
# browser test of the chat page (all of these twice: once built with
# AddressSanitizer + UBSan), the install/find_package check, and a short run
# of every libFuzzer target (scripts/fuzz.sh runs them longer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build

# The sanitizer build runs the unit tests and also the Node and browser tests
# against sanitized servers (a leak at shutdown fails the clean-exit check).
echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DPHX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j "$(nproc)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --timeout 300

echo "== fuzzing every decoder for 60 s (clang, libFuzzer + ASan + UBSan)"
scripts/fuzz.sh 60

echo "== all tests"
ctest --test-dir build --output-on-failure --timeout 300
