// Element-wise float host ops and casts: Add, Sub, Mul, Div, Max, Min, Round, Sigmoid, Tanh, Cast,
// ReduceMax, ReduceMin (convert.h).
#include "compiler/importer/convert.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/onnx_model/tensor.h"

namespace qsa::importer::onnx_internal {

using golden::DType;

// The data inputs of ONNX's Conv, Gemm, MatMul, BatchNormalization and Softmax
// must be real numbers here: their quantized forms are the QOperator ops or QDQ patterns.
void RequireFloatInputs(Importer& im, const OnnxNode& n) {
  for (std::size_t i = 0; i < n.input_count(); ++i) {
    if (!n.Has(i)) continue;
    const std::string t = im.Operand(n, i, "input " + std::to_string(i));
    if (!IsFloat(im, t)) {
      im.Fail(n, "input '" + t + "' is " + TypeText(im.Info(t).dtype) + "; " + n.op() +
                     " is imported for float32 only (its quantized forms are the QLinear and "
                     "Integer ops, or DequantizeLinear → " +
                     n.op() + " → QuantizeLinear)");
    }
  }
}

// Add, Sub, Mul, Div on real numbers.
void ConvertBinaryFloat(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  if (n.input_count() != 2) im.Fail(n, "expects 2 inputs");
  const std::string a = im.Operand(n, 0, "A");
  const std::string b = im.Operand(n, 1, "B");
  for (const std::string& t : {a, b}) {
    if (!IsFloat(im, t)) {
      im.Fail(n, "input '" + t + "' is " + TypeText(im.Info(t).dtype) + "; " + n.op() +
                     " is imported for float32 only (integer arithmetic on stored values is not "
                     "an IR op; quantized addition is QLinearAdd or DequantizeLinear → Add → "
                     "QuantizeLinear)");
    }
  }
  im.Emit(n, im.MakeNode(n, n.op(), {a, b}, {n.Out(0)}), {DType::kFloat32});
}

// Max, Min: variadic, as in the IR.
void ConvertVariadic(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  if (n.input_count() == 0) im.Fail(n, "has no inputs");
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < n.input_count(); ++i) {
    inputs.push_back(im.Operand(n, i, "data_" + std::to_string(i)));
    if (!IsFloat(im, inputs.back())) {
      im.Fail(n, "input '" + inputs.back() + "' is " + TypeText(im.Info(inputs.back()).dtype) +
                     "; " + n.op() + " is imported for float32 only");
    }
  }
  im.Emit(n, im.MakeNode(n, n.op(), std::move(inputs), {n.Out(0)}), {DType::kFloat32});
}

void ConvertUnaryFloat(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  const std::string x = im.Operand(n, 0, "X");
  im.Emit(n, im.MakeNode(n, n.op(), {x}, {n.Out(0)}), {DType::kFloat32});
}

void ConvertCast(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"to"});
  const onnx::AttributeProto* to = im.FindAttr(n, "to");
  if (to == nullptr) im.Fail(n, "missing attribute 'to'");
  const auto elem = static_cast<std::int32_t>(im.AttrInt(n, "to", 0));
  const std::optional<DType> dtype = onnx_model::DTypeFromOnnx(elem);
  if (!dtype) {
    im.Fail(n, "cast to " + onnx_model::OnnxTypeName(elem) +
                   " is not supported (only UINT8, INT8, INT32 and FLOAT)");
  }
  const std::string x = im.Operand(n, 0, "input");
  golden::Node node = im.MakeNode(n, "Cast", {x}, {n.Out(0)});
  node.attrs.Set("to", TypeText(*dtype));
  im.Emit(n, std::move(node), {*dtype});
}

void ConvertReduce(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axes", "keepdims"});
  if (n.input_count() > 1) im.Fail(n, "axes given as an input are not supported");
  const std::string x = im.Operand(n, 0, "data");
  golden::Node node = im.MakeNode(n, n.op(), {x}, {n.Out(0)});
  if (auto axes = im.AttrInts(n, "axes")) node.attrs.Set("axes", *axes);
  node.attrs.Set("keepdims", im.AttrInt(n, "keepdims", 1));
  im.Emit(n, std::move(node), {im.Info(x).dtype});
}

}  // namespace qsa::importer::onnx_internal
