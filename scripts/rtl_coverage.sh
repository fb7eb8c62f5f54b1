#!/usr/bin/env bash
# Line, toggle and cover-point coverage of rtl/ over the co-simulation regression (docs/rtl.md,
# "Verification: coverage and assertions"; ctest rtl_coverage, label coverage, outside the
# default run).
#
#   scripts/rtl_coverage.sh BUILD_DIR [--min-line PCT] [--require-cover] [CONFIG...]
#
# 1. Verilates coverage models (--coverage-line --coverage-toggle --coverage-user) of the
#    configurations of model/isa/arch/CONFIG.json (default: 4x4 8x8) into
#    BUILD_DIR/rtl_coverage/models/<key>/, apart from the build's own models.
# 2. Runs the co-simulation tests (BUILD_DIR/tests/qsa_sim_tests, all but the requantizer lane's
#    and the array checker's benches and the runs from random initial states, whose power-up
#    values would count as toggles) with QSA_RTL_MODEL_DIR pointing there, so every test on those configurations runs
#    the coverage model (the others run the build's models), and QSA_RTL_COVERAGE_DIR collecting
#    each process's counts (sim/rtl_shim.cc).
# 3. Merges the counts with verilator_coverage into BUILD_DIR/rtl_coverage/merged.dat, writes
#    annotated sources to BUILD_DIR/rtl_coverage/annotated/, and prints the summary of
#    scripts/rtl_coverage_report.py (also in BUILD_DIR/rtl_coverage/summary.txt): line and
#    toggle coverage per file, the uncovered lines, the cover points hit and missed.
# --min-line and --require-cover make the run fail below that line coverage of rtl/ or with a
# cover point never hit. QSA_RANDOM_PROGRAMS (default 350 per configuration) sets the number of
# random programs, QSA_JOBS (default 2) the compile jobs. QSA_ARCHGEN, QSA_SIM_TESTS and
# QSA_GENERATED_DIR override the build's tools.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 1 ]; then
  echo "usage: scripts/rtl_coverage.sh BUILD_DIR [--min-line PCT] [--require-cover] [CONFIG...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
report_args=()
configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --min-line) report_args+=(--min-line "$2"); shift 2 ;;
    --require-cover) report_args+=(--require-cover); shift ;;
    -*) echo "rtl_coverage: unknown option $1" >&2; exit 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
[ ${#configs[@]} -gt 0 ] || configs=(4x4 8x8)

archgen=${QSA_ARCHGEN:-$build/model/isa/qsa_archgen}
sim_tests=${QSA_SIM_TESTS:-$build/tests/qsa_sim_tests}
generated=${QSA_GENERATED_DIR:-$build/generated}
for f in "$archgen" "$sim_tests"; do
  [ -x "$f" ] || { echo "rtl_coverage: $f is missing; build the project first" >&2; exit 1; }
done
generator=Ninja
command -v ninja >/dev/null || generator="Unix Makefiles"

out=$build/rtl_coverage
models=$out/models
counts=$out/counts
rm -rf "$counts" "$out/annotated"
mkdir -p "$models" "$counts"

for config in "${configs[@]}"; do
  arch=$here/model/isa/arch/$config.json
  [ -f "$arch" ] || { echo "rtl_coverage: no architecture $arch" >&2; exit 1; }
  work=$out/$config
  mkdir -p "$work"
  "$archgen" cmake "$arch" "$work/params.cmake"
  echo "rtl_coverage: verilating the $config coverage model" >&2
  # Configured once; a later build re-verilates only when a source or the parameters changed.
  if [ ! -f "$work/build/CMakeCache.txt" ]; then
    cmake -S "$here/sim/rtl_model" -B "$work/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
      -DQSA_SOURCE_DIR="$here" -DQSA_GENERATED_DIR="$generated" \
      -DQSA_RTL_PARAMS="$work/params.cmake" -DQSA_MODEL_DIR="$models" \
      "-DQSA_RTL_EXTRA_ARGS=--coverage-line;--coverage-toggle;--coverage-user" >"$work/configure.log"
  fi
  cmake --build "$work/build" --parallel "${QSA_JOBS:-2}" >"$work/build.log"
done

echo "rtl_coverage: running the co-simulation tests on the coverage models" >&2
start=$(date +%s)
QSA_RTL_MODEL_DIR=$models QSA_RTL_COVERAGE_DIR=$counts \
  "$sim_tests" --gtest_filter='-RequantLane.*:CosimRandomInit.*:RtlAssertion.*' --gtest_brief=1 >"$out/tests.log" 2>&1 || {
  tail -40 "$out/tests.log" >&2
  echo "rtl_coverage: the co-simulation tests failed (log: $out/tests.log)" >&2
  exit 1
}
echo "rtl_coverage: tests took $(($(date +%s) - start)) s" >&2

shopt -s nullglob
dats=("$counts"/*.dat)
[ ${#dats[@]} -gt 0 ] || { echo "rtl_coverage: no coverage counts were written" >&2; exit 1; }
verilator_coverage --write "$out/merged.dat" "${dats[@]}" >/dev/null
verilator_coverage --annotate "$out/annotated" --annotate-min 1 "$out/merged.dat" >/dev/null
python3 "$here/scripts/rtl_coverage_report.py" "$out/merged.dat" --rtl "$here/rtl" \
  "${report_args[@]}" | tee "$out/summary.txt"
