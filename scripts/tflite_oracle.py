#!/usr/bin/env python3
"""Small int8 .tflite models, one operator each, with TensorFlow Lite's reference outputs.

Writes OUT/manifest.json and, per case, OUT/<case>.tflite, OUT/<case>_in<k>.npy and
OUT/<case>_out.npy: the output of LiteRT's reference kernels (OpResolverType.BUILTIN_REF, the
bit-exact definition of TFLite's integer arithmetic; the default XNNPACK path rounds otherwise).
The models are written with the Python code flatc generates from qsa's own schema
(compiler/tflite_model/tflite.fbs), so the tests also check that schema against LiteRT's reader.

    build/venv/bin/python scripts/tflite_oracle.py --out DIR --seed N [--cases-per-op K]
    build/venv/bin/python scripts/tflite_oracle.py --refusals tests/data/tflite

The second form writes the small models qsa must refuse (checked in as tests/data/tflite/*.tflite;
it needs the flatbuffers package only).

tests/compiler/importer/tflite_oracle_test.cc runs it (when build/venv has LiteRT) and compares
qsa's golden model with every output bit for bit.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "compiler", "tflite_model", "tflite.fbs")


def load_schema(flatc):
    """Generates the Python reader/writer of qsa's schema with flatc and imports it."""
    out = tempfile.mkdtemp(prefix="qsa_tflite_schema_")
    subprocess.run([flatc, "--python", "-o", out, SCHEMA], check=True)
    sys.path.insert(0, out)
    names = ["Model", "SubGraph", "Tensor", "Buffer", "Operator", "OperatorCode",
             "QuantizationParameters", "BuiltinOperator", "BuiltinOptions", "TensorType",
             "Conv2DOptions", "DepthwiseConv2DOptions", "FullyConnectedOptions", "Pool2DOptions",
             "AddOptions", "MulOptions", "ReducerOptions", "SoftmaxOptions",
             "ConcatenationOptions", "ReshapeOptions", "PadOptions", "PadV2Options",
             "TransposeOptions"]
    return {n: importlib.import_module("qsa.tflite_schema." + n) for n in names}


class ModelWriter:
    """Collects tensors, buffers and operators of one subgraph; finish() returns the bytes."""

    def __init__(self, s):
        import flatbuffers
        self.s = s
        self.b = flatbuffers.Builder(1024)
        self.tensors = []  # (name, shape, type, buffer, quant)
        self.buffers = [None]
        self.opcodes = []
        self.ops = []

    def tensor(self, name, shape, ttype, scale=None, zero_point=None, qdim=0, data=None):
        buf = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).tobytes())
            buf = len(self.buffers) - 1
        quant = None
        if scale is not None:
            quant = (np.atleast_1d(np.asarray(scale, np.float32)),
                     np.atleast_1d(np.asarray(zero_point, np.int64)), qdim)
        self.tensors.append((name, list(shape), ttype, buf, quant))
        return len(self.tensors) - 1

    def op(self, code, inputs, outputs, options=None, version=1):
        key = (code, version)
        if key not in self.opcodes:
            self.opcodes.append(key)
        self.ops.append((self.opcodes.index(key), inputs, outputs, options))

    def _ivec(self, start, values):
        start(self.b, len(values))
        for v in reversed(values):
            self.b.PrependInt32(int(v))
        return self.b.EndVector()

    def finish(self, inputs, outputs):
        s, b = self.s, self.b
        T = s["Tensor"]
        tensor_offsets = []
        for name, shape, ttype, buf, quant in self.tensors:
            name_off = b.CreateString(name)
            shape_off = self._ivec(T.TensorStartShapeVector, shape)
            q_off = None
            if quant is not None:
                Q = s["QuantizationParameters"]
                scales, zps, qdim = quant
                Q.QuantizationParametersStartScaleVector(b, len(scales))
                for v in reversed(scales):
                    b.PrependFloat32(float(v))
                sc = b.EndVector()
                Q.QuantizationParametersStartZeroPointVector(b, len(zps))
                for v in reversed(zps):
                    b.PrependInt64(int(v))
                zp = b.EndVector()
                Q.QuantizationParametersStart(b)
                Q.QuantizationParametersAddScale(b, sc)
                Q.QuantizationParametersAddZeroPoint(b, zp)
                Q.QuantizationParametersAddQuantizedDimension(b, qdim)
                q_off = Q.QuantizationParametersEnd(b)
            T.TensorStart(b)
            T.TensorAddShape(b, shape_off)
            T.TensorAddType(b, ttype)
            T.TensorAddBuffer(b, buf)
            T.TensorAddName(b, name_off)
            if q_off is not None:
                T.TensorAddQuantization(b, q_off)
            tensor_offsets.append(T.TensorEnd(b))
        O = s["Operator"]
        op_offsets = []
        for opcode_index, ins, outs, options in self.ops:
            opt = options(b) if options is not None else None
            in_off = self._ivec(O.OperatorStartInputsVector, ins)
            out_off = self._ivec(O.OperatorStartOutputsVector, outs)
            O.OperatorStart(b)
            O.OperatorAddOpcodeIndex(b, opcode_index)
            O.OperatorAddInputs(b, in_off)
            O.OperatorAddOutputs(b, out_off)
            if opt is not None:
                O.OperatorAddBuiltinOptionsType(b, opt[0])
                O.OperatorAddBuiltinOptions(b, opt[1])
            op_offsets.append(O.OperatorEnd(b))
        SG = s["SubGraph"]
        SG.SubGraphStartTensorsVector(b, len(tensor_offsets))
        for t in reversed(tensor_offsets):
            b.PrependUOffsetTRelative(t)
        tv = b.EndVector()
        SG.SubGraphStartOperatorsVector(b, len(op_offsets))
        for o in reversed(op_offsets):
            b.PrependUOffsetTRelative(o)
        ov = b.EndVector()
        iv = self._ivec(SG.SubGraphStartInputsVector, inputs)
        outv = self._ivec(SG.SubGraphStartOutputsVector, outputs)
        SG.SubGraphStart(b)
        SG.SubGraphAddTensors(b, tv)
        SG.SubGraphAddInputs(b, iv)
        SG.SubGraphAddOutputs(b, outv)
        SG.SubGraphAddOperators(b, ov)
        sg = SG.SubGraphEnd(b)
        BU = s["Buffer"]
        buf_offsets = []
        for data in self.buffers:
            d = None
            if data:
                b.StartVector(1, len(data), 16)
                b.head = b.head - len(data)
                b.Bytes[b.head:b.head + len(data)] = data
                d = b.EndVector()
            BU.BufferStart(b)
            if d is not None:
                BU.BufferAddData(b, d)
            buf_offsets.append(BU.BufferEnd(b))
        OC = s["OperatorCode"]
        oc_offsets = []
        for code, version in self.opcodes:
            OC.OperatorCodeStart(b)
            OC.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            OC.OperatorCodeAddBuiltinCode(b, code)
            OC.OperatorCodeAddVersion(b, version)
            oc_offsets.append(OC.OperatorCodeEnd(b))
        M = s["Model"]
        M.ModelStartOperatorCodesVector(b, len(oc_offsets))
        for o in reversed(oc_offsets):
            b.PrependUOffsetTRelative(o)
        ocv = b.EndVector()
        M.ModelStartSubgraphsVector(b, 1)
        b.PrependUOffsetTRelative(sg)
        sgv = b.EndVector()
        M.ModelStartBuffersVector(b, len(buf_offsets))
        for o in reversed(buf_offsets):
            b.PrependUOffsetTRelative(o)
        bv = b.EndVector()
        desc = b.CreateString("qsa oracle case")
        M.ModelStart(b)
        M.ModelAddVersion(b, 3)
        M.ModelAddOperatorCodes(b, ocv)
        M.ModelAddSubgraphs(b, sgv)
        M.ModelAddDescription(b, desc)
        M.ModelAddBuffers(b, bv)
        b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())


# ---- cases ---------------------------------------------------------------------------------------

INT8, INT32, FLOAT32 = 9, 2, 0


def act_scale(rng):
    return float(np.float32(rng.uniform(0.005, 0.08)))


def zp(rng):
    return int(rng.integers(-20, 21))


def rand_i8(rng, shape):
    return rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def options(s, table, fill, union_name):
    mod = s[table]
    prefix = table

    def build(b):
        getattr(mod, prefix + "Start")(b)
        for field, value in fill.items():
            getattr(mod, prefix + "Add" + field)(b, value)
        return getattr(s["BuiltinOptions"].BuiltinOptions, union_name), getattr(mod, prefix + "End")(b)

    return build


def conv_case(s, rng, depthwise):
    n, h, w = 1, int(rng.integers(3, 12)), int(rng.integers(3, 12))
    c = int(rng.integers(1, 6))
    k = int(rng.choice([1, 3, 5]))
    stride = int(rng.integers(1, 3))
    dil = int(rng.choice([1, 1, 2]))
    pad = int(rng.integers(0, 2))  # SAME, VALID
    act = int(rng.choice([0, 1, 3]))
    if depthwise:
        mult = int(rng.choice([1, 2]))
        oc = c * mult
        wshape = [1, k, k, oc]
        qdim = 3
    else:
        oc = int(rng.integers(1, 9))
        wshape = [oc, k, k, c]
        qdim = 0
    eff = (k - 1) * dil + 1
    if pad == 1 and (h < eff or w < eff):
        pad = 0
    oh = -(-h // stride) if pad == 0 else (h - eff) // stride + 1
    ow = -(-w // stride) if pad == 0 else (w - eff) // stride + 1
    sx, sy = act_scale(rng), act_scale(rng) * 4
    wscales = rng.uniform(0.002, 0.02, size=oc).astype(np.float32)
    m = ModelWriter(s)
    x = m.tensor("x", [n, h, w, c], INT8, sx, zp(rng))
    wt = m.tensor("w", wshape, INT8, wscales, np.zeros(oc, np.int64), qdim, rand_i8(rng, wshape))
    bias = rng.integers(-2000, 2000, size=oc).astype(np.int32)
    bt = m.tensor("b", [oc], INT32, (sx * wscales).astype(np.float32), np.zeros(oc, np.int64), 0, bias)
    y = m.tensor("y", [n, oh, ow, oc], INT8, sy, zp(rng))
    if depthwise:
        opt = options(s, "DepthwiseConv2DOptions", {"Padding": pad, "StrideW": stride,
                                                    "StrideH": stride, "DepthMultiplier": mult,
                                                    "FusedActivationFunction": act,
                                                    "DilationWFactor": dil,
                                                    "DilationHFactor": dil},
                      "DepthwiseConv2DOptions")
        m.op(4, [x, wt, bt], [y], opt, version=3)
    else:
        opt = options(s, "Conv2DOptions", {"Padding": pad, "StrideW": stride, "StrideH": stride,
                                           "FusedActivationFunction": act,
                                           "DilationWFactor": dil, "DilationHFactor": dil},
                      "Conv2DOptions")
        m.op(3, [x, wt, bt], [y], opt, version=3)
    return m.finish([x], [y]), [rand_i8(rng, [n, h, w, c])]


def fc_case(s, rng):
    batch, depth, units = int(rng.integers(1, 4)), int(rng.integers(4, 200)), int(rng.integers(1, 40))
    sx, sw, sy = act_scale(rng), float(np.float32(rng.uniform(0.002, 0.02))), act_scale(rng) * 8
    m = ModelWriter(s)
    x = m.tensor("x", [batch, depth], INT8, sx, zp(rng))
    w = m.tensor("w", [units, depth], INT8, sw, 0, 0, rand_i8(rng, [units, depth]))
    b = m.tensor("b", [units], INT32, sx * sw, 0, 0,
                 rng.integers(-3000, 3000, size=units).astype(np.int32))
    y = m.tensor("y", [batch, units], INT8, sy, zp(rng))
    act = int(rng.choice([0, 1, 3]))
    m.op(9, [x, w, b], [y], options(s, "FullyConnectedOptions", {"FusedActivationFunction": act},
                                    "FullyConnectedOptions"), version=4)
    return m.finish([x], [y]), [rand_i8(rng, [batch, depth])]


def binary_case(s, rng, mul):
    shape = [1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 8))]
    bshape = list(shape) if rng.random() < 0.6 else [1, 1, 1, shape[3]]
    m = ModelWriter(s)
    a = m.tensor("a", shape, INT8, act_scale(rng), zp(rng))
    bt = m.tensor("b", bshape, INT8, act_scale(rng), zp(rng))
    y = m.tensor("y", shape, INT8, act_scale(rng) * (0.3 if mul else 2), zp(rng))
    act = int(rng.choice([0, 1, 3]))
    if mul:
        m.op(18, [a, bt], [y], options(s, "MulOptions", {"FusedActivationFunction": act}, "MulOptions"), version=2)
    else:
        m.op(0, [a, bt], [y], options(s, "AddOptions", {"FusedActivationFunction": act}, "AddOptions"), version=2)
    return m.finish([a, bt], [y]), [rand_i8(rng, shape), rand_i8(rng, bshape)]


def pool_case(s, rng, average):
    h, w, c = int(rng.integers(2, 12)), int(rng.integers(2, 12)), int(rng.integers(1, 6))
    fh, fw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1))
    stride = int(rng.integers(1, 3))
    pad = int(rng.integers(0, 2))
    oh = -(-h // stride) if pad == 0 else (h - fh) // stride + 1
    ow = -(-w // stride) if pad == 0 else (w - fw) // stride + 1
    sc, z = act_scale(rng), zp(rng)
    m = ModelWriter(s)
    x = m.tensor("x", [1, h, w, c], INT8, sc, z)
    y = m.tensor("y", [1, oh, ow, c], INT8, sc, z)
    act = int(rng.choice([0, 1, 3]))
    m.op(1 if average else 17, [x], [y],
         options(s, "Pool2DOptions", {"Padding": pad, "StrideW": stride, "StrideH": stride,
                                      "FilterWidth": fw, "FilterHeight": fh,
                                      "FusedActivationFunction": act}, "Pool2DOptions"), version=2)
    return m.finish([x], [y]), [rand_i8(rng, [1, h, w, c])]


def mean_case(s, rng):
    shape = [1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 9))]
    axes = [1, 2] if rng.random() < 0.6 else sorted(rng.choice([1, 2, 3], size=int(rng.integers(1, 3)), replace=False).tolist())
    keep = bool(rng.random() < 0.7)
    out = [1 if i in axes else d for i, d in enumerate(shape)] if keep else \
        [d for i, d in enumerate(shape) if i not in axes]
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, act_scale(rng), zp(rng))
    ax = m.tensor("axes", [len(axes)], INT32, data=np.array(axes, np.int32))
    y = m.tensor("y", out, INT8, act_scale(rng) * float(rng.uniform(0.5, 2)), zp(rng))
    m.op(40, [x, ax], [y], options(s, "ReducerOptions", {"KeepDims": keep}, "ReducerOptions"), version=2)
    return m.finish([x], [y]), [rand_i8(rng, shape)]


def pad_case(s, rng, v2):
    shape = [1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 5))]
    p = rng.integers(0, 3, size=(4, 2)).astype(np.int32)
    p[0] = 0
    out = [d + int(p[i].sum()) for i, d in enumerate(shape)]
    sc, z = act_scale(rng), zp(rng)
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, sc, z)
    pt = m.tensor("paddings", [4, 2], INT32, data=p)
    ins = [x, pt]
    if v2:
        ins.append(m.tensor("value", [1], INT8, sc, z, data=np.array([rng.integers(-128, 128)], np.int8)))
    y = m.tensor("y", out, INT8, sc, z)
    m.op(60 if v2 else 34, ins, [y], options(s, "PadV2Options" if v2 else "PadOptions", {},
                                            "PadV2Options" if v2 else "PadOptions"), version=2)
    return m.finish([x], [y]), [rand_i8(rng, shape)]


def layout_case(s, rng, kind):
    shape = [1, int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 6))]
    sc, z = act_scale(rng), zp(rng)
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, sc, z)
    ins = [rand_i8(rng, shape)]
    if kind == "transpose":
        perm = rng.permutation(4).astype(np.int32)
        pt = m.tensor("perm", [4], INT32, data=perm)
        y = m.tensor("y", [shape[i] for i in perm], INT8, sc, z)
        m.op(39, [x, pt], [y], options(s, "TransposeOptions", {}, "TransposeOptions"), version=2)
    elif kind == "reshape":
        out = [shape[0], shape[1] * shape[2], shape[3]]
        st = m.tensor("shape", [3], INT32, data=np.array(out, np.int32))
        y = m.tensor("y", out, INT8, sc, z)
        m.op(22, [x, st], [y])
    else:  # concatenation of x with a second input along a random axis
        axis = int(rng.integers(1, 4))
        other = list(shape)
        other[axis] = int(rng.integers(1, 4))
        x2 = m.tensor("x2", other, INT8, sc, z)
        out = list(shape)
        out[axis] += other[axis]
        y = m.tensor("y", out, INT8, sc, z)
        m.op(2, [x, x2], [y], options(s, "ConcatenationOptions", {"Axis": axis},
                                      "ConcatenationOptions"), version=2)
        ins.append(rand_i8(rng, other))
        return m.finish([x, x2], [y]), ins
    return m.finish([x], [y]), ins


def quantize_case(s, rng, dequantize):
    shape = [1, int(rng.integers(1, 20))]
    sc, z = act_scale(rng), zp(rng)
    m = ModelWriter(s)
    if dequantize:
        x = m.tensor("x", shape, INT8, sc, z)
        y = m.tensor("y", shape, FLOAT32)
        m.op(6, [x], [y], version=2)
        return m.finish([x], [y]), [rand_i8(rng, shape)]
    x = m.tensor("x", shape, FLOAT32)
    y = m.tensor("y", shape, INT8, sc, z)
    m.op(114, [x], [y], version=2)
    # Values on exact multiples of half a step exercise the rounding of ties.
    v = (rng.integers(-300, 300, size=shape) / 2.0).astype(np.float32) * np.float32(sc)
    return m.finish([x], [y]), [v.astype(np.float32)]


def relu_case(s, rng, code):
    shape = [1, int(rng.integers(1, 30))]
    sc, z = act_scale(rng), zp(rng)
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, sc, z)
    y = m.tensor("y", shape, INT8, sc, z)
    m.op(code, [x], [y], version=2)
    return m.finish([x], [y]), [rand_i8(rng, shape)]


def logistic_case(s, rng):
    shape = [1, int(rng.integers(1, 40))]
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, float(np.float32(rng.uniform(0.01, 0.2))), zp(rng))
    y = m.tensor("y", shape, INT8, 1.0 / 256, -128)
    m.op(14, [x], [y], version=2)
    return m.finish([x], [y]), [rand_i8(rng, shape)]


def softmax_case(s, rng):
    shape = [int(rng.integers(1, 4)), int(rng.integers(2, 30))]
    m = ModelWriter(s)
    x = m.tensor("x", shape, INT8, float(np.float32(rng.uniform(0.01, 0.3))), zp(rng))
    y = m.tensor("y", shape, INT8, 1.0 / 256, -128)
    beta = float(rng.choice([1.0, 1.0, 0.5, 2.0]))
    m.op(25, [x], [y], options(s, "SoftmaxOptions", {"Beta": beta}, "SoftmaxOptions"), version=2)
    return m.finish([x], [y]), [rand_i8(rng, shape)]


CASES = {
    "CONV_2D": lambda s, r: conv_case(s, r, False),
    "DEPTHWISE_CONV_2D": lambda s, r: conv_case(s, r, True),
    "FULLY_CONNECTED": fc_case,
    "ADD": lambda s, r: binary_case(s, r, False),
    "MUL": lambda s, r: binary_case(s, r, True),
    "AVERAGE_POOL_2D": lambda s, r: pool_case(s, r, True),
    "MAX_POOL_2D": lambda s, r: pool_case(s, r, False),
    "MEAN": mean_case,
    "PAD": lambda s, r: pad_case(s, r, False),
    "PADV2": lambda s, r: pad_case(s, r, True),
    "RESHAPE": lambda s, r: layout_case(s, r, "reshape"),
    "TRANSPOSE": lambda s, r: layout_case(s, r, "transpose"),
    "CONCATENATION": lambda s, r: layout_case(s, r, "concat"),
    "QUANTIZE": lambda s, r: quantize_case(s, r, False),
    "DEQUANTIZE": lambda s, r: quantize_case(s, r, True),
    "RELU": lambda s, r: relu_case(s, r, 19),
    "RELU6": lambda s, r: relu_case(s, r, 21),
    "SOFTMAX": softmax_case,
    "LOGISTIC": logistic_case,
}


def refusal_models(s):
    """Models the importer refuses, each with one line naming the operator and the reason."""
    out = {}
    m = ModelWriter(s)  # TANH: not imported
    x = m.tensor("x", [1, 4], INT8, 0.1, 0)
    y = m.tensor("y", [1, 4], INT8, 1.0 / 128, 0)
    m.op(28, [x], [y])
    out["tanh"] = m.finish([x], [y])
    m = ModelWriter(s)  # SVDF: not imported
    x = m.tensor("x", [1, 4], INT8, 0.1, 0)
    y = m.tensor("y", [1, 4], INT8, 0.1, 0)
    m.op(27, [x], [y])
    out["svdf"] = m.finish([x], [y])
    m = ModelWriter(s)  # int16 activations
    INT16 = 7
    a = m.tensor("a", [1, 4], INT16, 0.001, 0)
    b = m.tensor("b", [1, 4], INT16, 0.001, 0)
    y = m.tensor("y", [1, 4], INT16, 0.002, 0)
    m.op(0, [a, b], [y], options(s, "AddOptions", {}, "AddOptions"), version=3)
    out["int16_add"] = m.finish([a, b], [y])
    m = ModelWriter(s)  # per-channel FULLY_CONNECTED weights
    x = m.tensor("x", [1, 3], INT8, 0.1, 0)
    w = m.tensor("w", [2, 3], INT8, [0.01, 0.02], [0, 0], 0, np.ones((2, 3), np.int8))
    y = m.tensor("y", [1, 2], INT8, 0.1, 0)
    m.op(9, [x, w], [y], options(s, "FullyConnectedOptions", {}, "FullyConnectedOptions"), version=4)
    out["fc_per_channel"] = m.finish([x], [y])
    return out


def reference(model_bytes, inputs):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=model_bytes,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d, v in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], v)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--refusals", metavar="DIR")
    ap.add_argument("--cases-per-op", type=int, default=12)
    ap.add_argument("--flatc", default="flatc")
    args = ap.parse_args()
    s = load_schema(args.flatc)
    if args.refusals:
        os.makedirs(args.refusals, exist_ok=True)
        for name, model in refusal_models(s).items():
            with open(os.path.join(args.refusals, name + ".tflite"), "wb") as f:
                f.write(model)
        return
    if args.out is None or args.seed is None:
        ap.error("--out and --seed are required")
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    for op, make in CASES.items():
        for i in range(args.cases_per_op):
            name = f"{op.lower()}_{i}"
            model, inputs = make(s, rng)
            expected = reference(model, inputs)
            with open(os.path.join(args.out, name + ".tflite"), "wb") as f:
                f.write(model)
            files = []
            for k, v in enumerate(inputs):
                files.append(f"{name}_in{k}.npy")
                np.save(os.path.join(args.out, files[-1]), v)
            np.save(os.path.join(args.out, name + "_out.npy"), expected)
            manifest.append({"op": op, "model": name + ".tflite", "inputs": files,
                             "output": name + "_out.npy"})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"seed": args.seed, "cases": manifest}, f, indent=1)
    print(f"{len(manifest)} cases written to {args.out} (seed {args.seed})")


if __name__ == "__main__":
    main()
