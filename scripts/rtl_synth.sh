#!/usr/bin/env bash
# Area and logic depth of the accelerator RTL for one architecture configuration, with Yosys 0.23.
#
#   scripts/rtl_synth.sh [generic|xilinx|all] ARCH.json [OUT_DIR]
#
#   generic  `synth`: Yosys's generic gate library, cells per module (instances, cells of one
#            instance, all instances, share of the design)
#   xilinx   `synth_xilinx -family xc7` (hierarchical, no I/O buffers): LUT, FF, CARRY4, MUXF,
#            DSP48E1, BRAM, LUTRAM and SRL per module and in all; then the design flattened and
#            the deepest register-to-register path in LUT levels, per instance
#            (scripts/rtl_synth_report.py says how levels are counted)
#   all      both (the default)
#
# The SRAM macros (qsa_sram_macro: one simple dual-port 1R1W bank each; the scratchpad and the
# accumulator are banks of them behind qsa_sram's arbitration, which is synthesized) are black
# boxes in both runs, standing for what a memory compiler or an FPGA block RAM provides; they are
# listed per memory (depth x width x ports x count) with the RAMB36E1 each needs. Everything else
# is synthesized as written. OUT_DIR keeps the logs and netlists (default: a temporary directory, removed).
# QSA_SYNTH_ENDS=N also lists the N deepest register groups with the nets on their paths.
# Slow: minutes for 4x4, tens of minutes for 16x16 (run it with `nice`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  generic | xilinx | all) mode=$1; shift ;;
  *) mode=all ;;
esac
[ $# -ge 1 ] || { echo "usage: scripts/rtl_synth.sh [generic|xilinx|all] ARCH.json [OUT_DIR]" >&2; exit 2; }
arch=$1
out=${2:-}

archgen=${QSA_ARCHGEN:-$here/build/model/isa/qsa_archgen}
if [ ! -x "$archgen" ]; then
  echo "rtl_synth: no $archgen; configure and build build/ first (qsa_archgen)" >&2
  exit 1
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

if [ -n "$out" ]; then
  mkdir -p "$out"
  work=$(cd "$out" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

read_design() {
  for f in "${files[@]}"; do
    case "$f" in
      */qsa_sram_macro.sv) echo "read_verilog -sv -lib $f" ;;
      *) echo "read_verilog -sv $f" ;;
    esac
  done
  echo -n "chparam"
  for p in $params; do echo -n " -set ${p%%=*} ${p#*=}"; done
  echo " qsa_top"
}

# The SRAM macros the black boxes stand for, per memory: depth x width, ports, count, and the
# RAMB36E1 one macro takes in simple dual-port mode (the cheapest of the 72x512 .. 1x32768
# aspect ratios, tiled). Not in the cell counts above.
bram36() {  # depth width
  local best=0 w d n
  for a in 72:512 36:1024 18:2048 9:4096 4:8192 2:16384 1:32768; do
    w=${a%%:*} d=${a#*:}
    n=$(((($2 + w - 1) / w) * (($1 + d - 1) / d)))
    if [ "$best" -eq 0 ] || [ "$n" -lt "$best" ]; then best=$n; fi
  done
  echo "$best"
}
sram_note() {
  local rows=$QSA_RTL_ROWS cols=$QSA_RTL_COLS total=0 line name depth width count b
  echo "  SRAM macros (1R1W, black boxes):"
  for line in "scratchpad $((QSA_RTL_SP_ROWS / QSA_RTL_SP_BANKS)) $((rows * 8)) $QSA_RTL_SP_BANKS" \
    "accumulator $((QSA_RTL_ACC_ROWS / QSA_RTL_ACC_BANKS)) $((cols * 32)) $QSA_RTL_ACC_BANKS" \
    "parameters $QSA_RTL_PARAM_ROWS $((cols * 32)) 1"; do
    read -r name depth width count <<<"$line"
    b=$(bram36 "$depth" "$width")
    total=$((total + b * count))
    printf '    %-12s %6d x %4d bits x %d: %d KiB, %d RAMB36E1 each\n' "$name" "$depth" "$width" \
      "$count" $((depth * width * count / 8192)) "$b"
  done
  echo "    $total RAMB36E1 in all"
}

t0=$(date +%s)
echo "configuration: $arch ($params)"
if [ "$mode" = generic ] || [ "$mode" = all ]; then
  {
    read_design
    echo "synth -top qsa_top"
    echo "tee -q -o $work/generic_stat.json stat -json"
  } >"$work/generic.ys"
  yosys -q -l "$work/generic.log" -s "$work/generic.ys" >/dev/null
  echo "generic cells (yosys synth), per module:"
  python3 "$here/scripts/rtl_synth_report.py" cells "$work/generic_stat.json"
  sram_note
  echo "  generic synthesis: $(($(date +%s) - t0)) s"
fi
if [ "$mode" = xilinx ] || [ "$mode" = all ]; then
  t1=$(date +%s)
  {
    read_design
    echo "synth_xilinx -top qsa_top -family xc7 -noiopad"
    echo "tee -q -o $work/xilinx_stat.json stat -json"
    echo "flatten"
    echo "write_json $work/xilinx_flat.json"
  } >"$work/xilinx.ys"
  yosys -q -l "$work/xilinx.log" -s "$work/xilinx.ys" >/dev/null
  echo "xilinx 7-series (yosys synth_xilinx), per module:"
  python3 "$here/scripts/rtl_synth_report.py" cells "$work/xilinx_stat.json" --xilinx
  sram_note
  echo "logic depth (flattened synth_xilinx netlist):"
  ends=()
  [ -n "${QSA_SYNTH_ENDS:-}" ] && ends=(--ends "$QSA_SYNTH_ENDS")
  python3 "$here/scripts/rtl_synth_report.py" depth "$work/xilinx_flat.json" qsa_top "${ends[@]}"
  echo "  xilinx synthesis and depth: $(($(date +%s) - t1)) s"
fi
