#!/usr/bin/env bash
# Formal equivalence of the pipelined requantizer lane (rtl/core/qsa_requant.sv) with a plain
# combinational reference (tests/sim/formal/qsa_requant_ref.sv): Yosys builds the miter
# (tests/sim/formal/qsa_requant_equiv.sv: any x, m and legal shifts, held from reset on; the lane's
# result Latency cycles later must equal the reference's), yosys-smtbmc with z3 proves it by
# bounded model checking over the pipeline's depth, one rounding mode at a time.
#
#   scripts/rtl_formal_requant.sh [TIMEOUT_SECONDS]   (per mode, default 1800)
#
# Exit status 0 when both modes are proved, 1 on a counterexample, 2 when a proof ran out of time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=${1:-1800}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for single in 0 1; do
  yosys -q -l "$work/yosys$single.log" -p "
    read_verilog -sv -formal $here/rtl/core/qsa_requant.sv
    read_verilog -sv -formal $here/tests/sim/formal/qsa_requant_ref.sv
    read_verilog -sv -formal $here/tests/sim/formal/qsa_requant_equiv.sv
    chparam -set Single $single qsa_requant_equiv
    prep -top qsa_requant_equiv
    async2sync
    dffunmap
    write_smt2 -wires $work/equiv$single.smt2" >/dev/null
  t0=$(date +%s)
  set +e
  timeout "$limit" yosys-smtbmc -s z3 -t 7 "$work/equiv$single.smt2" >"$work/bmc$single.log" 2>&1
  rc=$?
  set -e
  mode=$([ "$single" = 1 ] && echo "single rounding" || echo "two roundings")
  if [ $rc -eq 0 ] && grep -q "Status: PASSED" "$work/bmc$single.log"; then
    echo "requantizer lane == reference, $mode: proved (z3, $(($(date +%s) - t0)) s)"
  elif [ $rc -eq 124 ]; then
    echo "requantizer lane == reference, $mode: no result within $limit s (z3 did not terminate)"
    [ $status -eq 0 ] && status=2
  else
    echo "requantizer lane == reference, $mode: FAILED" >&2
    tail -30 "$work/bmc$single.log" >&2
    status=1
  fi
done
exit $status
