#!/usr/bin/env bash
# Phoenix.Token interop: phx::token (through tests/interop/phx_token_tool)
# against Plug.Crypto's algorithm run on real Erlang/OTP
# (tests/interop/phoenix_token.escript): the shared vector, tokens signed in
# C++ verified in Erlang and the other way round, expiry both ways.
#   tests/interop/token_interop.sh <path to phx_token_tool>
# Needs Debian's erlang-base and erlang-crypto; fails (does not skip)
# without them, so that a machine missing them cannot pass unnoticed.
set -euo pipefail
tool=${1:?usage: token_interop.sh <path to phx_token_tool>}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v escript >/dev/null 2>&1; then
  echo "token_interop: escript not found: install Erlang/OTP" \
       "(Debian: apt-get install erlang-base erlang-crypto)" >&2
  exit 1
fi
exec escript "$here/phoenix_token.escript" interop "$tool"
