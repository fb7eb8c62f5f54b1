#!/usr/bin/env bash
# Static checks of the accelerator RTL for one architecture configuration.
#
#   scripts/rtl_check.sh lint  ARCH.json   verilator --lint-only -Wall
#   scripts/rtl_check.sh synth ARCH.json   Yosys read_verilog -sv + synth; prints the cell count
#                                          per module and in all (SRAM macros are black boxes)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=$1 arch=$2

# qsa_top's parameters as ArchConfig derives them (model/isa/arch.h), printed by qsa_archgen:
# $QSA_ARCHGEN, else the one in build/ (built there when missing).
archgen=${QSA_ARCHGEN:-$here/build/model/isa/qsa_archgen}
if [ ! -x "$archgen" ]; then
  if [ -z "${QSA_ARCHGEN:-}" ] && [ -f "$here/build/CMakeCache.txt" ]; then
    cmake --build "$here/build" --target qsa_archgen >&2
  else
    echo "rtl_check: no $archgen; configure build/ first (cmake --preset default)" >&2
    exit 1
  fi
fi
QSA_RTL_TOP_PARAMS=
eval "$("$archgen" sh "$arch")"
params=$QSA_RTL_TOP_PARAMS
files=()
while read -r line; do
  line=${line%%//*}
  line=$(echo "$line" | xargs)
  [ -n "$line" ] && files+=("$here/rtl/$line")
done <"$here/rtl/qsa.f"

case "$mode" in
  lint)
    gargs=()
    for p in $params; do gargs+=("-G$p"); done
    verilator --lint-only -Wall --assert --top-module qsa_top "${gargs[@]}" \
      "$here/rtl/lint/qsa.vlt" "${files[@]}"
    echo "lint clean: $arch ($params)"
    ;;
  synth)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    {
      for f in "${files[@]}"; do
        case "$f" in
          */qsa_sram_macro.sv) echo "read_verilog -sv -lib $f" ;;
          *) echo "read_verilog -sv $f" ;;
        esac
      done
      echo -n "chparam"
      for p in $params; do echo -n " -set ${p%%=*} ${p#*=}"; done
      echo " qsa_top"
      echo "synth -top qsa_top"
      echo "stat"
    } >"$work/synth.ys"
    yosys -q -l "$work/synth.log" -s "$work/synth.ys" >/dev/null
    cells=$(grep -E '^ +Number of cells:' "$work/synth.log" | tail -1 | awk '{print $4}')
    [ -n "$cells" ] || { echo "rtl_check: no cell count in the Yosys log" >&2; exit 1; }
    # Cells per module, then the whole design's.
    awk '/^=== / {name = $2} /^ +Number of cells:/ {print "  " name ": " $4 " cells"}' \
      "$work/synth.log"
    echo "synthesized: $arch ($params): $cells cells"
    ;;
  *)
    echo "usage: scripts/rtl_check.sh lint|synth ARCH.json" >&2
    exit 2
    ;;
esac
