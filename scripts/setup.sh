#!/usr/bin/env bash
# Installs everything phoenix-caf needs on Debian bookworm (as root; clang
# and libclang-rt are for the libFuzzer targets), then
# the npm packages (phoenix client, ws, playwright-core), then builds.
#   scripts/setup.sh [build-dir]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

packages=(build-essential cmake pkg-config libcaf-dev libboost-dev nlohmann-json3-dev
          doctest-dev liburiparser-dev libssl-dev chromium clang libclang-rt-14-dev
          erlang-base erlang-crypto  # Erlang: the Phoenix.Token interop test
          openssl)                   # its CLI makes the TLS tests' certificates
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== installing npm packages"
npm ci --no-audit --no-fund --loglevel=error

echo "== building in $build_dir"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build_dir" -j "$(nproc)"
