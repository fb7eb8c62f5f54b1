// Private to the ONNX importer: the converters of the default-domain ops, one file per op family.
// Each reads one ONNX node through the Importer (onnx_internal.h) and emits its IR node(s);
// messages name the ONNX node. Onnx_import.cc dispatches to them; the QOperator converters
// (onnx_qoperator.cc) and the QDQ patterns (onnx_qdq.cc) reuse the Conv, MatMul, layout and pool
// ones. docs/onnx-import.md describes the rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/importer/onnx_internal.h"
#include "model/golden/dtype.h"
#include "model/golden/graph.h"

namespace qsa::importer::onnx_internal {

// True when IR tensor `ir_tensor` (already present) is float32.
inline bool IsFloat(const Importer& im, const std::string& ir_tensor) {
  return im.Info(ir_tensor).dtype == golden::DType::kFloat32;
}

// ---- convert_conv.cc: convolution and matrix products -------------------------------------------

// The 2-D kernel of a convolution from its weight shape [M, C/group, kH, kW]; refuses other
// ranks (3-D convolution) and a kernel_shape attribute that disagrees.
std::vector<std::int64_t> ConvKernel(const Importer& im, const OnnxNode& n,
                                     const golden::Shape& w_shape);
// One IR Conv from the node's x (input 0), w (input w_index) and optional bias, with its window
// attributes and group; one IR MatMul from a (input 0) and b (input b_index). The output dtype is
// the caller's (quantized, int32, or float32 for ONNX's float Conv and MatMul).
void ConvertConv(Importer& im, const OnnxNode& n, std::size_t w_index,
                 std::optional<std::size_t> bias_index, golden::DType out_dtype);
void ConvertMatMul(Importer& im, const OnnxNode& n, std::size_t b_index, golden::DType out_dtype);
// ONNX's Conv and MatMul on real numbers: the IR's float32 Conv and MatMul (host ops).
void ConvertFloatConvOrMatMul(Importer& im, const OnnxNode& n);
// Gemm on real numbers (alpha, beta, transA, transB as attributes of the IR Gemm).
void ConvertGemm(Importer& im, const OnnxNode& n);
// BatchNormalization in its inference form (running mean and variance as inputs, one output).
void ConvertBatchNormalization(Importer& im, const OnnxNode& n);

// ---- convert_layout.cc: layout ops and Concat ---------------------------------------------------

// The IR node of an Identity, Reshape, Flatten or Transpose node n reading IR tensor x and
// writing `out`, with n's attributes.
golden::Node LayoutNode(Importer& im, const OnnxNode& n, const std::string& x,
                        const std::string& out);
// Identity, Reshape, Flatten, Transpose: one IR node of the input's dtype.
void ConvertLayout(Importer& im, const OnnxNode& n);
// Concat: float, or integer inputs that share the output's quantization (stored values joined).
void ConvertConcat(Importer& im, const OnnxNode& n);

// ---- convert_pool.cc: pools ---------------------------------------------------------------------

// The 2-D kernel of a pool ("kernel_shape").
std::vector<std::int64_t> PoolKernel(const Importer& im, const OnnxNode& n);
// The IR node of a MaxPool or AveragePool node n reading IR tensor x and writing `out`.
golden::Node PoolNode(Importer& im, const OnnxNode& n, const std::string& x,
                      const std::string& out);
// MaxPool (any dtype) and AveragePool (float32 only: its quantized forms are QLinearAveragePool
// and Q/DQ).
void ConvertPool(Importer& im, const OnnxNode& n);
// GlobalAveragePool on float32.
void ConvertGlobalAveragePool(Importer& im, const OnnxNode& n);

// ---- convert_activation.cc: activations ---------------------------------------------------------

// Clip with attribute (opset < 11) or input bounds; on an integer tensor the bounds become stored
// values (a real bound is quantized with the tensor's parameters).
void ConvertClip(Importer& im, const OnnxNode& n);
// Relu: the IR Relu on float32, Clip(min 0) on the stored integers otherwise.
void ConvertRelu(Importer& im, const OnnxNode& n);
void ConvertLeakyRelu(Importer& im, const OnnxNode& n);
// Softmax; before opset 13 over the flattened trailing dimensions (Reshape → Softmax → Reshape).
void ConvertSoftmax(Importer& im, const OnnxNode& n);

// ---- convert_float.cc: float element-wise ops and casts -----------------------------------------

// The data inputs of ONNX's Conv, Gemm, MatMul, BatchNormalization and Softmax must be real
// numbers: their quantized forms are the QOperator ops or QDQ patterns. Throws naming the first
// input that is not.
void RequireFloatInputs(Importer& im, const OnnxNode& n);
// Add, Sub, Mul, Div on float32.
void ConvertBinaryFloat(Importer& im, const OnnxNode& n);
// Max, Min on float32 (variadic, as in the IR).
void ConvertVariadic(Importer& im, const OnnxNode& n);
// Round, Sigmoid, Tanh.
void ConvertUnaryFloat(Importer& im, const OnnxNode& n);
// Cast to uint8, int8, int32 or float32.
void ConvertCast(Importer& im, const OnnxNode& n);
// ReduceMax, ReduceMin with axes as an attribute.
void ConvertReduce(Importer& im, const OnnxNode& n);

}  // namespace qsa::importer::onnx_internal
