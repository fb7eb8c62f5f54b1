// Every operator of the graph IR. Each is defined in the file named in its comment and listed in
// the sorted table of model/golden/ops/registry.cc.
#pragma once

#include "model/golden/op_registry.h"

namespace qsa::golden::ops {

// Integer (quantized) compute: conv.cc, matmul.cc, add.cc, pool.cc, clip.cc.
extern const OpDef kConv;    // also float32 (X, W, B float32), docs/ops-float.md
extern const OpDef kMatMul;  // also float32 (NumPy matmul), docs/ops-float.md
extern const OpDef kAdd;     // quantized (TFLite rescale) on uint8/int8, plain on float32
extern const OpDef kMaxPool;
extern const OpDef kAveragePool;
extern const OpDef kGlobalAveragePool;
extern const OpDef kClip;  // ReLU / ReLU6 / Clip; integer bounds on integer tensors

// Layout, any dtype: shape_ops.cc.
extern const OpDef kConcat;
extern const OpDef kFlatten;
extern const OpDef kIdentity;
extern const OpDef kReshape;
extern const OpDef kTranspose;

// Between real and quantized: quantize.cc.
extern const OpDef kDequantizeLinear;
extern const OpDef kDynamicQuantizeLinear;
extern const OpDef kQuantizeLinear;

// float32 host ops (ops the accelerator does not run): float_ops.cc.
extern const OpDef kCast;
extern const OpDef kDiv;
extern const OpDef kMax;
extern const OpDef kMin;
extern const OpDef kMul;
extern const OpDef kReduceMax;
extern const OpDef kReduceMin;
extern const OpDef kRelu;
extern const OpDef kRound;
extern const OpDef kSub;

// float32 neural-network host ops (docs/ops-float.md): float_nn.cc.
extern const OpDef kBatchNormalization;
extern const OpDef kGemm;
extern const OpDef kLeakyRelu;
extern const OpDef kSigmoid;
extern const OpDef kSoftmax;
extern const OpDef kTanh;

// TensorFlow Lite's own integer arithmetic, and constant padding: tflite_ops.cc.
extern const OpDef kPad;
extern const OpDef kTfliteAveragePool;
extern const OpDef kTfliteFcRequant;
extern const OpDef kTfliteLogistic;
extern const OpDef kTfliteMean;
extern const OpDef kTfliteMul;
extern const OpDef kTfliteQuantize;
extern const OpDef kTfliteSoftmax;

}  // namespace qsa::golden::ops
