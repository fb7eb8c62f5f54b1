#!/usr/bin/env bash
# Simulation speed of the SystemC platform against the engines it wraps, on the same program:
#
#   scripts/platform_bench.sh QSA MODEL|COMPILED INPUT.npy [OUT_DIR]
#
# runs MODEL (a model file or a folder from qsa compile) with --engine isa, --engine systemc
# (one transaction-level core), --engine rtl and --engine systemc --core-model rtl, and prints
# each run's cycles, wall and CPU seconds and simulated cycles per CPU second. With one core on
# the architecture's DRAM the platform's core runs the cycles of the engine it wraps, so the
# difference in time is the platform's own cost. docs/platform.md quotes it.
set -euo pipefail
if (($# < 3)); then
  echo "usage: scripts/platform_bench.sh QSA MODEL|COMPILED INPUT.npy [OUT_DIR]" >&2
  exit 2
fi
qsa=$1 model=$2 input=$3
out=${4:-$(mktemp -d)}
mkdir -p "$out"
printf '%-28s %14s %8s %8s %14s\n' run "core cycles" "wall s" "CPU s" "cycles/CPU s"
run() {
  local name=$1
  shift
  local report=$out/$name.json
  /usr/bin/time -f '%e %U %S' -o "$out/$name.time" "$qsa" run "$model" --input "$input" \
    -o "$out/$name" -q --report "$report" "$@" >/dev/null
  read -r wall user sys <"$out/$name.time"
  local cycles
  cycles=$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
p = r.get("platform")
print(p["cores"][0]["cycles"] if p else r["cycles"])' "$report")
  python3 -c 'import sys
name, cycles, wall, cpu = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rate = f"{cycles / cpu:,.0f}" if cpu > 0 else "-"
print(f"{name:<28} {cycles:>14,} {wall:>8.2f} {cpu:>8.2f} {rate:>14}")' \
    "$name" "$cycles" "$wall" "$(python3 -c "print($user + $sys)")"
}
run isa --engine isa
run "systemc, 1 isa core" --engine systemc
run rtl --engine rtl
run "systemc, 1 rtl core" --engine systemc --core-model rtl
