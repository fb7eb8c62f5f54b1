#!/usr/bin/env python3
"""Writes the data of examples/isa/conv3x3_s2/: a 3x3, stride-2, pad-1 convolution with per-channel
int8 weights and a fused ReLU, as a golden graph (model.json) and as the DRAM data that the
hand-written accelerator program conv.s loads (docs/isa.md, docs/assembly.md).

    x uint8 [1,12,8,8] (scale 0.02, zero point 128)
      -> Conv 3x3 stride 2 pad 1, 12 -> 8 channels, bias, ReLU   y uint8 [1,8,4,4]

The program is written for the 8x8 array (model/isa/arch/8x8.json): the 12 input channels form two
channel blocks of 8 lanes (the second holds 4), the 8 output channels one block. Everything the
program needs is derived here with NumPy and plain integers, independently of qsa's C++ code:

    tiles.npy     int8 [18, 8, 8]: weight tile t = 2*(3*kh + kw) + kb; row c holds output channel
                  c's weights for input channels 8*kb .. 8*kb + 7 (zero beyond channel 11)
    params.npy    int32 [4, 8]: the post parameter rows - bias with the input zero point folded in
                  (b[m] - 128 * sum(w[m])), multiplier, shifts (lsh | rsh << 8) and output format
                  (zp | qmin << 8 | qmax << 16) - from TFLite's QuantizeMultiplier of
                  s_x * s_w[m] / s_y
    input.npy     uint8 [1,12,8,8]: an input (NCHW, as `qsa run` takes it)
    expected.npy  uint8 [1,8,4,4]: the output, computed here with gemmlowp's fixed-point
                  arithmetic (tflite-double), written out from its definition
    model.json    the same convolution as a qsa JSON graph (docs/ir-json.md), with conv_w.npy and
                  conv_b.npy

Deterministic; needs only NumPy:

    build/venv/bin/python scripts/make_isa_conv_example.py [--out-dir examples/isa/conv3x3_s2]
"""

from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np

SEED = 20240917
C, H, W, M, K, STRIDE, PAD = 12, 8, 8, 8, 3, 2, 1
ROWS, COLS = 8, 8  # model/isa/arch/8x8.json
S_X, ZX = np.float32(0.02), 128
S_Y, ZY = np.float32(0.0625), 2  # ReLU: clamp_min = ZY
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real = fraction * 2^shift with fraction in [0.5, 1),
    multiplier = fraction * 2^31 rounded half away from zero (renormalized at 2^31)."""
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)
    multiplier = math.floor(fraction * 2.0**31 + 0.5)
    if multiplier == 1 << 31:
        multiplier //= 2
        shift += 1
    assert -31 <= shift <= 30
    return multiplier, shift


def truncating_div(a: int, b: int) -> int:
    """C integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a: int, b: int) -> int:
    """gemmlowp's SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return truncating_div(ab + nudge, 1 << 31)


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """gemmlowp's RoundingDivideByPOT: x / 2^exponent, ties away from zero."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def requantize(acc: int, multiplier: int, shift: int) -> int:
    """TFLite's MultiplyByQuantizedMultiplier (two roundings; the left shift saturates)."""
    left, right = max(shift, 0), max(-shift, 0)
    shifted = min(max(acc * (1 << left), INT32_MIN), INT32_MAX)
    return rounding_divide_by_pot(srdhm(shifted, multiplier), right)


def accumulators(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b[m] + sum over the taps inside the input of (x - ZX) * w, exactly (int64)."""
    xc = np.pad(x[0].astype(np.int64) - ZX, ((0, 0), (PAD, PAD), (PAD, PAD)))  # padding is 0
    oh = (H + 2 * PAD - K) // STRIDE + 1
    ow = (W + 2 * PAD - K) // STRIDE + 1
    acc = np.zeros((M, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            patch = xc[:, i * STRIDE : i * STRIDE + K, j * STRIDE : j * STRIDE + K]
            acc[:, i, j] = np.tensordot(w.astype(np.int64), patch, axes=([1, 2, 3], [0, 1, 2]))
    return acc + b.astype(np.int64).reshape(M, 1, 1)


def scale_value(v: np.float32) -> float:
    """The shortest decimal that reads back (as a double, then float32) to the float32 v."""
    r = float(str(v))
    assert np.float32(r) == v
    return r


def graph_text(graph: dict) -> str:
    """The graph as JSON, one line per tensor and per node."""
    lines = ["{"]
    for key in ("qsa_graph", "name", "comment", "inputs", "outputs"):
        lines.append(f"  {json.dumps(key)}: {json.dumps(graph[key])},")
    lines.append('  "tensors": {')
    entries = [f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in graph["tensors"].items()]
    lines.append(",\n".join(entries))
    lines.append("  },")
    lines.append('  "nodes": [')
    lines.append(",\n".join(f"    {json.dumps(n)}" for n in graph["nodes"]))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def build(out_dir: str) -> None:
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 256, size=(1, C, H, W), dtype=np.uint8)
    w = rng.integers(-127, 128, size=(M, C, K, K), dtype=np.int8)
    s_w = rng.uniform(0.001, 0.004, size=M).astype(np.float32)
    b = rng.integers(-3000, 3001, size=M, dtype=np.int32)

    # Requantization, as TFLite (and the golden model) derives it: the ratio in double from the
    # float32 scales.
    fixed = [quantize_multiplier(float(S_X) * float(s_w[m]) / float(S_Y)) for m in range(M)]
    acc = accumulators(x, w, b)
    y = np.zeros(acc.shape, dtype=np.uint8)
    for (m, i, j), a in np.ndenumerate(acc):
        v = requantize(int(a), *fixed[m]) + ZY
        y[m, i, j] = min(max(v, ZY), 255)

    # Weight tiles: tile 2*(3*kh + kw) + kb, row c = output channel c, lane r = input channel
    # 8*kb + r.
    blocks = (C + ROWS - 1) // ROWS
    tiles = np.zeros((K * K * blocks, COLS, ROWS), dtype=np.int8)
    for kh in range(K):
        for kw in range(K):
            for kb in range(blocks):
                lanes = min(ROWS, C - kb * ROWS)
                first = kb * ROWS
                tiles[(K * kh + kw) * blocks + kb, :M, :lanes] = w[:, first : first + lanes, kh, kw]

    # Post parameters: folded bias, multiplier, shifts, output format (uint8, [ZY, 255]).
    params = np.zeros((4, COLS), dtype=np.int64)
    for m in range(M):
        multiplier, shift = fixed[m]
        params[0, m] = int(b[m]) - ZX * int(w[m].astype(np.int64).sum())
        params[1, m] = multiplier
        params[2, m] = max(shift, 0) | (max(-shift, 0) << 8)
        params[3, m] = ZY | (ZY << 8) | (255 << 16)
    params = params.astype(np.int32)

    os.makedirs(out_dir, exist_ok=True)
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), y.reshape(1, M, y.shape[1], y.shape[2]))
    np.save(os.path.join(out_dir, "tiles.npy"), tiles)
    np.save(os.path.join(out_dir, "params.npy"), params)
    np.save(os.path.join(out_dir, "conv_w.npy"), w)
    np.save(os.path.join(out_dir, "conv_b.npy"), b)
    graph = {
        "qsa_graph": 1,
        "name": "conv3x3_s2",
        "comment": "written by scripts/make_isa_conv_example.py; the program is conv.s",
        "inputs": ["x"],
        "outputs": ["y"],
        "tensors": {
            "x": {"dtype": "uint8", "shape": [1, C, H, W], "scale": scale_value(S_X),
                  "zero_point": ZX},
            "w": {"npy": "conv_w.npy", "scale": [scale_value(s) for s in s_w], "zero_point": 0,
                  "axis": 0},
            "b": {"npy": "conv_b.npy"},
            "y": {"dtype": "uint8", "scale": scale_value(S_Y), "zero_point": ZY},
        },
        "nodes": [
            {
                "name": "conv1",
                "op": "Conv",
                "inputs": ["x", "w", "b"],
                "outputs": ["y"],
                "attrs": {"strides": [STRIDE, STRIDE], "pads": [PAD] * 4, "clamp_min": ZY},
            }
        ],
    }
    with open(os.path.join(out_dir, "model.json"), "w", encoding="utf-8") as f:
        f.write(graph_text(graph))
    nonzero = int(np.count_nonzero(y > ZY))
    print(f"wrote {out_dir}: {nonzero}/{y.size} outputs above the ReLU floor, max {int(y.max())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument(
        "--out-dir",
        default=os.path.join(here, "..", "examples", "isa", "conv3x3_s2"),
        help="output folder",
    )
    build(os.path.normpath(parser.parse_args().out_dir))


if __name__ == "__main__":
    main()
