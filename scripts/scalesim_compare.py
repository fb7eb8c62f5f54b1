#!/usr/bin/env python3
"""qsa's cycles against SCALE-Sim's on the same layers and array (docs/estimation.md, "Relation
to SCALE-Sim"; docs/benchmarks.md). SCALE-Sim runs weight stationary on the array of --arch with
its operands in SRAM (bandwidth CALC, so no DRAM stalls: ideal memory); the script prints a
Markdown table of both figures and their ratio.

Topology mode: `qsa estimate --topology` (the compiler's analytic cycles) on one SCALE-Sim topology
CSV. Model mode (--model): the convolutions and matrix products of an ONNX model, each layer's
qsa cycles measured on the RTL (`qsa run --engine rtl --report`, real DRAM latency and bandwidth
of the architecture) beside the analytic estimate and SCALE-Sim's cycles for the same layer.

    python3 -m venv /tmp/ss && /tmp/ss/bin/pip install scalesim "numpy<2" onnx
    /tmp/ss/bin/python scripts/scalesim_compare.py build/tools/qsa topo.csv [--gemm]
    /tmp/ss/bin/python scripts/scalesim_compare.py build/tools/qsa --model M.onnx --input X.npy

In model mode SCALE-Sim sees each convolution with its padded input (it has no padding), a
depthwise convolution as one input channel with one filter per channel (the usual SCALE-Sim
mapping: the same MACs, the kernel's taps on the array's rows), and a matrix product [M, K] x
[K, N] as a 1x1 convolution of an M x 1 input with K channels and N filters. qsa's RTL cycles of a
layer run from the previous layer's last retired instruction to its own, so the vector-unit
layers between convolutions (adds, pools) are not in the table.

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


def run_qsa(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr.strip() or f"{cmd[0]} failed")


def run_scalesim(tmp: str, rows: int, cols: int, topology: str, gemm: bool) -> list[int]:
    """SCALE-Sim's compute cycles of each layer of `topology`."""
    from scalesim.scale_sim import scalesim  # noqa: PLC0415 (only this script needs it)

    cfg = os.path.join(tmp, "qsa.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(rows=rows, cols=cols))
    sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topology,
                   layout=topology, input_type_gemm=gemm)
    sim.run_scale(top_path=os.path.join(tmp, "res"))
    report = os.path.join(tmp, "res", "qsa", "COMPUTE_REPORT.csv")
    with open(report) as f:
        return [int(r[2]) for r in list(csv.reader(f))[1:]]


def model_layers(path: str) -> list[tuple[str, list[int]]]:
    """(name, SCALE-Sim topology row) of each Conv, MatMul and Gemm of the ONNX model."""
    import onnx  # noqa: PLC0415
    from onnx import numpy_helper  # noqa: PLC0415

    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for v in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        dims = v.type.tensor_type.shape.dim
        shapes[v.name] = [d.dim_value for d in dims]
    for t in model.graph.initializer:
        shapes[t.name] = list(numpy_helper.to_array(t).shape)
    producer = {o: n for n in model.graph.node for o in n.output}

    def shape(name: str) -> list[int]:
        # Through a DequantizeLinear to the tensor it reads (a QDQ model's weights).
        while name not in shapes and name in producer:
            name = producer[name].input[0]
        if name not in shapes:
            sys.exit(f"{path}: no shape for tensor '{name}'")
        return shapes[name]

    layers = []
    for n in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            _, c, h, w = shape(n.input[0])
            m, cg, kh, kw = shape(n.input[1])
            pads = attrs.get("pads", [0, 0, 0, 0])
            stride = attrs.get("strides", [1, 1])[0]
            group = attrs.get("group", 1)
            hp, wp = h + pads[0] + pads[2], w + pads[1] + pads[3]
            if group == 1:
                layers.append((n.name, [hp, wp, kh, kw, c, m, stride]))
            elif group == c and cg == 1:
                layers.append((n.name, [hp, wp, kh, kw, 1, m, stride]))
            else:
                sys.exit(f"{path}: '{n.name}': grouped convolution with {group} groups has no "
                         "SCALE-Sim topology row")
        elif n.op_type in ("MatMul", "Gemm"):
            a, b = shape(n.input[0]), shape(n.input[1])
            rows_a = 1
            for d in a[:-1]:
                rows_a *= d
            k = a[-1]
            cols_b = b[0] if n.op_type == "Gemm" and attrs.get("transB", 0) else b[-1]
            layers.append((n.name, [rows_a, 1, 1, 1, k, cols_b, 1]))
    return layers


def compare_model(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        est, rep = os.path.join(tmp, "e.json"), os.path.join(tmp, "r.json")
        arch = ["--arch", args.arch] if args.arch else []
        run_qsa([args.qsa, "estimate", args.model, "-q", "--json", est] + arch)
        run_qsa([args.qsa, "run", args.model, "--engine", "rtl", "--input", args.input, "--out",
                 os.path.join(tmp, "out"), "--report", rep, "-q"] + arch)
        with open(est) as f:
            q = json.load(f)
        with open(rep) as f:
            rtl = {layer["name"]: layer for layer in json.load(f)["layers"]}
        analytic = {layer["name"]: layer for layer in q["layers"]}
        layers = model_layers(args.model)
        topology = os.path.join(tmp, "topology.csv")
        with open(topology, "w") as f:
            f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\n")
            for name, row in layers:
                f.write(", ".join([name.replace(",", "_")] + [str(v) for v in row]) + ",\n")
        rows, cols = q["arch"]["rows"], q["arch"]["cols"]
        ss = run_scalesim(tmp, rows, cols, topology, False)
    print(f"{os.path.basename(args.model)}, array {rows}x{cols}; SCALE-Sim weight stationary, "
          "ideal memory; qsa RTL with the architecture's DRAM.\n")
    print("| layer | shape (H W KH KW C M stride) | MACs | qsa RTL cycles | qsa analytic | "
          "SCALE-Sim cycles | RTL / SCALE-Sim |")
    print("|---|---|---|---|---|---|---|")
    total_rtl = total_ss = 0
    for (name, row), cycles in zip(layers, ss):
        if name not in rtl:
            print(f"| {name} | {' '.join(map(str, row))} | - | (not on the accelerator) | - | "
                  f"{cycles:,} | - |")
            continue
        r = rtl[name]["cycles"]
        total_rtl += r
        total_ss += cycles
        print(f"| {name} | {' '.join(map(str, row))} | {rtl[name]['macs']:,} | {r:,} | "
              f"{analytic[name]['cycles']:,} | {cycles:,} | {r / cycles:.2f} |")
    print(f"| total | | | {total_rtl:,} | | {total_ss:,} | {total_rtl / total_ss:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("qsa")
    ap.add_argument("topology", nargs="?", help="a SCALE-Sim topology CSV (topology mode)")
    ap.add_argument("--gemm", action="store_true", help="the file is a GEMM topology (M, N, K)")
    ap.add_argument("--model", help="an ONNX model (model mode: RTL cycles per layer)")
    ap.add_argument("--input", help="model mode: the model's input (.npy)")
    ap.add_argument("--arch", default="")
    args = ap.parse_args()
    if args.model:
        if not args.input or args.topology:
            ap.error("--model takes --input and no topology file")
        return compare_model(args)
    if not args.topology:
        ap.error("give a topology CSV or --model")

    with tempfile.TemporaryDirectory() as tmp:
        est = os.path.join(tmp, "q.json")
        cmd = [args.qsa, "estimate", "--topology", args.topology, "-q", "--json", est]
        if args.arch:
            cmd += ["--arch", args.arch]
        run_qsa(cmd)
        with open(est) as f:
            q = json.load(f)
        report = os.path.join(tmp, "res", "qsa", "COMPUTE_REPORT.csv")
        run_scalesim(tmp, q["arch"]["rows"], q["arch"]["cols"], args.topology, args.gemm)
        with open(report) as f:
            rows = list(csv.reader(f))[1:]
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
