#!/usr/bin/env bash
# Formal equivalence of the pipelined requantizer lane (rtl/core/qsa_requant.sv) with a plain
# combinational reference (tests/sim/formal/qsa_requant_ref.sv): Yosys builds the miter
# (tests/sim/formal/qsa_requant_equiv.sv: any x, m and legal shifts, held from reset on; the lane's
# result Latency cycles later must equal the reference's), yosys-smtbmc with z3 proves it by
# bounded model checking over the pipeline's depth, one rounding mode at a time.
#
# The 64-bit products (one in the lane, one per rounding in the reference) are replaced by one
# uninterpreted function of their operands: the proof then holds for every multiplication, so
# for the real one, and z3 never has to reason about two differently built multipliers (with
# the real products the two-rounding proof did not finish in 13 minutes; the single-rounding one
# takes seconds either way). QSA_FORMAL_REAL_MUL=1 keeps the real products.
#
#   scripts/rtl_formal_requant.sh [TIMEOUT_SECONDS [MODES]]
#     TIMEOUT_SECONDS per mode (default 1800); MODES "0 1" (default: both), 0 = two roundings,
#     1 = single rounding
#
# Exit status 0 when every mode is proved, 1 on a counterexample, 2 when a proof ran out of time.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=${1:-1800}
modes=${2:-0 1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for single in $modes; do
  yosys -q -l "$work/yosys$single.log" -p "
    read_verilog -sv -formal $here/rtl/core/qsa_requant.sv
    read_verilog -sv -formal $here/tests/sim/formal/qsa_requant_ref.sv
    read_verilog -sv -formal $here/tests/sim/formal/qsa_requant_equiv.sv
    chparam -set Single $single qsa_requant_equiv
    prep -top qsa_requant_equiv
    async2sync
    dffunmap
    write_smt2 -wires $work/equiv$single.raw.smt2" >/dev/null
  if [ "${QSA_FORMAL_REAL_MUL:-0}" = 1 ]; then
    cp "$work/equiv$single.raw.smt2" "$work/equiv$single.smt2"
  else
    {
      echo '(declare-fun qsa_mul ((_ BitVec 64) (_ BitVec 64)) (_ BitVec 64))'
      sed 's/(bvmul /(qsa_mul /g' "$work/equiv$single.raw.smt2"
    } >"$work/equiv$single.smt2"
  fi
  t0=$(date +%s)
  set +e
  timeout "$limit" yosys-smtbmc -s z3 -t 7 "$work/equiv$single.smt2" 2>&1 | tr '\r' '\n' |
    sed 's/^.*seconds[^#]*//' >"$work/bmc$single.log"
  rc=${PIPESTATUS[0]}
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
