#!/usr/bin/env bash
# Static checks of the accelerator RTL for one architecture configuration.
#
#   scripts/rtl_check.sh lint  ARCH.json   verilator --lint-only -Wall
#   scripts/rtl_check.sh synth ARCH.json   Yosys read_verilog -sv + synth; prints the cell count
#                                          per module and in all (SRAM macros are black boxes)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=$1 arch=$2

# Top-level parameters from the configuration (keys missing from ARCH keep the default's).
params=$(python3 - "$here/model/isa/arch/default.json" "$arch" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
over = json.load(open(sys.argv[2]))
for k, v in over.items():
    if isinstance(v, dict): base[k].update(v)
    else: base[k] = v
rows, cols = base["array"]["rows"], base["array"]["cols"]
m, q = base["memory"], base["queues"]
print(f"ArrayRows={rows} ArrayCols={cols} SpRows={m['scratchpad_kib'] * 1024 // rows} "
      f"AccRows={m['accumulator_kib'] * 1024 // (4 * cols)} ParamRows={m['param_rows']} "
      f"SpBanks={m['scratchpad_banks']} AccBanks={m['accumulator_banks']} "
      f"InsnDepth={q['instruction_depth']} TokenDepth={q['token_depth']}")
PY
)
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
          */qsa_sram.sv) echo "read_verilog -sv -lib $f" ;;
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
