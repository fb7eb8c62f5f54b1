#!/usr/bin/env python3
"""qsa's analytic cycles against SCALE-Sim's on the same layers and array (docs/estimation.md,
"Relation to SCALE-Sim"): runs `qsa estimate --topology` and SCALE-Sim (weight stationary, the
array of --arch, operands in SRAM: bandwidth CALC, so no DRAM stalls) on one topology CSV and
prints a Markdown table of both figures and their ratio.

    python3 -m venv /tmp/ss && /tmp/ss/bin/pip install scalesim "numpy<2"
    /tmp/ss/bin/python scripts/scalesim_compare.py build/tools/qsa topo.csv [--gemm]

SCALE-Sim 3.0.0 needs numpy < 2 (with numpy 2 its memory model fails on a 1-element array).
SCALE-Sim's SRAM sizes are set to qsa's default scratchpad split (128 KiB inputs, 64 KiB
weights, 64 KiB outputs); with bandwidth CALC they do not change its compute cycles.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

CONFIG = """[general]
run_name = qsa

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 128
FilterSramSzkB: 64
OfmapSramSzkB: 64
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: ws
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: 16
IfmapSRAMBankNum: 4
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: 16
FilterSRAMBankNum: 4
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("qsa")
    ap.add_argument("topology")
    ap.add_argument("--gemm", action="store_true", help="the file is a GEMM topology (M, N, K)")
    ap.add_argument("--arch", default="")
    args = ap.parse_args()
    from scalesim.scale_sim import scalesim  # noqa: PLC0415 (only this script needs it)

    with tempfile.TemporaryDirectory() as tmp:
        est = os.path.join(tmp, "q.json")
        cmd = [args.qsa, "estimate", "--topology", args.topology, "-q", "--json", est]
        if args.arch:
            cmd += ["--arch", args.arch]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(done.stderr.strip())
        q = json.load(open(est))
        cfg = os.path.join(tmp, "qsa.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(rows=q["arch"]["rows"], cols=q["arch"]["cols"]))
        sim = scalesim(save_disk_space=True, verbose=False, config=cfg,
                       topology=args.topology, layout=args.topology, input_type_gemm=args.gemm)
        sim.run_scale(top_path=os.path.join(tmp, "res"))
        report = os.path.join(tmp, "res", "qsa", "COMPUTE_REPORT.csv")
        rows = [r for r in csv.reader(open(report))][1:]
    print(f"Array {q['arch']['rows']}x{q['arch']['cols']}, weight stationary.\n")
    print("| layer | MACs | qsa cycles | qsa compute-queue cycles | SCALE-Sim cycles | qsa / SCALE-Sim "
          "| SCALE-Sim util % |")
    print("|---|---|---|---|---|---|---|")
    for layer, r in zip(q["layers"], rows):
        ss = int(r[2])
        print(f"| {layer['name']} | {layer['macs']:,} | {layer['cycles']:,} | "
              f"{layer['compute_cycles']:,} | {ss:,} | {layer['cycles'] / ss:.2f} | "
              f"{float(r[6]):.1f} |")


if __name__ == "__main__":
    main()
