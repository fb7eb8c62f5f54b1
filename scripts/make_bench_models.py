#!/usr/bin/env python3
"""Builds the benchmark models: ResNet-18, MobileNetV2 and ResNet-50 at their real shapes, with
seeded random weights, as float ONNX models and quantized by ONNX Runtime's own quantizer.

The networks are written with onnx.helper (nothing is downloaded): the layer structure and tensor
shapes of the published networks, with BatchNormalization folded into each convolution's weights
and bias (as an exported, inference-ready model has it). The weights are He-scaled normal, and
the last convolution of every residual branch is scaled down (as a trained BatchNormalization's
small gamma does) so that activations keep a sensible range through the residual adds. Each model
is quantized by onnxruntime.quantization.quantize_static in QDQ form: MinMax calibration over a
few seeded random inputs, activations QUInt8, weights QInt8 per output channel.

The weights are random, so the models compute nothing useful; they are for timing the compiler
and the engines on networks of realistic size (docs/benchmarks.md). Run it in the project's venv
(scripts/bootstrap.sh makes it from scripts/requirements.txt):

    build/venv/bin/python scripts/make_bench_models.py                    # all three, 224x224
    build/venv/bin/python scripts/make_bench_models.py --models resnet18 --size 32 --out /tmp/m

For each model NAME it writes OUT/NAME_float.onnx, OUT/NAME_int8.onnx (QDQ) and OUT/NAME_input.npy
(one input, float32 in the model's input shape, drawn like the calibration inputs).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

# Seeds of the independent random streams (the weights' seed is offset per model).
SEED_WEIGHTS = 20250701
SEED_CALIBRATION = 20250702
SEED_INPUT = 20250703

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
NUM_CLASSES = 1000
NUM_CALIBRATION = 4
RESIDUAL_GAIN = 0.3  # scale of the last convolution of a residual branch
OPSET = 13
IR_VERSION = 8  # readable by ONNX 1.12 (Debian 12's libonnx) and later


class Builder:
    """Appends nodes and initializers to a float graph, tracking the [C, H, W] of each tensor,
    the parameter count and the multiply-accumulates of convolutions and fully connected layers."""

    def __init__(self, name: str, rng: np.random.Generator, size: int):
        self.name = name
        self.rng = rng
        self.size = size
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.shapes: dict[str, tuple[int, ...]] = {INPUT_NAME: (3, size, size)}
        self.params = 0
        self.macs = 0
        self._count: dict[str, int] = {}

    def _name(self, kind: str) -> str:
        n = self._count.get(kind, 0) + 1
        self._count[kind] = n
        return f"{kind}{n}"

    def _init(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        self.params += value.size
        return name

    def conv(self, x: str, out_channels: int, kernel: int, stride: int = 1, group: int = 1,
             gain: float = 1.0) -> str:
        """Conv with bias (BatchNormalization folded in), padding kernel // 2."""
        c, h, w = self.shapes[x]
        pad = kernel // 2
        name = self._name("conv")
        fan_in = c // group * kernel * kernel
        weight = self.rng.standard_normal((out_channels, c // group, kernel, kernel))
        weight *= gain * np.sqrt(2.0 / fan_in)
        bias = self.rng.standard_normal(out_channels) * 0.05
        inputs = [x, self._init(name + ".weight", weight), self._init(name + ".bias", bias)]
        self.nodes.append(helper.make_node(
            "Conv", inputs, [name], name=name, kernel_shape=[kernel, kernel],
            strides=[stride, stride], pads=[pad] * 4, group=group))
        oh = (h + 2 * pad - kernel) // stride + 1
        ow = (w + 2 * pad - kernel) // stride + 1
        self.shapes[name] = (out_channels, oh, ow)
        self.macs += oh * ow * out_channels * fan_in
        return name

    def _unary(self, op: str, kind: str, x: str, inputs: list[str] | None = None,
               shape: tuple[int, ...] | None = None, **attrs) -> str:
        name = self._name(kind)
        self.nodes.append(helper.make_node(op, [x] + (inputs or []), [name], name=name, **attrs))
        self.shapes[name] = shape if shape is not None else self.shapes[x]
        return name

    def relu(self, x: str) -> str:
        return self._unary("Relu", "relu", x)

    def relu6(self, x: str) -> str:
        """ReLU6 as Clip(0, 6) (opset 11+: the bounds are inputs)."""
        if "clip.min" not in {i.name for i in self.inits}:
            self.inits.append(numpy_helper.from_array(np.array(0, np.float32), "clip.min"))
            self.inits.append(numpy_helper.from_array(np.array(6, np.float32), "clip.max"))
        return self._unary("Clip", "relu6_", x, ["clip.min", "clip.max"])

    def add(self, a: str, b: str) -> str:
        assert self.shapes[a] == self.shapes[b], (a, b)
        return self._unary("Add", "add", a, [b])

    def max_pool(self, x: str, kernel: int, stride: int, pad: int) -> str:
        c, h, w = self.shapes[x]
        shape = (c, (h + 2 * pad - kernel) // stride + 1, (w + 2 * pad - kernel) // stride + 1)
        return self._unary("MaxPool", "maxpool", x, shape=shape, kernel_shape=[kernel, kernel],
                           strides=[stride, stride], pads=[pad] * 4)

    def classifier(self, x: str) -> str:
        """GlobalAveragePool → Flatten → Gemm (transB=1) to the logits."""
        c = self.shapes[x][0]
        gap = self._unary("GlobalAveragePool", "gap", x, shape=(c, 1, 1))
        flat = self._unary("Flatten", "flatten", gap, shape=(c,), axis=1)
        weight = self.rng.standard_normal((NUM_CLASSES, c)) * np.sqrt(1.0 / c)
        bias = self.rng.standard_normal(NUM_CLASSES) * 0.05
        inputs = [flat, self._init("fc.weight", weight), self._init("fc.bias", bias)]
        self.nodes.append(helper.make_node("Gemm", inputs, [OUTPUT_NAME], name="fc", transB=1))
        self.macs += c * NUM_CLASSES
        return OUTPUT_NAME

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT,
                                           [1, 3, self.size, self.size])],
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, NUM_CLASSES])],
            self.inits,
        )
        model = helper.make_model(graph, producer_name="qsa make_bench_models.py",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


# ---------------------------------------------------------------------------------------------
# The networks


def resnet_stem(b: Builder) -> str:
    """conv1 7x7/2 (64) + ReLU, max pool 3x3/2 pad 1."""
    return b.max_pool(b.relu(b.conv(INPUT_NAME, 64, 7, stride=2)), 3, 2, 1)


def basic_block(b: Builder, x: str, channels: int, stride: int) -> str:
    """ResNet's BasicBlock: 3x3 → ReLU → 3x3, plus the input (through a 1x1 strided conv when
    the shape changes), → ReLU."""
    y = b.relu(b.conv(x, channels, 3, stride=stride))
    y = b.conv(y, channels, 3, gain=RESIDUAL_GAIN)
    shortcut = x
    if stride != 1 or b.shapes[x][0] != channels:
        shortcut = b.conv(x, channels, 1, stride=stride)
    return b.relu(b.add(y, shortcut))


def bottleneck(b: Builder, x: str, width: int, stride: int) -> str:
    """ResNet's Bottleneck (v1.5, the stride on the 3x3): 1x1 → 3x3 → 1x1 (4 × width), plus
    the input (through a 1x1 strided conv when the shape changes), → ReLU."""
    y = b.relu(b.conv(x, width, 1))
    y = b.relu(b.conv(y, width, 3, stride=stride))
    y = b.conv(y, 4 * width, 1, gain=RESIDUAL_GAIN)
    shortcut = x
    if stride != 1 or b.shapes[x][0] != 4 * width:
        shortcut = b.conv(x, 4 * width, 1, stride=stride)
    return b.relu(b.add(y, shortcut))


def resnet18(b: Builder) -> None:
    x = resnet_stem(b)
    for stage, channels in enumerate((64, 128, 256, 512)):
        for block in range(2):
            x = basic_block(b, x, channels, 2 if stage > 0 and block == 0 else 1)
    b.classifier(x)


def resnet50(b: Builder) -> None:
    x = resnet_stem(b)
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
        for block in range(blocks):
            x = bottleneck(b, x, width, 2 if stage > 0 and block == 0 else 1)
    b.classifier(x)


# (expansion t, output channels c, repeats n, stride of the first s)
MOBILENETV2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                      (6, 160, 3, 2), (6, 320, 1, 1))


def inverted_residual(b: Builder, x: str, expansion: int, channels: int, stride: int) -> str:
    """MobileNetV2's block: 1x1 expansion → ReLU6 (when t > 1), depthwise 3x3 → ReLU6, linear
    1x1 projection, plus the input when the stride is 1 and the channels match."""
    c = b.shapes[x][0]
    y = x
    if expansion != 1:
        y = b.relu6(b.conv(y, c * expansion, 1))
    hidden = b.shapes[y][0]
    y = b.relu6(b.conv(y, hidden, 3, stride=stride, group=hidden))
    residual = stride == 1 and c == channels
    y = b.conv(y, channels, 1, gain=RESIDUAL_GAIN if residual else 1.0)
    return b.add(y, x) if residual else y


def mobilenetv2(b: Builder) -> None:
    x = b.relu6(b.conv(INPUT_NAME, 32, 3, stride=2))
    for t, c, n, s in MOBILENETV2_BLOCKS:
        for i in range(n):
            x = inverted_residual(b, x, t, c, s if i == 0 else 1)
    x = b.relu6(b.conv(x, 1280, 1))
    b.classifier(x)


MODELS: dict[str, Callable[[Builder], None]] = {
    "resnet18": resnet18,
    "mobilenetv2": mobilenetv2,
    "resnet50": resnet50,
}


# ---------------------------------------------------------------------------------------------
# Quantization


class Calibration(CalibrationDataReader):
    def __init__(self, inputs: np.ndarray):
        self._items = iter([{INPUT_NAME: x[None]} for x in inputs])

    def get_next(self):
        return next(self._items, None)


def random_inputs(seed: int, count: int, size: int) -> np.ndarray:
    """`count` image-like inputs, float32 [count, 3, size, size], uniform in [0, 1)."""
    return np.random.default_rng(seed).random((count, 3, size, size), dtype=np.float32)


def quantize(float_path: str, calibration: np.ndarray, path: str) -> onnx.ModelProto:
    quantize_static(
        float_path,
        path,
        Calibration(calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    return model


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def make(name: str, out: str, size: int, index: int) -> None:
    start = time.perf_counter()
    b = Builder(name, np.random.default_rng(SEED_WEIGHTS + index), size)
    MODELS[name](b)
    float_model = b.model()
    float_path = os.path.join(out, f"{name}_float.onnx")
    int8_path = os.path.join(out, f"{name}_int8.onnx")
    onnx.save(float_model, float_path)
    calibration = random_inputs(SEED_CALIBRATION, NUM_CALIBRATION, size)
    int8_model = quantize(float_path, calibration, int8_path)
    (x,) = random_inputs(SEED_INPUT, 1, size)
    np.save(os.path.join(out, f"{name}_input.npy"), x[None])
    seconds = time.perf_counter() - start

    # Sanity: ONNX Runtime runs both models on the input, and the int8 model's logits follow the
    # float model's.
    (y_float,) = session(float_model).run([OUTPUT_NAME], {INPUT_NAME: x[None]})
    (y_int8,) = session(int8_model).run([OUTPUT_NAME], {INPUT_NAME: x[None]})
    corr = float(np.corrcoef(y_float.ravel(), y_int8.ravel())[0, 1])
    print(f"{name} [1,3,{size},{size}]: {len(float_model.graph.node)} float nodes, "
          f"{len(int8_model.graph.node)} QDQ nodes, {b.params / 1e6:.2f} M params, "
          f"{b.macs / 1e9:.3f} G MACs; {seconds:.1f} s; "
          f"logits int8 vs float: correlation {corr:.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join("build", "bench-models"),
                        help="output folder (default: build/bench-models)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, from {', '.join(MODELS)} (default: all)")
    parser.add_argument("--size", type=int, default=224,
                        help="input height and width (default 224; e.g. 32 or 64 for quick tests)")
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        parser.error(f"unknown model(s) {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(MODELS)}")
    if args.size < 32:
        parser.error("--size must be at least 32 (the networks downsample by 32)")
    # quantize_static warns that the model was not pre-processed (it has no BatchNormalization
    # to fold, and shapes are inferred by the quantizer) and logs its progress.
    logging.getLogger().setLevel(logging.ERROR)
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        make(name, args.out, args.size, list(MODELS).index(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
