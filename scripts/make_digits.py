#!/usr/bin/env python3
"""Makes examples/digits/: a small float CNN trained on scikit-learn's digits, quantized by ONNX
Runtime's own quantizer.

The 8x8 digits images (sklearn.datasets.load_digits, bundled with scikit-learn: nothing is
downloaded) are split into fixed, stratified train / calibration / test sets. A small CNN with a
BatchNormalization layer is trained on the train set by a NumPy training loop written here
(im2col convolutions, batch normalization with batch statistics, Adam), exported to a float ONNX
model, and quantized by onnxruntime.quantization.quantize_static (MinMax calibration on the
calibration set) in QDQ and QOperator form. ONNX Runtime's outputs of all three models on the test
set and their accuracies are saved beside the models (docs/examples.md, "digits").

Everything is deterministic (fixed seeds, single-threaded NumPy and ONNX Runtime): with the
versions pinned in scripts/requirements.txt, a second run writes the same bytes. Run it in the
project's venv (scripts/bootstrap.sh makes it from scripts/requirements.txt):

    build/venv/bin/python scripts/make_digits.py            # rewrites examples/digits/
    build/venv/bin/python scripts/make_digits.py --check    # regenerates into a temporary folder
                                                            # and compares; exit 1 on a difference
"""

from __future__ import annotations

import os

# One thread for every numeric library, set before NumPy loads: a multi-threaded BLAS may split
# sums differently from run to run, and training would not reproduce bit for bit.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import filecmp  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import sklearn  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnxruntime.quantization import (  # noqa: E402
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

# Seeds of the independent random streams.
SEED_SPLIT = 20240601  # train / calibration / test split
SEED_INIT = 20240602  # initial weights
SEED_SHUFFLE = 20240603  # mini-batch order

TEST_FRACTION = 0.3
NUM_CALIBRATION = 200

EPOCHS = 40
BATCH = 32
LEARNING_RATE = 1e-2  # Adam, halved every 10 epochs
WEIGHT_DECAY = 1e-3  # L2, on conv and fully connected weights
BN_MOMENTUM = 0.9  # ONNX's convention: running = momentum * running + (1 - momentum) * batch
BN_EPSILON = 1e-5

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
NUM_CLASSES = 10
OPSET = 13
IR_VERSION = 8  # readable by ONNX 1.12 (Debian 12's libonnx) and later

# Files of examples/digits/ that the script writes (README.md is written by hand).
FILES = (
    "digits_float.onnx",
    "digits_qdq.onnx",
    "digits_qop.onnx",
    "calibration.npz",
    "test_images.npy",
    "input.npy",
    "test_labels.npy",
    "ort_float_logits.npy",
    "ort_qdq_logits.npy",
    "ort_qdq_q.npy",
    "ort_qop_logits.npy",
    "ort_qop_q.npy",
    "accuracy.json",
)


# ---------------------------------------------------------------------------------------------
# Data


def load_split() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The digits as float32 [N,1,8,8] in [0, 1] with int64 labels, split into stratified
    train / calibration / test sets (calibration images are not trained on)."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    labels = digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SEED_SPLIT
    )
    x_train, x_cal, y_train, y_cal = train_test_split(
        x_rest, y_rest, test_size=NUM_CALIBRATION, stratify=y_rest, random_state=SEED_SPLIT
    )
    return {"train": (x_train, y_train), "calibration": (x_cal, y_cal), "test": (x_test, y_test)}


def save_npz(path: str, arrays: dict[str, np.ndarray]) -> None:
    """np.savez without the time stamps that make its output differ from run to run: each array
    is stored uncompressed with a fixed date."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                             data.getvalue())


# ---------------------------------------------------------------------------------------------
# The network, trained in NumPy. Activations are NHWC inside the training loop; the weights are
# kept in ONNX's layouts (Conv [O,C,kh,kw], Gemm [out,in] with transB=1).

# name: (out channels, in channels, stride); every conv is 3x3 with padding 1.
CONVS = {"conv1": (8, 1, 1), "conv2": (16, 8, 2), "conv3": (16, 16, 1)}
FC_IN = 16


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """He-scaled normal weights, zero biases, BN at identity."""
    p: dict[str, np.ndarray] = {}
    for name, (o, c, _) in CONVS.items():
        p[name + ".weight"] = rng.standard_normal((o, c, 3, 3)) * np.sqrt(2.0 / (c * 9))
        if name != "conv1":  # conv1 feeds BatchNormalization, which makes a bias redundant
            p[name + ".bias"] = np.zeros(o)
    p["bn1.scale"] = np.ones(CONVS["conv1"][0])
    p["bn1.bias"] = np.zeros(CONVS["conv1"][0])
    p["fc.weight"] = rng.standard_normal((NUM_CLASSES, FC_IN)) * np.sqrt(1.0 / FC_IN)
    p["fc.bias"] = np.zeros(NUM_CLASSES)
    return {k: v.astype(np.float32) for k, v in p.items()}


def im2col(x: np.ndarray, stride: int) -> np.ndarray:
    """x [N,H,W,C] → patches [N,OH,OW,9*C] of a 3x3 window with padding 1; the patch is ordered
    (kh, kw, c)."""
    _, h, w, _ = x.shape
    oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    taps = [xp[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :]
            for i in range(3) for j in range(3)]
    return np.concatenate(taps, axis=3)


def col2im(d_cols: np.ndarray, x_shape: tuple[int, ...], stride: int) -> np.ndarray:
    """The adjoint of im2col: sums the patch gradients back into an [N,H,W,C] gradient."""
    n, h, w, c = x_shape
    _, oh, ow, _ = d_cols.shape
    dxp = np.zeros((n, h + 2, w + 2, c), dtype=d_cols.dtype)
    for t, (i, j) in enumerate((i, j) for i in range(3) for j in range(3)):
        dxp[:, i : i + stride * oh : stride, j : j + stride * ow : stride, :] += \
            d_cols[..., t * c : (t + 1) * c]
    return dxp[:, 1:-1, 1:-1, :]


def conv_matrix(weight: np.ndarray) -> np.ndarray:
    """ONNX [O,C,3,3] → [9*C, O], rows ordered like im2col's patches."""
    return weight.transpose(2, 3, 1, 0).reshape(-1, weight.shape[0])


class Net:
    """Conv → BatchNormalization → Relu → Conv(stride 2) → Relu → Conv → Relu →
    GlobalAveragePool → Flatten → Gemm, with a hand-written backward pass."""

    def __init__(self, params: dict[str, np.ndarray]):
        self.p = params
        c1 = CONVS["conv1"][0]
        self.running_mean = np.zeros(c1, dtype=np.float32)
        self.running_var = np.ones(c1, dtype=np.float32)

    def conv(self, name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = im2col(x, CONVS[name][2])
        y = cols @ conv_matrix(self.p[name + ".weight"])
        if name + ".bias" in self.p:
            y += self.p[name + ".bias"]
        return y, cols

    def forward(self, x_nchw: np.ndarray, train: bool) -> tuple[np.ndarray, dict]:
        cache: dict = {}
        x = x_nchw.transpose(0, 2, 3, 1)
        cache["x1"] = x
        a1, cache["cols1"] = self.conv("conv1", x)
        if train:
            mean = a1.mean(axis=(0, 1, 2))
            var = a1.var(axis=(0, 1, 2))
            count = a1.size // a1.shape[3]
            self.running_mean = (BN_MOMENTUM * self.running_mean
                                 + (1 - BN_MOMENTUM) * mean).astype(np.float32)
            # The running variance uses the unbiased batch variance, as frameworks do.
            self.running_var = (BN_MOMENTUM * self.running_var
                                + (1 - BN_MOMENTUM) * var * count / (count - 1)).astype(np.float32)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + BN_EPSILON)
        xhat = (a1 - mean) * inv_std
        cache["xhat"], cache["inv_std"] = xhat, inv_std
        h1 = np.maximum(xhat * self.p["bn1.scale"] + self.p["bn1.bias"], 0)
        cache["h1"] = h1
        a2, cache["cols2"] = self.conv("conv2", h1)
        h2 = np.maximum(a2, 0)
        cache["h2"] = h2
        a3, cache["cols3"] = self.conv("conv3", h2)
        h3 = np.maximum(a3, 0)
        cache["h3"] = h3
        gap = h3.mean(axis=(1, 2))
        cache["gap"] = gap
        logits = gap @ self.p["fc.weight"].T + self.p["fc.bias"]
        return logits, cache

    def backward(self, d_logits: np.ndarray, cache: dict) -> dict[str, np.ndarray]:
        g: dict[str, np.ndarray] = {}
        g["fc.weight"] = d_logits.T @ cache["gap"]
        g["fc.bias"] = d_logits.sum(axis=0)
        d_gap = d_logits @ self.p["fc.weight"]
        h3 = cache["h3"]
        d_h3 = np.broadcast_to(d_gap[:, None, None, :] / (h3.shape[1] * h3.shape[2]), h3.shape)
        d_a3 = d_h3 * (h3 > 0)
        d_h2 = self.conv_backward("conv3", d_a3, cache["cols3"], cache["h2"].shape, g)
        d_a2 = d_h2 * (cache["h2"] > 0)
        d_h1 = self.conv_backward("conv2", d_a2, cache["cols2"], cache["h1"].shape, g)
        d_bn = d_h1 * (cache["h1"] > 0)
        xhat, inv_std = cache["xhat"], cache["inv_std"]
        g["bn1.scale"] = (d_bn * xhat).sum(axis=(0, 1, 2))
        g["bn1.bias"] = d_bn.sum(axis=(0, 1, 2))
        d_xhat = d_bn * self.p["bn1.scale"]
        m = xhat.size // xhat.shape[3]
        d_a1 = (inv_std / m) * (m * d_xhat - d_xhat.sum(axis=(0, 1, 2))
                                - xhat * (d_xhat * xhat).sum(axis=(0, 1, 2)))
        self.conv_backward("conv1", d_a1, cache["cols1"], cache["x1"].shape, g)
        return g

    def conv_backward(self, name: str, d_out: np.ndarray, cols: np.ndarray,
                      x_shape: tuple[int, ...], g: dict[str, np.ndarray]) -> np.ndarray:
        o = d_out.shape[3]
        d_flat = d_out.reshape(-1, o)
        d_matrix = cols.reshape(-1, cols.shape[3]).T @ d_flat  # [9*C, O]
        c = x_shape[3]
        g[name + ".weight"] = d_matrix.reshape(3, 3, c, o).transpose(3, 2, 0, 1)
        if name + ".bias" in self.p:
            g[name + ".bias"] = d_flat.sum(axis=0)
        if name == "conv1":
            return np.empty(0)  # the input image needs no gradient
        d_cols = (d_flat @ conv_matrix(self.p[name + ".weight"]).T).reshape(cols.shape)
        return col2im(d_cols, x_shape, CONVS[name][2])


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over the batch and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = float(-np.log(probs[np.arange(n), labels] + 1e-12).mean())
    d = probs
    d[np.arange(n), labels] -= 1
    return loss, (d / n).astype(np.float32)


def train(x: np.ndarray, y: np.ndarray) -> Net:
    net = Net(init_params(np.random.default_rng(SEED_INIT)))
    rng = np.random.default_rng(SEED_SHUFFLE)
    m = {k: np.zeros_like(v) for k, v in net.p.items()}
    v = {k: np.zeros_like(v) for k, v in net.p.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    for epoch in range(EPOCHS):
        lr = LEARNING_RATE * 0.5 ** (epoch // 10)
        order = rng.permutation(len(x))
        total, correct = 0.0, 0
        for start in range(0, len(x), BATCH):
            batch = order[start : start + BATCH]
            if len(batch) < 2:
                continue  # batch statistics need at least two images
            logits, cache = net.forward(x[batch], train=True)
            loss, d_logits = softmax_cross_entropy(logits, y[batch])
            total += loss * len(batch)
            correct += int((logits.argmax(axis=1) == y[batch]).sum())
            grads = net.backward(d_logits, cache)
            step += 1
            for k, param in net.p.items():
                grad = grads[k]
                if k.endswith(".weight"):
                    grad = grad + WEIGHT_DECAY * param
                m[k] = beta1 * m[k] + (1 - beta1) * grad
                v[k] = beta2 * v[k] + (1 - beta2) * grad * grad
                m_hat = m[k] / (1 - beta1**step)
                v_hat = v[k] / (1 - beta2**step)
                net.p[k] = (param - lr * m_hat / (np.sqrt(v_hat) + eps)).astype(np.float32)
        if epoch % 10 == 9 or epoch == EPOCHS - 1:
            print(f"  epoch {epoch + 1:2d}: loss {total / len(x):.4f}, "
                  f"train accuracy {correct / len(x):.4f}")
    return net


# ---------------------------------------------------------------------------------------------
# ONNX export, quantization and ONNX Runtime reference outputs


def export(net: Net) -> onnx.ModelProto:
    """The trained network as a float ONNX model with a fixed batch of 1 (qsa's importer needs
    fixed input shapes)."""
    p = net.p
    inits = [numpy_helper.from_array(p[k].astype(np.float32), k) for k in sorted(p)]
    inits += [numpy_helper.from_array(net.running_mean, "bn1.mean"),
              numpy_helper.from_array(net.running_var, "bn1.var")]
    conv = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("Conv", [INPUT_NAME, "conv1.weight"], ["conv1"], name="conv1", **conv),
        helper.make_node("BatchNormalization", ["conv1", "bn1.scale", "bn1.bias", "bn1.mean",
                                                "bn1.var"], ["bn1"], name="bn1",
                         epsilon=BN_EPSILON, momentum=BN_MOMENTUM),
        helper.make_node("Relu", ["bn1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
                         strides=[2, 2], **conv),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("Conv", ["relu2", "conv3.weight", "conv3.bias"], ["conv3"], name="conv3",
                         **conv),
        helper.make_node("Relu", ["conv3"], ["relu3"], name="relu3"),
        helper.make_node("GlobalAveragePool", ["relu3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], [OUTPUT_NAME], name="fc",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "digits",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [1, NUM_CLASSES])],
        inits,
    )
    model = helper.make_model(graph, producer_name="qsa make_digits.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


class Calibration(CalibrationDataReader):
    def __init__(self, images: np.ndarray):
        self._items = iter([{INPUT_NAME: x[None]} for x in images])

    def get_next(self):
        return next(self._items, None)


def quantize(float_path: str, calibration: np.ndarray, path: str, quant_format: QuantFormat,
             tmp: str) -> onnx.ModelProto:
    """ONNX Runtime's recommended flow: its pre-processing (shape inference and the basic graph
    optimizations, which fold BatchNormalization into the conv before it), then quantize_static
    with MinMax calibration, per-channel QInt8 weights and QUInt8 activations."""
    prepared = os.path.join(tmp, "digits_prepared.onnx")
    quant_pre_process(float_path, prepared, skip_symbolic_shape=True)
    # ONNX Runtime saves the optimized model importing every operator domain it knows; keep the
    # ones the model uses.
    model = onnx.load(prepared)
    used = {n.domain for n in model.graph.node} | {""}
    kept = [o for o in model.opset_import if o.domain in used]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    onnx.save(model, prepared)
    quantize_static(
        prepared,
        path,
        Calibration(calibration),
        quant_format=quant_format,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    return model


def session(model: onnx.ModelProto, level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run(model: onnx.ModelProto, images: np.ndarray, outputs: list[str],
        level: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        ) -> list[np.ndarray]:
    """ONNX Runtime's values of `outputs` for each image, one image at a time, stacked [T, ...]."""
    sess = session(model, level)
    results = [sess.run(outputs, {INPUT_NAME: x[None]}) for x in images]
    return [np.concatenate([r[k] for r in results]) for k in range(len(outputs))]


def with_output(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    copy.graph.output.append(helper.make_empty_tensor_value_info(name))
    return copy


def quantized_logits_name(model: onnx.ModelProto) -> str:
    """The uint8 tensor that the final DequantizeLinear turns into the logits."""
    final = [n for n in model.graph.node if OUTPUT_NAME in n.output]
    if len(final) != 1 or final[0].op_type != "DequantizeLinear":
        sys.exit(f"error: '{OUTPUT_NAME}' is not produced by a DequantizeLinear")
    return final[0].input[0]


def top1(logits: np.ndarray, labels: np.ndarray) -> dict[str, float | int]:
    correct = int(np.count_nonzero(logits.argmax(axis=1) == labels))
    return {"correct": correct, "top1": round(correct / len(labels), 6)}


# ---------------------------------------------------------------------------------------------


def generate(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    start, cpu_start = time.perf_counter(), time.process_time()
    split = load_split()
    (x_train, y_train), (x_cal, _), (x_test, y_test) = (
        split["train"], split["calibration"], split["test"])
    print(f"digits: {len(x_train)} train, {len(x_cal)} calibration, {len(x_test)} test images")
    net = train(x_train, y_train)
    print(f"  trained in {time.perf_counter() - start:.1f} s "
          f"({time.process_time() - cpu_start:.1f} s CPU)")

    save_npz(os.path.join(out, "calibration.npz"), {INPUT_NAME: x_cal})
    np.save(os.path.join(out, "test_images.npy"), x_test)
    # The first test image alone: the input `qsa demo` runs the models on.
    np.save(os.path.join(out, "input.npy"), x_test[:1])
    np.save(os.path.join(out, "test_labels.npy"), y_test)

    float_model = export(net)
    float_path = os.path.join(out, "digits_float.onnx")
    onnx.save(float_model, float_path)
    (float_logits,) = run(float_model, x_test, [OUTPUT_NAME])
    # The NumPy network and ONNX Runtime compute the same function (up to float rounding).
    numpy_logits, _ = net.forward(x_test, train=False)
    gap = np.abs(float_logits - numpy_logits).max()
    print(f"  float model: |ONNX Runtime - NumPy| max {gap:.2e}")
    np.save(os.path.join(out, "ort_float_logits.npy"), float_logits.astype(np.float32))

    report: dict = {
        "dataset": "sklearn.datasets.load_digits (8x8, pixels / 16)",
        "images": {"train": len(x_train), "calibration": len(x_cal), "test": len(x_test)},
        "versions": {"numpy": np.__version__, "onnx": onnx.__version__,
                     "onnxruntime": ort.__version__, "scikit-learn": sklearn.__version__},
        "float": top1(float_logits, y_test),
    }
    float_argmax = float_logits.argmax(axis=1)
    forms = {"qdq": QuantFormat.QDQ, "qop": QuantFormat.QOperator}
    with tempfile.TemporaryDirectory() as tmp:
        for form, quant_format in forms.items():
            path = os.path.join(out, f"digits_{form}.onnx")
            model = quantize(float_path, x_cal, path, quant_format, tmp)
            q_name = quantized_logits_name(model)
            logits, logits_q = run(with_output(model, q_name), x_test, [OUTPUT_NAME, q_name])
            np.save(os.path.join(out, f"ort_{form}_logits.npy"), logits.astype(np.float32))
            np.save(os.path.join(out, f"ort_{form}_q.npy"), logits_q.astype(np.uint8))
            entry = top1(logits, y_test)
            agree = int(np.count_nonzero(logits.argmax(axis=1) == float_argmax))
            entry["argmax_agrees_with_float"] = agree
            report[form] = entry
            ops = [n.op_type for n in model.graph.node]
            print(f"{path}: {os.path.getsize(path)} bytes, {len(ops)} nodes: {' '.join(ops)}")
            print(f"  top-1 {entry['top1']:.4f}; argmax agrees with float on {agree}/{len(x_test)}")
            for level in (ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                          ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
                (opt_q,) = run(with_output(model, q_name), x_test, [q_name], level)
                print(f"  {level.name}: {np.count_nonzero(opt_q != logits_q)} of {logits_q.size} "
                      "integer logits differ from ORT_DISABLE_ALL")
    qdq_q = np.load(os.path.join(out, "ort_qdq_q.npy"))
    qop_q = np.load(os.path.join(out, "ort_qop_q.npy"))
    print(f"QDQ and QOperator integer logits: {np.count_nonzero(qdq_q != qop_q)} of "
          f"{qdq_q.size} differ")
    with open(os.path.join(out, "accuracy.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"float top-1 {report['float']['top1']:.4f}, QDQ {report['qdq']['top1']:.4f}, "
          f"QOperator {report['qop']['top1']:.4f} ({time.perf_counter() - start:.1f} s)")


def check(committed: str) -> int:
    """Regenerates into a temporary folder; 0 when every file is byte-identical to `committed`."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        differ = [name for name in FILES
                  if not os.path.exists(os.path.join(committed, name))
                  or not filecmp.cmp(os.path.join(tmp, name), os.path.join(committed, name),
                                     shallow=False)]
    if differ:
        print(f"check: {len(differ)} file(s) in {committed} differ or are missing: "
              f"{', '.join(differ)}")
        return 1
    print(f"check: all {len(FILES)} files in {committed} are reproduced byte for byte")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", default="examples",
                        help="output folder; the files go to OUT_DIR/digits (default: examples)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary folder and compare with OUT_DIR/digits")
    args = parser.parse_args()
    # quantize_static warns about pre-processing (done here) and logs its progress.
    logging.getLogger().setLevel(logging.ERROR)
    out = os.path.join(args.out_dir, "digits")
    if args.check:
        return check(out)
    generate(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
