#!/usr/bin/env python3
"""Generates tests/data/float_cnn/: two small float32 ONNX models and ONNX Runtime's outputs.

The models exercise the golden engine's float32 operators (docs/ops-float.md) against an engine
that qsa does not share code with:

  float_cnn.onnx  Conv -> BatchNormalization -> Relu -> MaxPool -> Conv (stride 2, 2 groups)
                  -> GlobalAveragePool -> Flatten -> Gemm (transB) -> Softmax
  float_mlp.onnx  MatMul -> Add -> LeakyRelu -> Gemm (alpha, beta, transA) -> Tanh
                  -> MatMul (batched, broadcast) -> Sigmoid -> Softmax (axis 1)

Every layer's tensor is also a graph output, so that a difference can be located. The weights
and inputs come from seeded NumPy generators; nothing is downloaded. ONNX Runtime runs on the
CPU with one thread and graph optimizations disabled. Run it in the project's venv
(scripts/bootstrap.sh makes it from scripts/requirements.txt):

    build/venv/bin/python scripts/make_float_cnn.py [--out-dir tests/data/float_cnn]

Files written: <model>.onnx, <model>.input.npy, <model>.ort.<output>.npy for every output.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

SEED = 20240612
OPSET = 13
IR_VERSION = 8  # readable by ONNX 1.12 (Debian 12's libonnx) and later


def he(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def small(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 0.1) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def finish(name: str, nodes: list, inits: list, x_shape: tuple[int, ...],
           outputs: list[str]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="qsa make_float_cnn.py")
    model.ir_version = IR_VERSION
    return model


def make_cnn(rng: np.random.Generator) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    x_shape = (2, 3, 8, 8)
    inits = [
        ("w1", he(rng, (8, 3, 3, 3), 27)), ("b1", small(rng, (8,))),
        ("bn_scale", (1.0 + small(rng, (8,), 0.2)).astype(np.float32)),
        ("bn_bias", small(rng, (8,))), ("bn_mean", small(rng, (8,), 0.3)),
        ("bn_var", rng.uniform(0.5, 2.0, 8).astype(np.float32)),
        ("w2", he(rng, (12, 4, 3, 3), 36)), ("b2", small(rng, (12,))),
        ("fc_w", he(rng, (10, 12), 12)), ("fc_b", small(rng, (10,))),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["conv1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn"],
                         name="bn", epsilon=1e-3),
        helper.make_node("Relu", ["bn"], ["relu"], name="relu"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["pool", "w2", "b2"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=2),
        helper.make_node("GlobalAveragePool", ["conv2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax"),
    ]
    outputs = ["probs", "conv1", "bn", "relu", "pool", "conv2", "gap", "flat", "logits"]
    return finish("float_cnn", nodes, inits, x_shape, outputs), x_shape


def make_mlp(rng: np.random.Generator) -> tuple[onnx.ModelProto, tuple[int, ...]]:
    x_shape = (2, 3, 16)
    inits = [
        ("w1", he(rng, (16, 24), 16)), ("b1", small(rng, (24,))),
        ("shape2d", np.array([6, 24], dtype=np.int64)),
        ("gemm_b", he(rng, (24, 24), 24)), ("gemm_c", small(rng, (1, 24))),
        ("shape3d", np.array([2, 3, 24], dtype=np.int64)),
        ("w3", he(rng, (1, 24, 5), 24)),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["mm1"], name="mm1"),
        helper.make_node("Add", ["mm1", "b1"], ["add1"], name="add1"),
        helper.make_node("LeakyRelu", ["add1"], ["leaky"], name="leaky", alpha=0.1),
        helper.make_node("Reshape", ["leaky", "shape2d"], ["rows"], name="rows"),
        helper.make_node("Transpose", ["rows"], ["rows_t"], name="rows_t", perm=[1, 0]),
        # transA = 1 reads the transposed copy back as [6, 24].
        helper.make_node("Gemm", ["rows_t", "gemm_b", "gemm_c"], ["gemm"], name="gemm",
                         alpha=0.5, beta=2.0, transA=1),
        helper.make_node("Tanh", ["gemm"], ["tanh"], name="tanh"),
        helper.make_node("Reshape", ["tanh", "shape3d"], ["batch"], name="batch"),
        # [2, 3, 24] x [1, 24, 5]: B's batch of 1 broadcasts.
        helper.make_node("MatMul", ["batch", "w3"], ["mm3"], name="mm3"),
        helper.make_node("Sigmoid", ["mm3"], ["sig"], name="sig"),
        helper.make_node("Softmax", ["sig"], ["probs"], name="softmax", axis=1),
    ]
    outputs = ["probs", "mm1", "add1", "leaky", "gemm", "tanh", "mm3", "sig"]
    return finish("float_mlp", nodes, inits, x_shape, outputs), x_shape


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=os.path.join(here, "..", "tests", "data", "float_cnn"))
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    for make in (make_cnn, make_mlp):
        model, x_shape = make(rng)
        name = model.graph.name
        x = rng.uniform(-1.0, 1.0, x_shape).astype(np.float32)
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        names = [o.name for o in model.graph.output]
        values = session.run(names, {"x": x})
        # Declare each output's shape (as computed), then check the finished model.
        for out, value in zip(model.graph.output, values):
            out.CopyFrom(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, value.shape))
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(args.out_dir, f"{name}.onnx"))
        np.save(os.path.join(args.out_dir, f"{name}.input.npy"), x)
        for out, value in zip(names, values):
            np.save(os.path.join(args.out_dir, f"{name}.ort.{out}.npy"), value)
        print(f"{name}: {len(model.graph.node)} nodes "
              f"({' '.join(n.op_type for n in model.graph.node)}), outputs {names}")


if __name__ == "__main__":
    main()
