#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds and runs a project
# that uses it through find_package(phx): proves install + export work.
#   tests/install/check.sh <build-dir> <source-dir>
set -euo pipefail
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > "$prefix/install.log"
cmake -S "$src/tests/install/consumer" -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  > "$prefix/configure.log"
cmake --build "$prefix/consumer" -j 2 > "$prefix/build.log"
"$prefix/consumer/phx-consumer"
