#!/usr/bin/env python3
"""Plots of an estimate (qsa estimate --json FILE, or qsa run --engine isa --report FILE):
array utilization per layer, energy per layer by component, and a roofline of the layers on the
configured array (docs/estimation.md).

    qsa estimate model.onnx --json est.json
    build/venv/bin/python scripts/plot_estimate.py est.json --out plots/

Writes OUT/utilization.png, OUT/energy.png and OUT/roofline.png. Needs matplotlib
(scripts/requirements.txt).

Roofline: a layer's arithmetic intensity is its MACs per DRAM byte, its performance its MACs per
cycle; the roof is min(ROWS·COLS, intensity · DRAM bytes per cycle). The DRAM bandwidth is read
from the architecture file given with --arch (default: 16 bytes per cycle, the default
architecture's).
"""

from __future__ import annotations

import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COMPONENTS = ["array", "vector", "scratchpad", "accumulator", "parameter_buffer", "dram",
              "control", "leakage"]
COLORS = ["#1f77b4", "#17becf", "#2ca02c", "#98df8a", "#bcbd22", "#d62728", "#9467bd", "#7f7f7f"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json")
    ap.add_argument("--out", default=".")
    ap.add_argument("--arch", default="", help="architecture JSON for the DRAM bandwidth")
    args = ap.parse_args()
    est = json.load(open(args.json))
    layers = est["layers"]
    arch = est.get("arch", {})
    rows, cols = arch.get("rows", 16), arch.get("cols", 16)
    bw = 16
    if args.arch:
        bw = json.load(open(args.arch)).get("dram", {}).get("bytes_per_cycle", bw)
    names = [l["name"] for l in layers]
    os.makedirs(args.out, exist_ok=True)
    title = os.path.basename(est.get("model", est.get("program", args.json)))
    width = max(8.0, 0.28 * len(layers))
    x = range(len(layers))

    fig, ax = plt.subplots(figsize=(width, 4.5))
    util = [100.0 * l["macs"] / (max(l["cycles"], 1) * rows * cols) for l in layers]
    bound_color = {"compute": "#1f77b4", "dram": "#d62728", "vector": "#17becf"}
    ax.bar(x, util, color=[bound_color.get(l.get("bound", ""), "#7f7f7f") for l in layers])
    ax.set_xticks(list(x), names, rotation=90, fontsize=7)
    ax.set_ylabel("array utilization (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"{title}: utilization per layer on {rows}x{cols} "
                 "(blue compute-, red DRAM-, cyan vector-bound)")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "utilization.png"), dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(width, 4.5))
    bottom = [0.0] * len(layers)
    for comp, color in zip(COMPONENTS, COLORS):
        values = [l["energy_by_component"][comp] / 1e6 for l in layers]
        ax.bar(x, values, bottom=bottom, color=color, label=comp)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(list(x), names, rotation=90, fontsize=7)
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"{title}: energy per layer by component ({est.get('energy_table', '')})")
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "energy.png"), dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    peak = rows * cols
    pts = [(l["macs"] / max(l["dram_read"] + l["dram_written"], 1),
            l["macs"] / max(l["cycles"], 1)) for l in layers if l["macs"] > 0]
    lo = min([p[0] for p in pts] + [0.1]) / 2
    hi = max([p[0] for p in pts] + [10.0 * peak / bw]) * 2
    xs = [lo * (hi / lo) ** (k / 200) for k in range(201)]
    ax.plot(xs, [min(peak, i * bw) for i in xs], "k-", label=f"roof: {peak} MACs/cycle, {bw} B/cycle")
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, color="#1f77b4", label="layers")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (MACs per DRAM byte)")
    ax.set_ylabel("MACs per cycle")
    ax.set_title(f"{title}: roofline on {rows}x{cols}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "roofline.png"), dpi=120)
    plt.close(fig)
    for name in ("utilization", "energy", "roofline"):
        print(os.path.join(args.out, name + ".png"))


if __name__ == "__main__":
    main()
