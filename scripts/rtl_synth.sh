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
# The SRAMs (qsa_sram: scratchpad, accumulator, parameter buffer) are black boxes standing for
# memory macros in both runs: their multi-port behavioural model is no memory a macro compiler or
# an FPGA offers, so they are counted by size, not mapped. Everything else is synthesized as
# written. OUT_DIR keeps the logs and netlists (default: a temporary directory, removed).
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
      */qsa_sram.sv) echo "read_verilog -sv -lib $f" ;;
      *) echo "read_verilog -sv $f" ;;
    esac
  done
  echo -n "chparam"
  for p in $params; do echo -n " -set ${p%%=*} ${p#*=}"; done
  echo " qsa_top"
}

# The SRAM macros the black boxes stand for (bits), and the RAMB36E1 (36 Kib) their capacity
# alone needs: a lower bound, reached only by 1R1W banks of a width that fills the BRAMs.
sram_note() {
  local rows=$QSA_RTL_ROWS cols=$QSA_RTL_COLS
  local sp=$((QSA_RTL_SP_ROWS * rows * 8)) acc=$((QSA_RTL_ACC_ROWS * cols * 32))
  local prm=$((QSA_RTL_PARAM_ROWS * cols * 32))
  local b36=$(((sp + 36863) / 36864 + (acc + 36863) / 36864 + (prm + 36863) / 36864))
  echo "  SRAM black boxes: scratchpad $((sp / 8192)) KiB (2W 3R), accumulator $((acc / 8192)) KiB" \
    "(2W 2R), parameters $((prm / 8192)) KiB (1W 1R); by capacity at least $b36 RAMB36E1 once" \
    "banked into 1R1W macros (not counted above)"
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
  python3 "$here/scripts/rtl_synth_report.py" depth "$work/xilinx_flat.json" qsa_top
  echo "  xilinx synthesis and depth: $(($(date +%s) - t1)) s"
fi
