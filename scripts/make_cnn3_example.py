#!/usr/bin/env python3
"""Writes examples/cnn3/: a small quantized CNN in qsa's JSON graph form (docs/ir-json.md).

    x uint8 [1,1,8,8]
     -> conv1: Conv 3x3 pad 1, 1 -> 4 channels, fused ReLU      h1 uint8 [1,4,8,8]
     -> conv2: Conv 3x3 stride 2 pad 1, 4 -> 8, fused ReLU,
               explicit fixed-point requantization             h2 int8  [1,8,4,4]
     -> flatten                                                 f  int8  [1,128]
     -> fc:    MatMul (transpose_b) 128 -> 10 + bias            logits int8 [1,10]

conv1's four filters are chosen by hand (edge and blob detectors); conv2's and fc's weights come
from a seeded NumPy generator. Activation scales are calibrated on the example input plus 16
seeded random images with a float forward pass, and every quantized value is computed here so
that the JSON is complete and readable. Deterministic; needs only NumPy:

    build/venv/bin/python scripts/make_cnn3_example.py [--out-dir examples/cnn3]
"""

from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np

SEED = 20240611
INPUT_SCALE = 1.0 / 128.0
INPUT_ZERO_POINT = 128


def quantize(real: np.ndarray, scale, zero_point, lo: int, hi: int) -> np.ndarray:
    """round half to even, then saturate (as qsa and ONNX QuantizeLinear do)."""
    return np.clip(np.rint(real / scale) + zero_point, lo, hi).astype(np.int64)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: m ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    multiplier = int(math.floor(q * (1 << 31) + 0.5))
    if multiplier == 1 << 31:
        multiplier //= 2
        shift += 1
    return multiplier, shift


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """Float NCHW convolution, batch of images."""
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b.reshape(1, m, 1, 1)


def example_image() -> np.ndarray:
    """A '7' drawn on a faint diagonal gradient, real values in [-1, 1)."""
    img = np.fromfunction(lambda r, c: -0.9 + 0.04 * (r + c), (8, 8))
    img[1, 1:7] = 0.9  # top bar
    for r in range(2, 7):
        img[r, 7 - r] = 0.8  # diagonal stroke
    img[4, 3:6] = 0.5  # cross bar
    return img.reshape(1, 1, 8, 8)


def build(out_dir: str) -> None:
    rng = np.random.default_rng(SEED)

    # conv1: hand-chosen float filters (vertical edge, horizontal edge, diagonal, blob).
    w1_real = np.array(
        [
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
            [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
            [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
        ],
        dtype=np.float64,
    ).reshape(4, 1, 3, 3) * np.array([0.25, 0.25, 0.3, 0.0625]).reshape(4, 1, 1, 1)
    b1_real = np.array([0.05, 0.05, 0.0, -0.1])
    w2_real = rng.standard_normal((8, 4, 3, 3)) * 0.25
    b2_real = rng.standard_normal(8) * 0.05
    w3_real = rng.standard_normal((10, 128)) * 0.12
    b3_real = rng.standard_normal(10) * 0.1

    # Per-output-channel symmetric int8 weights.
    def weight_scales(w: np.ndarray) -> np.ndarray:
        flat = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        return (flat / 127.0).astype(np.float32)

    s_w1, s_w2, s_w3 = weight_scales(w1_real), weight_scales(w2_real), weight_scales(w3_real)
    w1 = quantize(w1_real, s_w1.reshape(4, 1, 1, 1), 0, -128, 127)
    w2 = quantize(w2_real, s_w2.reshape(8, 1, 1, 1), 0, -128, 127)
    w3 = quantize(w3_real, s_w3.reshape(10, 1), 0, -128, 127)

    # Calibration: the example input and 16 random images, through the float network with the
    # quantized weights.
    x_q = quantize(example_image(), INPUT_SCALE, INPUT_ZERO_POINT, 0, 255)
    calib_q = np.concatenate(
        [x_q, rng.integers(0, 256, size=(16, 1, 8, 8))], axis=0
    )
    x_real = INPUT_SCALE * (calib_q - INPUT_ZERO_POINT)
    a1 = np.maximum(conv2d(x_real, w1 * s_w1.reshape(4, 1, 1, 1), b1_real, 1, 1), 0)
    a2 = np.maximum(conv2d(a1, w2 * s_w2.reshape(8, 1, 1, 1), b2_real, 2, 1), 0)
    a3 = a2.reshape(a2.shape[0], -1) @ (w3 * s_w3.reshape(10, 1)).T + b3_real

    # h1: uint8 with zero point 16 so that the fused ReLU (clamp_min = 16) does real work.
    zp_h1 = 16
    s_h1 = np.float32(a1.max() / (255 - zp_h1))
    # h2: int8 with zero point -112, fused ReLU clamp_min = -112.
    zp_h2 = -112
    s_h2 = np.float32(a2.max() / (127 - zp_h2))
    # logits: int8, symmetric around zero.
    s_out = np.float32(np.abs(a3).max() / 127.0)

    s_x = np.float32(INPUT_SCALE)
    b1 = np.rint(b1_real / (np.float64(s_x) * s_w1)).astype(np.int64)
    b2 = np.rint(b2_real / (np.float64(s_h1) * s_w2)).astype(np.int64)
    b3 = np.rint(b3_real / (np.float64(s_h2) * s_w3)).astype(np.int64)
    requant2 = [
        quantize_multiplier(float(s_h1) * float(s) / float(s_h2)) for s in s_w2
    ]

    def scale_list(s: np.ndarray) -> list[float]:
        return [float(repr_float(v)) for v in s]

    tensors = {
        "x": {"dtype": "uint8", "shape": [1, 1, 8, 8], "scale": float(s_x),
              "zero_point": INPUT_ZERO_POINT},
        "w1": {"dtype": "int8", "shape": [4, 1, 3, 3], "scale": scale_list(s_w1),
               "zero_point": 0, "axis": 0, "data": w1},
        "b1": {"dtype": "int32", "shape": [4], "data": b1},
        "h1": {"dtype": "uint8", "scale": float(repr_float(s_h1)), "zero_point": zp_h1},
        "w2": {"dtype": "int8", "shape": [8, 4, 3, 3], "scale": scale_list(s_w2),
               "zero_point": 0, "axis": 0, "data": w2},
        "b2": {"dtype": "int32", "shape": [8], "data": b2},
        "h2": {"dtype": "int8", "scale": float(repr_float(s_h2)), "zero_point": zp_h2},
        "w3": {"dtype": "int8", "shape": [10, 128], "scale": scale_list(s_w3),
               "zero_point": 0, "axis": 0, "data": w3},
        "b3": {"dtype": "int32", "shape": [10], "data": b3},
        "logits": {"dtype": "int8", "scale": float(repr_float(s_out)), "zero_point": 0},
    }
    nodes = [
        {"name": "conv1", "op": "Conv", "inputs": ["x", "w1", "b1"], "outputs": ["h1"],
         "attrs": {"pads": [1, 1, 1, 1], "clamp_min": zp_h1}},
        {"name": "conv2", "op": "Conv", "inputs": ["h1", "w2", "b2"], "outputs": ["h2"],
         "attrs": {"strides": [2, 2], "pads": [1, 1, 1, 1], "clamp_min": zp_h2},
         "requant": [{"multiplier": m, "shift": s} for m, s in requant2]},
        {"name": "flatten", "op": "Flatten", "inputs": ["h2"], "outputs": ["f"],
         "attrs": {"axis": 1}},
        {"name": "fc", "op": "MatMul", "inputs": ["f", "w3", "b3"], "outputs": ["logits"],
         "attrs": {"transpose_b": 1}},
    ]

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "cnn3.json"), "w", encoding="utf-8") as f:
        f.write(render(tensors, nodes))
    np.save(os.path.join(out_dir, "input.npy"), x_q[:1].astype(np.uint8))
    graph = json.loads(render(tensors, nodes))
    logits = float64_reference(graph, x_q[:1])
    np.save(os.path.join(out_dir, "logits_float64_rne.npy"), logits)
    print("logits (float64-rne):", logits.tolist())


def float64_reference(graph: dict, x: np.ndarray) -> np.ndarray:
    """The integer network of the JSON file, requantized in float64 with ties to even (qsa's
    float64-rne mode), written independently of qsa as an oracle for its tests."""
    t = graph["tensors"]

    def const(name: str) -> np.ndarray:
        return np.array(t[name]["data"], dtype=np.int64).reshape(t[name]["shape"])

    def f32(v) -> np.float64:
        return np.float64(np.float32(v))

    def requant(acc, m, zp, lo, hi):
        # float64-rne: product and zero point summed and clamped in float64, then rounded half
        # to even (model/golden/quant.h).
        return np.rint(np.clip(acc * m + zp, lo, hi)).astype(np.int64)

    s_x, z_x = t["x"]["scale"], t["x"]["zero_point"]
    s_h1, z_h1 = t["h1"]["scale"], t["h1"]["zero_point"]
    s_h2, z_h2 = t["h2"]["scale"], t["h2"]["zero_point"]
    s_out = t["logits"]["scale"]
    acc1 = np.rint(conv2d(x.astype(np.float64) - z_x, const("w1"), const("b1"), 1, 1))
    m1 = np.array([f32(s_x) * f32(s) / f32(s_h1) for s in t["w1"]["scale"]]).reshape(1, 4, 1, 1)
    h1 = requant(acc1, m1, z_h1, z_h1, 255)
    acc2 = np.rint(conv2d(h1.astype(np.float64) - z_h1, const("w2"), const("b2"), 2, 1))
    m2 = np.array([r["multiplier"] * 2.0 ** (r["shift"] - 31) for r in graph["nodes"][1]["requant"]])
    h2 = requant(acc2, m2.reshape(1, 8, 1, 1), z_h2, z_h2, 127)
    acc3 = (h2.reshape(1, -1) - z_h2) @ const("w3").T + const("b3")
    m3 = np.array([f32(s_h2) * f32(s) / f32(s_out) for s in t["w3"]["scale"]])
    return requant(acc3, m3, 0, -128, 127).astype(np.int8)


def repr_float(v) -> str:
    """The shortest decimal that reads back as the same float32."""
    v = np.float32(v)
    return np.format_float_positional(v, unique=True, trim="-") if 1e-4 <= abs(v) < 1e6 else \
        np.format_float_scientific(v, unique=True, trim="-")


def render(tensors: dict, nodes: list) -> str:
    """JSON with one line per tensor field and one line per output channel of each weight."""

    def dump(v) -> str:
        return json.dumps(v, separators=(", ", ": "))

    lines = [
        "{",
        '  "qsa_graph": 1,',
        '  "name": "cnn3",',
        '  "comment": "Hand-written 3-layer quantized CNN; see README.md. '
        'Generated by scripts/make_cnn3_example.py.",',
        '  "inputs": ["x"],',
        '  "outputs": ["logits"],',
        '  "tensors": {',
    ]
    tensor_items = list(tensors.items())
    for ti, (name, t) in enumerate(tensor_items):
        fields = []
        for key in ("dtype", "shape", "scale", "zero_point", "axis"):
            if key in t:
                fields.append(f"{dump(key)}: {dump(t[key])}")
        if "data" in t:
            data = np.asarray(t["data"])
            # One line per 3x3 kernel of a conv weight, lines of at most 16 values otherwise.
            if data.ndim == 4:
                per_line = data.shape[2] * data.shape[3]
            else:
                per_line = min(16, data.shape[-1])
            rows = data.reshape(-1, per_line)
            body = ",\n".join(
                "        " + ", ".join(str(int(v)) for v in row) for row in rows
            )
            fields.append('"data": [\n' + body + "\n      ]")
        sep = "," if ti + 1 < len(tensor_items) else ""
        if "data" in t:
            lines.append(f"    {dump(name)}: {{")
            lines.append(",\n".join("      " + f for f in fields))
            lines.append("    }" + sep)
        else:
            lines.append(f"    {dump(name)}: {{" + ", ".join(fields) + "}" + sep)
    lines.append("  },")
    lines.append('  "nodes": [')
    for ni, n in enumerate(nodes):
        sep = "," if ni + 1 < len(nodes) else ""
        head = ", ".join(f"{dump(k)}: {dump(n[k])}" for k in ("name", "op", "inputs", "outputs"))
        head += ',\n      "attrs": ' + dump(n["attrs"])
        if "requant" in n:
            entries = ",\n".join("        " + dump(r) for r in n["requant"])
            lines.append("    {" + head + ",\n      \"requant\": [\n" + entries + "\n      ]}" + sep)
        else:
            lines.append("    {" + head + "}" + sep)
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out-dir",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "cnn3"),
    )
    args = parser.parse_args()
    build(os.path.normpath(args.out_dir))


if __name__ == "__main__":
    main()
