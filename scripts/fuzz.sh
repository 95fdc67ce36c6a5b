#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz (with clang, apart from the
# gcc build) and fuzzes each one in turn.
#   scripts/fuzz.sh [seconds-per-target] [build-dir]   (defaults: 60, build-fuzz)
#   scripts/fuzz.sh --replay [build-dir]   runs every seed once: a quick regression check
# Exits non-zero when a target crashes, leaks or times out; the input is
# saved under <build-dir>/artifacts/. New corpus entries go to a temporary
# directory, so the seeds in the tree never grow (regenerate them with
# tests/fuzz/make_corpus.py; inputs that found bugs go in tests/fuzz/regressions/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."

replay=false
if [ "${1:-}" = "--replay" ]; then
  replay=true
  seconds=0
  build_dir=${2:-build-fuzz}
else
  seconds=${1:-60}
  build_dir=${2:-build-fuzz}
fi
if ! $replay && ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-target] [build-dir] | $0 --replay [build-dir]" >&2
  exit 2
fi

# target:dictionary
targets=(fuzz_serializer:json fuzz_frame_reader:ws fuzz_http_head:http fuzz_query:query
         fuzz_token:token)
# Large enough for the deepest seeds (15 KB), small enough to keep mutations fast.
max_len=16384

# Check the toolchain here, with the fix, rather than in a cryptic link error.
if ! command -v clang++ >/dev/null || ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang/clang++ not found (Debian: apt-get install clang libclang-rt-14-dev," \
       "or run scripts/setup.sh)" >&2
  exit 1
fi
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe_dir/probe.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cpp" -o "$probe_dir/probe" \
     2>"$probe_dir/err"; then
  echo "fuzz.sh: clang++ cannot link a libFuzzer target (libclang_rt fuzzer runtime missing?" \
       "Debian: apt-get install libclang-rt-14-dev):" >&2
  head -5 "$probe_dir/err" >&2
  exit 1
fi

echo "== building fuzz targets in $build_dir"
cmake -S tests/fuzz -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  >"$probe_dir/cmake.log" 2>&1 || { cat "$probe_dir/cmake.log" >&2; exit 1; }
cmake --build "$build_dir" -j "$(nproc)" >"$probe_dir/build.log" 2>&1 \
  || { cat "$probe_dir/build.log" >&2; exit 1; }

build_dir=$(cd "$build_dir" && pwd) # absolute, so the printed commands work from anywhere
artifacts="$build_dir/artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$probe_dir" "$work"' EXIT

# Halt on any UB report, and report leaks (libFuzzer's -detect_leaks is on).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

failed=0
summary=()
for entry in "${targets[@]}"; do
  target=${entry%%:*}
  dict=tests/fuzz/${entry##*:}.dict
  seeds=tests/fuzz/corpus/$target
  log="$work/$target.log"
  common=(-dict="$dict" -max_len=$max_len -timeout=10 -rss_limit_mb=2048
          -artifact_prefix="$artifacts/$target-" -print_final_stats=1)
  start=$SECONDS
  # libFuzzer adds new entries to the corpus directory: give it a copy.
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  cp "$seeds"/* "$corpus/"
  # Inputs that once found a bug (kept by hand; make_corpus.py leaves them alone).
  if [ -d "tests/fuzz/regressions/$target" ]; then
    cp "tests/fuzz/regressions/$target"/* "$corpus/" 2>/dev/null || true
  fi
  if $replay; then
    echo "== $target: replaying $(ls "$corpus" | wc -l) seeds"
    cmd=("$build_dir/$target" "${common[@]}" -runs=0 "$corpus") # runs each seed once
  else
    echo "== $target: fuzzing for ${seconds}s (1 job)"
    cmd=("$build_dir/$target" "${common[@]}" -max_total_time="$seconds" "$corpus")
  fi
  rc=0
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  if [ "$rc" -eq 0 ] && $replay; then
    line="PASS $target: ${runs:-?} runs (seeds), cov ${cov:-?}"
  elif [ "$rc" -eq 0 ]; then
    line="PASS $target: ${runs:-?} runs in $((SECONDS - start))s, ${speed:-?} exec/s, cov ${cov:-?}"
  else
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    reason=$(grep -m1 -E 'property failed|runtime error|ERROR: |SUMMARY: ' "$log" || echo "exit code $rc")
    cp "$log" "$artifacts/$target.log"
    line="FAIL $target: $reason"
    echo "   log: $artifacts/$target.log"
    if [ -n "$artifact" ]; then
      echo "   artifact: $artifact"
      echo "   reproduce: $build_dir/$target $artifact"
    fi
  fi
  echo "   $line"
  summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $failed
