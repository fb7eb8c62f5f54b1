#!/usr/bin/env python3
"""Generates the example models in examples/ with ONNX Runtime's own quantizer.

examples/tinycnn/ holds a small float CNN quantized by onnxruntime.quantization.quantize_static
in both of ONNX Runtime's forms (QDQ and QOperator), a set of inputs, and ONNX Runtime's outputs
for them. Those outputs are an oracle independent of qsa for its importer and golden model
(tests/compiler/importer/ort_agreement_test.cc).

Everything is deterministic: the weights, calibration data and inputs come from seeded NumPy
generators, and nothing is downloaded. Run it in the project's venv (scripts/bootstrap.sh makes
it from scripts/requirements.txt):

    build/venv/bin/python scripts/make_examples.py [--out-dir examples]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)

# Seeds of the independent random streams.
SEED_WEIGHTS = 20240501
SEED_CALIBRATION = 20240502
SEED_INPUTS = 20240503

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
INPUT_SHAPE = (1, 1, 8, 8)
NUM_CALIBRATION = 32
NUM_INPUTS = 16
OPSET = 13
IR_VERSION = 8  # readable by ONNX 1.12 (Debian 12's libonnx) and later


def make_float_model() -> onnx.ModelProto:
    """The float CNN: conv+relu, strided conv+relu, max pool, 1x1 conv with a residual add,
    global average pool, flatten, fully connected layer."""
    rng = np.random.default_rng(SEED_WEIGHTS)

    def he(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    def bias(n: int) -> np.ndarray:
        return (rng.standard_normal(n) * 0.1).astype(np.float32)

    inits = [
        numpy_helper.from_array(he((4, 1, 3, 3), 9), "conv1.weight"),
        numpy_helper.from_array(bias(4), "conv1.bias"),
        numpy_helper.from_array(he((8, 4, 3, 3), 36), "conv2.weight"),
        numpy_helper.from_array(bias(8), "conv2.bias"),
        # The 1x1 conv of the residual branch is scaled down so that the branch stays small
        # next to the skip connection.
        numpy_helper.from_array(0.5 * he((8, 8, 1, 1), 8), "conv3.weight"),
        numpy_helper.from_array(bias(8), "conv3.bias"),
        numpy_helper.from_array(he((10, 8), 8), "fc.weight"),
        numpy_helper.from_array(bias(10), "fc.bias"),
    ]
    nodes = [
        helper.make_node("Conv", [INPUT_NAME, "conv1.weight", "conv1.bias"], ["conv1"],
                         name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2.weight", "conv2.bias"], ["conv2"],
                         name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("MaxPool", ["relu2"], ["pool"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["pool", "conv3.weight", "conv3.bias"], ["conv3"],
                         name="conv3", kernel_shape=[1, 1]),
        helper.make_node("Add", ["conv3", "pool"], ["residual"], name="residual"),
        helper.make_node("GlobalAveragePool", ["residual"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], [OUTPUT_NAME], name="fc",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tinycnn",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, list(INPUT_SHAPE))],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, producer_name="qsa make_examples.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def random_inputs(seed: int, count: int) -> np.ndarray:
    """`count` inputs of INPUT_SHAPE: smooth images with noise, roughly in [-1, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.meshgrid(np.linspace(-1, 1, 8), np.linspace(-1, 1, 8), indexing="ij")
    out = np.empty((count,) + INPUT_SHAPE, dtype=np.float32)
    for i in range(count):
        a, b, c = rng.uniform(-1, 1, 3)
        image = a * x + b * y + c * x * y + 0.3 * rng.standard_normal((8, 8))
        out[i, 0, 0] = image
    return out


class Calibration(CalibrationDataReader):
    def __init__(self, data: np.ndarray):
        self._items = iter([{INPUT_NAME: d} for d in data])

    def get_next(self):
        return next(self._items, None)


def quantize(float_model: onnx.ModelProto, path: str, quant_format: QuantFormat,
             per_channel: bool) -> onnx.ModelProto:
    calibration = random_inputs(SEED_CALIBRATION, NUM_CALIBRATION)
    with tempfile.TemporaryDirectory() as tmp:
        # quantize_static writes intermediate files (the augmented calibration model) next to
        # a path it chooses; keep them out of the output folder.
        float_path = os.path.join(tmp, "tinycnn_float.onnx")
        onnx.save(float_model, float_path)
        quantize_static(
            float_path,
            path,
            Calibration(calibration),
            quant_format=quant_format,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    return model


def session(model: onnx.ModelProto, level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


# The integer tensor that holds each layer's output, in each form (ONNX Runtime's quantizer names
# them after the float model's tensors). The final DequantizeLinear reads "logits".
LAYERS = {
    #  layer       QDQ form                           QOperator form
    "input": ("input_QuantizeLinear_Output", "input_quantized"),
    "conv1": ("relu1_QuantizeLinear_Output", "conv1_quantized"),
    "conv2": ("relu2_QuantizeLinear_Output", "conv2_quantized"),
    "pool": ("pool_QuantizeLinear_Output", "pool_quantized"),
    "conv3": ("conv3_QuantizeLinear_Output", "conv3_quantized"),
    "residual": ("residual_QuantizeLinear_Output", "residual_quantized"),
    "gap": ("gap_QuantizeLinear_Output", "gap_quantized"),
    "flat": ("flat_QuantizeLinear_Output", "flat_quantized"),
    "logits": ("logits_QuantizeLinear_Output", "logits_quantized"),
}


def with_layer_outputs(model: onnx.ModelProto, form: str) -> tuple[onnx.ModelProto, list[str]]:
    """A copy of `model` that also outputs every layer's integer tensor (used only to compute
    reference values; not saved)."""
    final = [n for n in model.graph.node if OUTPUT_NAME in n.output]
    if len(final) != 1 or final[0].op_type != "DequantizeLinear":
        sys.exit(f"error: '{OUTPUT_NAME}' is not produced by a DequantizeLinear")
    names = [LAYERS[layer][0 if form == "qdq" else 1] for layer in LAYERS]
    if final[0].input[0] != names[-1]:
        sys.exit(f"error: the final DequantizeLinear reads '{final[0].input[0]}', not {names[-1]}")
    produced = {o for n in model.graph.node for o in n.output}
    missing = [n for n in names if n not in produced]
    if missing:
        sys.exit(f"error: the quantized model has no tensor {', '.join(missing)}")
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for name in names:
        copy.graph.output.append(helper.make_empty_tensor_value_info(name))
    return copy, names


def run(model: onnx.ModelProto, form: str, inputs: np.ndarray,
        level: ort.GraphOptimizationLevel) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """ONNX Runtime's float output for each input of `inputs` ([N,1,1,8,8]), stacked, and each
    layer's integer output (LAYERS), stacked."""
    extended, names = with_layer_outputs(model, form)
    sess = session(extended, level)
    floats, layers = [], {layer: [] for layer in LAYERS}
    for x in inputs:
        results = sess.run([OUTPUT_NAME] + names, {INPUT_NAME: x})
        floats.append(results[0])
        for layer, value in zip(LAYERS, results[1:]):
            layers[layer].append(value)
    return (np.stack(floats).astype(np.float32),
            {layer: np.stack(values) for layer, values in layers.items()})


def output_scale(model: onnx.ModelProto) -> float:
    final = next(n for n in model.graph.node if OUTPUT_NAME in n.output)
    inits = {i.name: i for i in model.graph.initializer}
    return float(numpy_helper.to_array(inits[final.input[1]]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", default="examples", help="output folder (default: examples)")
    args = parser.parse_args()
    # quantize_static logs a warning recommending its pre-processing step, which this small,
    # already shape-annotated model does not need.
    logging.getLogger().setLevel(logging.ERROR)

    out = os.path.join(args.out_dir, "tinycnn")
    os.makedirs(out, exist_ok=True)

    float_model = make_float_model()
    inputs16 = random_inputs(SEED_INPUTS, NUM_INPUTS)
    np.save(os.path.join(out, "input.npy"), inputs16[0])
    np.save(os.path.join(out, "inputs16.npy"), inputs16)

    float_sess = session(float_model, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    float_ref = np.stack([float_sess.run([OUTPUT_NAME], {INPUT_NAME: x})[0] for x in inputs16])

    forms = {
        "qdq": (QuantFormat.QDQ, True),
        "qop": (QuantFormat.QOperator, True),
    }
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    all_layers = {}
    for form, (quant_format, per_channel) in forms.items():
        path = os.path.join(out, f"tinycnn_{form}.onnx")
        model = quantize(float_model, path, quant_format, per_channel)
        ref, layers = run(model, form, inputs16, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        ref_q = layers["logits"].astype(np.uint8)
        all_layers[form] = layers
        np.save(os.path.join(out, f"tinycnn_{form}.ort.npy"), ref[0])
        np.save(os.path.join(out, f"tinycnn_{form}.ort_q.npy"), ref_q[0])
        np.save(os.path.join(out, f"ort16_{form}.npy"), ref)
        np.save(os.path.join(out, f"ort16_{form}_q.npy"), ref_q)

        ops = [n.op_type for n in model.graph.node]
        scale = output_scale(model)
        print(f"{path}: {os.path.getsize(path)} bytes, {len(ops)} nodes: {' '.join(ops)}")
        print(f"  output scale {scale:.6g}; |quantized - float| max "
              f"{np.abs(ref - float_ref).max() / scale:.2f} LSB over {NUM_INPUTS} inputs")
        for level in (ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                      ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                      ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
            _, opt_layers = run(model, form, inputs16, level)
            differ = {layer: int(np.count_nonzero(opt_layers[layer] != layers[layer]))
                      for layer in LAYERS}
            print(f"  optimizations {level.name}: {differ['logits']} of {ref_q.size} outputs "
                  f"and {sum(differ.values())} layer values differ from ORT_DISABLE_ALL")

    # Each layer's integer output, once: both forms compute the same integers (checked here).
    layer_dir = os.path.join(out, "ort16_layers")
    os.makedirs(layer_dir, exist_ok=True)
    for layer in LAYERS:
        qdq, qop = all_layers["qdq"][layer], all_layers["qop"][layer]
        if qdq.shape != qop.shape or np.any(qdq != qop):
            sys.exit(f"error: ONNX Runtime's QDQ and QOperator models differ at layer {layer}")
        if layer != "logits":  # already in ort16_<form>_q.npy
            np.save(os.path.join(layer_dir, f"{layer}.npy"), qdq.astype(np.uint8))
    print("QDQ and QOperator forms: identical integers at every layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
