#!/usr/bin/env python3
"""The validation table of docs/estimation.md: per layer, the analytic estimate (qsa estimate),
the ISA simulator (qsa run --engine isa --report) and the RTL (qsa run --engine rtl --report),
cycles and energy, as a Markdown table on standard output.

    scripts/estimation_validation.py build/tools/qsa examples/digits/digits_qdq.onnx \\
        examples/digits/input.npy [--arch NAME] [--no-rtl] [--save DIR] [--reuse DIR]

The RTL reports measured cycles per layer (from the previous layer's last retired instruction to
its own); its events are the ISA simulator's (the counters are equal, a cosim test), so the RTL
energy column is the ISA events with the RTL's cycles for leakage. On layers of at least 10,000 RTL
cycles the `targets` column says whether the analytic estimate is within 3 % of the RTL (A) and
the ISA simulator within 2 % (I); a summary line counts them. Only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile


def run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {done.stderr.strip()}")


def pct(a: float, b: float) -> str:
    return "-" if b == 0 else f"{100.0 * (a - b) / b:+.1f} %"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("qsa")
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--arch", default="")
    ap.add_argument("--no-rtl", action="store_true", help="analytic and ISA only")
    ap.add_argument("--save", default="", metavar="DIR",
                    help="keep the three JSON reports (estimate.json, isa.json, rtl.json) in DIR")
    ap.add_argument("--reuse", default="", metavar="DIR",
                    help="run only the analytic estimate; take isa.json and rtl.json from DIR "
                         "(a --save of the same compiled program: the RTL run takes minutes)")
    args = ap.parse_args()
    arch = ["--arch", args.arch] if args.arch else []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.save or scratch
        os.makedirs(tmp, exist_ok=True)
        est = os.path.join(tmp, "estimate.json")
        run([args.qsa, "estimate", args.model, "-q", "--json", est, *arch])
        isa = os.path.join(args.reuse or tmp, "isa.json")
        if not args.reuse:
            run([args.qsa, "run", args.model, "--engine", "isa", "--input", args.input, "--out",
                 os.path.join(tmp, "o1"), "--report", isa, *arch])
        rtl = os.path.join(args.reuse or tmp, "rtl.json")
        if not args.no_rtl and not args.reuse:
            run([args.qsa, "run", args.model, "--engine", "rtl", "--input", args.input, "--out",
                 os.path.join(tmp, "o2"), "--report", rtl, *arch])
        a = json.load(open(est))
        s = json.load(open(isa))
        r = json.load(open(rtl)) if not args.no_rtl else None
    leak = a["energy_by_component"]["leakage"] / max(a["cycles"], 1)
    print(f"Model `{os.path.basename(args.model)}`, architecture `{a['arch']['name']}` "
          f"({a['arch']['rows']}x{a['arch']['cols']}), energy table `{a['energy_table']}`.\n")
    head = "| layer | MACs | analytic cycles | ISA cycles | RTL cycles | analytic vs RTL | ISA vs RTL " \
           "| targets | analytic nJ | ISA nJ | RTL nJ |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    rows = zip(a["layers"], s["layers"], r["layers"] if r else [None] * len(a["layers"]))
    tot = [0, 0, 0, 0.0, 0.0, 0.0]
    big = met_a = met_i = 0
    for la, ls, lr in rows:
        rc = lr["cycles"] if lr else 0
        target = "-"
        if lr and rc >= 10000:
            ok_a = abs(la["cycles"] - rc) <= 0.03 * rc
            ok_i = abs(ls["cycles"] - rc) <= 0.02 * rc
            big, met_a, met_i = big + 1, met_a + ok_a, met_i + ok_i
            target = f"A {'yes' if ok_a else 'no'}, I {'yes' if ok_i else 'no'}"
        e_rtl = ls["energy_pj"] + (rc - ls["cycles"]) * leak if lr else 0.0
        tot = [tot[0] + la["cycles"], tot[1] + ls["cycles"], tot[2] + rc,
               tot[3] + la["energy_pj"], tot[4] + ls["energy_pj"], tot[5] + e_rtl]
        print(f"| {la['name']} | {la['macs']:,} | {la['cycles']:,} | {ls['cycles']:,} | "
              + (f"{rc:,} | {pct(la['cycles'], rc)} | {pct(ls['cycles'], rc)} | {target} | " if lr
                 else "- | - | - | - | ")
              + f"{la['energy_pj'] / 1e3:,.1f} | {ls['energy_pj'] / 1e3:,.1f} | "
              + (f"{e_rtl / 1e3:,.1f} |" if lr else "- |"))
    rtl_cycles = r["cycles"] if r else 0
    print(f"| **total** | {a['macs']:,} | {a['cycles']:,} | {s['cycles']:,} | "
          + (f"{rtl_cycles:,} | {pct(a['cycles'], rtl_cycles)} | {pct(s['cycles'], rtl_cycles)} | "
             if r else "- | - | - | ")
          + "| " + f"{tot[3] / 1e3:,.1f} | {tot[4] / 1e3:,.1f} | "
          + (f"{tot[5] / 1e3:,.1f} |" if r else "- |"))
    if r:
        print(f"\nLayers of at least 10,000 RTL cycles: {big}; analytic within 3 %: {met_a}; "
              f"ISA simulator within 2 %: {met_i}.")


if __name__ == "__main__":
    main()
