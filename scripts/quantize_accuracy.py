#!/usr/bin/env python3
"""Accuracy of `qsa quantize` on the digits example, for docs/quantization.md.

Runs the qsa binary given on the command line to quantize examples/digits/digits_float.onnx with
every calibration method and scheme, evaluates each quantized model on the 540 held-out test
images in ONNX Runtime and in qsa's golden engine (`qsa run`, default tflite-double arithmetic),
and prints two Markdown tables:

  1. the float model's top-1 against each method and scheme, int8 and mixed 8/4 bits, with
     ONNX Runtime's own quantize_static model (examples/digits/digits_qdq.onnx) beside them;
  2. the calibration methods on calibration sets with injected activation outliers: copies of
     the 200 calibration images in which some images get "hot" pixels (a sensor glitch), so that
     every activation downstream has rare, large values. The test images stay clean. Each row is
     the mean over five seeds of the injection.

Usage (from the repository root, in the project's venv):
    build/venv/bin/python scripts/quantize_accuracy.py build/tools/qsa [--out FILE.md]

Also a check that ONNX Runtime loads and runs every file `qsa quantize` writes. Takes about a
minute.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "examples", "digits")
FLOAT = os.path.join(DIGITS, "digits_float.onnx")
CALIBRATION = os.path.join(DIGITS, "calibration.npz")

# (label, qsa quantize options, weights, activations) of the main table.
SCHEMES = [
    ("qsa, min-max (default)", [], "int8 sym, per-channel", "uint8 asym"),
    ("qsa, percentile 99.99", ["--method", "percentile"], "int8 sym, per-channel", "uint8 asym"),
    ("qsa, MSE", ["--method", "mse"], "int8 sym, per-channel", "uint8 asym"),
    ("qsa, KL", ["--method", "kl"], "int8 sym, per-channel", "uint8 asym"),
    ("qsa, min-max", ["--per-tensor"], "int8 sym, per-tensor", "uint8 asym"),
    ("qsa, min-max", ["--asymmetric-weights"], "int8 asym, per-channel", "uint8 asym"),
    ("qsa, min-max", ["--activations", "int8", "--symmetric-activations"],
     "int8 sym, per-channel", "int8 sym"),
    ("qsa, KL", ["--method", "kl", "--activations", "int8"], "int8 sym, per-channel",
     "int8 asym"),
    ("qsa, min-max", ["--weight-bits", "4"], "int4 sym, per-channel", "uint8 asym"),
    ("qsa, min-max", ["--weight-bits", "4", "--weight-clipping", "mse"],
     "int4 sym, per-channel, MSE-clipped", "uint8 asym"),
    ("qsa, min-max, mixed 8/4 at 75 %", ["--weight-budget", "75%"], "int8/int4 sym, per-channel",
     "uint8 asym"),
    ("qsa, min-max, mixed 8/4 at 60 %", ["--weight-budget", "60%"], "int8/int4 sym, per-channel",
     "uint8 asym"),
]

METHODS = [
    ("min-max", ["--method", "minmax"]),
    ("percentile 99.99", ["--method", "percentile"]),
    ("percentile 99.9", ["--method", "percentile", "--percentile", "99.9"]),
    ("MSE", ["--method", "mse"]),
    ("KL", ["--method", "kl"]),
]

# (label, images with hot pixels, hot pixels per image, magnitude of a hot pixel as a function
# of the random generator). Real pixels are in [0, 1].
OUTLIERS = [
    ("10 % of the images: one hot pixel of 1 + Exp(1.5)", 20, 1,
     lambda rng: 1.0 + rng.exponential(1.5)),
    ("1 % of the images: one hot pixel of 100", 2, 1, lambda rng: 100.0),
]
SEEDS = range(5)


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def ort_logits(path, images):
    s = session(path)
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: images[i:i + 1]})[0] for i in range(len(images))])


def qsa_logits(qsa, path, images, work, requant="tflite-double"):
    """The golden engine's logits: the model with batch dimension len(images), run once."""
    model = onnx.load(path)
    for value in list(model.graph.input) + list(model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_value = len(images)
    batched = os.path.join(work, "batched.onnx")
    onnx.save(model, batched)
    inputs = os.path.join(work, "images.npy")
    np.save(inputs, images)
    out = os.path.join(work, "run")
    subprocess.run([qsa, "run", batched, "--input", inputs, "--requant", requant, "--out", out],
                   check=True, capture_output=True)
    return np.load(os.path.join(out, model.graph.output[0].name + ".npy"))


def sqnr(reference, approximation):
    noise = ((reference - approximation) ** 2).sum()
    return float("inf") if noise == 0 else 10 * np.log10((reference ** 2).sum() / noise)


def quantize(qsa, calibration, options, out, report=None):
    command = [qsa, "quantize", FLOAT, "--calibration", calibration, "-o", out] + options
    if report:
        command += ["--report", report]
    subprocess.run(command, check=True, capture_output=True)


def weight_bytes(report_path):
    with open(report_path) as f:
        report = json.load(f)
    return sum(layer.get("weight_bytes", 0) for layer in report["layers"])


def int8_weight_bytes(path):
    """Bytes of a QDQ model's int8 weights: the int8 initializers that DequantizeLinear nodes
    dequantize (not their zero points)."""
    model = onnx.load(path)
    dequantized = {n.input[0] for n in model.graph.node if n.op_type == "DequantizeLinear"}
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer
               if t.data_type == onnx.TensorProto.INT8 and t.name in dequantized)


def percent(correct, total):
    return f"{100.0 * correct / total:.2f} %"


def evaluate(qsa, path, images, labels, float_logits, work):
    """Top-1 in ONNX Runtime and in the golden engine, agreement with the float model's class,
    logits SQNR, and how many logits the golden engine in float32-rne mode (ONNX Runtime's
    requantization arithmetic) computes exactly as ONNX Runtime."""
    total = len(labels)
    logits = ort_logits(path, images)
    golden = qsa_logits(qsa, path, images, work)
    same = int((qsa_logits(qsa, path, images, work, "float32-rne") == logits).sum())
    return [percent(int((logits.argmax(1) == labels).sum()), total),
            percent(int((golden.argmax(1) == labels).sum()), total),
            f"{int((logits.argmax(1) == float_logits.argmax(1)).sum())}/{total}",
            f"{sqnr(float_logits, logits):.1f}", f"{same}/{logits.size}"]


def main_table(qsa, images, labels, float_logits, work):
    total = len(labels)
    rows = []
    float_correct = int((float_logits.argmax(1) == labels).sum())
    rows.append(("float model", "float32", "float32", "—", "—",
                 f"{percent(float_correct, total)} ({float_correct})", "—", "—", "—", "—"))
    ort_qdq = os.path.join(DIGITS, "digits_qdq.onnx")
    rows.append(("ONNX Runtime quantize_static (min-max)", "int8 sym, per-channel", "uint8 asym",
                 "—", str(int8_weight_bytes(ort_qdq)),
                 *evaluate(qsa, ort_qdq, images, labels, float_logits, work)))
    for label, options, weights, activations in SCHEMES:
        out = os.path.join(work, "q.onnx")
        report = os.path.join(work, "q.json")
        quantize(qsa, CALIBRATION, options, out, report)
        rows.append((label, weights, activations, " ".join(options) or "(none)",
                     str(weight_bytes(report)),
                     *evaluate(qsa, out, images, labels, float_logits, work)))
    header = ("| model | weights | activations | `qsa quantize` options | weight bytes "
              "| top-1 (ONNX Runtime) | top-1 (qsa golden) | top-1 class = float's | "
              "logits SQNR (dB) | qsa float32-rne = ONNX Runtime |\n"
              "|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    return header + "\n" + "\n".join("| " + " | ".join(r) + " |" for r in rows)


def with_outliers(clean, images_hit, pixels, magnitude, seed):
    rng = np.random.default_rng(seed)
    data = clean.copy()
    for i in rng.choice(len(data), images_hit, replace=False):
        for _ in range(pixels):
            data[i, 0, rng.integers(8), rng.integers(8)] = magnitude(rng)
    return data


def outlier_table(qsa, images, labels, float_logits, work):
    clean = np.load(CALIBRATION)["input"]
    total = len(labels)
    lines = []
    for title, images_hit, pixels, magnitude in OUTLIERS:
        results = {label: [] for label, _ in METHODS}
        for seed in SEEDS:
            calibration = os.path.join(work, "outliers.npz")
            np.savez(calibration, input=with_outliers(clean, images_hit, pixels, magnitude, seed))
            for label, options in METHODS:
                out = os.path.join(work, "o.onnx")
                quantize(qsa, calibration, options, out)
                logits = ort_logits(out, images)
                results[label].append((int((logits.argmax(1) == labels).sum()),
                                       sqnr(float_logits, logits)))
        lines.append(f"\n{title}:\n")
        lines.append("| calibration | top-1, mean of 5 seeds | per seed | logits SQNR (dB), mean "
                     "| per seed |\n|---|---:|---|---:|---|")
        for label, _ in METHODS:
            correct = [c for c, _ in results[label]]
            db = [s for _, s in results[label]]
            lines.append(f"| {label} | {percent(np.mean(correct), total)} | "
                         f"{', '.join(str(c) for c in correct)} | {np.mean(db):.1f} | "
                         f"{', '.join(f'{s:.1f}' for s in db)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("qsa", help="path of the qsa binary")
    parser.add_argument("--out", help="write the tables to this file (default: standard output)")
    args = parser.parse_args()
    qsa = os.path.abspath(args.qsa)

    images = np.load(os.path.join(DIGITS, "test_images.npy"))
    labels = np.load(os.path.join(DIGITS, "test_labels.npy"))
    float_logits = ort_logits(FLOAT, images)
    with tempfile.TemporaryDirectory() as work:
        text = ("Digits test set (540 images), ONNX Runtime " + ort.__version__ + ".\n\n" +
                main_table(qsa, images, labels, float_logits, work) + "\n\n" +
                "Calibration with injected activation outliers (test images clean):\n" +
                outlier_table(qsa, images, labels, float_logits, work) + "\n")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
