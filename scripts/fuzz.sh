#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (built by the `fuzz` preset into build-fuzz/).
#
#   scripts/fuzz.sh [--time SECONDS | --runs N | --smoke N] [--build DIR] [--jobs J] [TARGET...]
#
#   --time SECONDS   a campaign: each target runs for SECONDS (default 600), its corpus growing in
#                    build-fuzz/fuzz-corpus/TARGET (seeded from fuzz/corpus/TARGET)
#   --runs N         each target runs N executions (libFuzzer -runs), same corpus
#   --smoke N        N executions over a fresh copy of the seeds, nothing kept (what ctest -L fuzz
#                    runs)
#   --build DIR      the build folder (default build-fuzz)
#   --jobs J         libFuzzer workers per target (default 1)
#   TARGET           npy graph_json arch program assembler onnx tflite calibration compiled (default: all)
#
# Each target runs under AddressSanitizer + UndefinedBehaviorSanitizer with leak detection, a 10 s
# per-input timeout (a hang) and a 2 GiB memory limit. A crash, leak, timeout or out-of-memory
# stops the target and leaves the reproducer as build-fuzz/fuzz-artifacts/TARGET/crash-* (etc.);
# the script then exits 1. libFuzzer's output is in build-fuzz/fuzz-artifacts/TARGET.MODE.log. One summary line per target: executions, coverage (edges), features,
# corpus size, seconds. Minimize a grown corpus back into the repository with
#   build-fuzz/fuzz/qsa_fuzz_TARGET -merge=1 fuzz/corpus/TARGET build-fuzz/fuzz-corpus/TARGET
# Run it at low priority on a shared machine: nice -n 19 scripts/fuzz.sh --time 300.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

mode=time
amount=600
build=$root/build-fuzz
jobs=1
targets=()
while (($#)); do
  case "$1" in
    --time) mode=time; amount=$2; shift 2 ;;
    --runs) mode=runs; amount=$2; shift 2 ;;
    --smoke) mode=smoke; amount=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h | --help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  targets=(npy graph_json arch program assembler onnx tflite calibration compiled)
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/qsa_fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "fuzz.sh: $bin is missing; build it: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
  fi
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$artifacts"
  if [ "$mode" = smoke ]; then
    corpus=$(mktemp -d)
    trap 'rm -rf "$corpus"' EXIT
    cp "$root/fuzz/corpus/$t"/* "$corpus"/
    limit=(-runs="$amount")
  else
    corpus=$build/fuzz-corpus/$t
    mkdir -p "$corpus"
    cp -n "$root/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
    if [ "$mode" = time ]; then limit=(-max_total_time="$amount"); else limit=(-runs="$amount"); fi
  fi
  log=$build/fuzz-artifacts/$t.$mode.log
  start=$(date +%s)
  args=("${limit[@]}" -dict="$root/fuzz/dict/$t.dict" -timeout=10 -rss_limit_mb=2048
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/")
  if ((jobs > 1)); then args+=(-fork="$jobs"); fi
  if "$bin" "${args[@]}" "$corpus" >"$log" 2>&1; then result=ok; else result=FAILED; status=1; fi
  seconds=$(($(date +%s) - start))
  runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  ft=$(grep -ao 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  files=$(find "$corpus" -type f | wc -l)
  printf '%-12s %-6s executions %s, coverage %s edges, %s features, corpus %s files, %ss\n' \
    "$t" "$result" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$seconds"
  if [ "$result" = FAILED ]; then
    grep -aE 'ERROR|error|SUMMARY|escaped exception|Test unit written' "$log" | head -5 |
      sed 's/^/    /' || true
  fi
  if [ "$mode" = smoke ]; then rm -rf "$corpus"; trap - EXIT; fi
done
exit $status
