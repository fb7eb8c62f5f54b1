// Activations: Clip and Relu (integer or float), LeakyRelu and Softmax (float) (convert.h).
#include "compiler/importer/convert.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/onnx_model/tensor.h"

namespace qsa::importer::onnx_internal {

using golden::DType;
using golden::QuantParams;
using golden::Shape;

namespace {

// An integer clip bound: given as an integer it is a stored value already; given as a real number
// (opset-6 attributes, or a float bound) it is quantized with the tensor's parameters.
std::int64_t IntegerBound(Importer& im, const OnnxNode& n, const std::string& x, double value,
                          bool is_integer, const char* which) {
  const DType dtype = im.Info(x).dtype;
  if (is_integer) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(value), golden::DTypeMin(dtype),
                                    golden::DTypeMax(dtype));
  }
  const QuantParams& q = im.Info(x).quant;
  if (q.empty() || q.per_axis()) {
    im.Fail(n, std::string(which) + " bound " + FloatText(value) + " is a real number but '" + x +
                   "' (" + TypeText(dtype) + ") has no per-tensor scale to quantize it with");
  }
  const double limit = std::numeric_limits<float>::max();
  return golden::QuantizeValue(static_cast<float>(std::clamp(value, -limit, limit)), q.scale(0),
                               q.zero_point(0), dtype);
}

}  // namespace

void ConvertClip(Importer& im, const OnnxNode& n) {
  const std::string x = im.Operand(n, 0, "input");
  std::optional<double> bound[2];
  bool integer_bound[2] = {false, false};
  if (im.opset() < 11) {
    im.CheckAttributes(n, {"min", "max"});
    if (auto v = im.AttrFloat(n, "min")) bound[0] = *v;
    if (auto v = im.AttrFloat(n, "max")) bound[1] = *v;
  } else {
    im.CheckAttributes(n, {});
    const char* roles[2] = {"min", "max"};
    for (std::size_t k = 0; k < 2; ++k) {
      if (!n.Has(k + 1)) continue;
      const std::vector<double> v = im.ConstantReals(n, k + 1, roles[k]);
      if (v.size() != 1) {
        im.Fail(n, std::string(roles[k]) + " '" + n.In(k + 1) + "' has " +
                       std::to_string(v.size()) + " values; expected a scalar");
      }
      bound[k] = v[0];
      const std::optional<DType> t = onnx_model::DTypeFromOnnx(im.ConstantElemType(n.In(k + 1)));
      integer_bound[k] = !t || golden::IsInteger(*t);
    }
  }
  golden::Node node = im.MakeNode(n, "Clip", {x}, {n.Out(0)});
  const DType dtype = im.Info(x).dtype;
  const char* names[2] = {"min", "max"};
  for (std::size_t k = 0; k < 2; ++k) {
    if (!bound[k]) continue;
    if (dtype == DType::kFloat32) {
      node.attrs.Set(names[k], *bound[k]);
    } else {
      node.attrs.Set(names[k], IntegerBound(im, n, x, *bound[k], integer_bound[k], names[k]));
    }
  }
  im.Emit(n, std::move(node), {dtype});
}

void ConvertRelu(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  const std::string x = im.Operand(n, 0, "X");
  const DType dtype = im.Info(x).dtype;
  if (dtype == DType::kFloat32) {
    im.Emit(n, im.MakeNode(n, "Relu", {x}, {n.Out(0)}), {dtype});
    return;
  }
  // ONNX Relu on an integer tensor is max(q, 0) on the stored integers.
  golden::Node node = im.MakeNode(n, "Clip", {x}, {n.Out(0)});
  node.attrs.Set("min", std::int64_t{0});
  im.Emit(n, std::move(node), {dtype});
}

void ConvertLeakyRelu(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"alpha"});
  const std::string x = im.Operand(n, 0, "X");
  golden::Node node = im.MakeNode(n, "LeakyRelu", {x}, {n.Out(0)});
  node.attrs.Set("alpha", static_cast<double>(im.AttrFloat(n, "alpha", 0.01f)));
  im.Emit(n, std::move(node), {DType::kFloat32});
}

// Opset 13 normalizes along `axis` (default −1): the IR's Softmax. Before opset 13 the input is
// seen as a matrix [d0·…·d(axis−1), d(axis)·…·d(n−1)] (axis default 1) normalized along its rows:
// the same as the IR's Softmax over the last axis when axis is the last dimension, else emitted
// as Reshape → Softmax → Reshape.
void ConvertSoftmax(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axis"});
  RequireFloatInputs(im, n);
  const std::string x = im.Operand(n, 0, "input");
  const Shape shape = im.Info(x).shape;
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::int64_t axis = im.AttrInt(n, "axis", im.opset() >= 13 ? -1 : 1);
  if (axis < -rank || axis >= rank) {
    im.Fail(n, "axis " + std::to_string(axis) + " is out of range for input '" + x + "' of shape " +
                   golden::ShapeToString(shape));
  }
  if (axis < 0) axis += rank;
  if (im.opset() >= 13 || axis == rank - 1) {
    golden::Node node = im.MakeNode(n, "Softmax", {x}, {n.Out(0)});
    node.attrs.Set("axis", axis);
    im.Emit(n, std::move(node), {DType::kFloat32});
    return;
  }
  std::int64_t rows = 1;
  std::int64_t cols = 1;
  for (std::int64_t d = 0; d < rank; ++d)
    (d < axis ? rows : cols) *= shape[static_cast<std::size_t>(d)];
  const std::string matrix = im.NewTensorName(n.Out(0) + "_2d");
  const std::string normalized = im.NewTensorName(n.Out(0) + "_2d_softmax");
  golden::Node to_matrix = im.MakeNode(n, "Reshape", {x}, {matrix}, "_to_2d");
  to_matrix.attrs.Set("shape", std::vector<std::int64_t>{rows, cols});
  to_matrix.attrs.Set("allowzero", std::int64_t{1});
  im.Emit(n, std::move(to_matrix), {DType::kFloat32});
  golden::Node softmax = im.MakeNode(n, "Softmax", {matrix}, {normalized});
  softmax.attrs.Set("axis", std::int64_t{1});
  im.Emit(n, std::move(softmax), {DType::kFloat32});
  golden::Node back = im.MakeNode(n, "Reshape", {normalized}, {n.Out(0)}, "_from_2d");
  back.attrs.Set("shape", std::vector<std::int64_t>(shape.begin(), shape.end()));
  back.attrs.Set("allowzero", std::int64_t{1});
  im.Emit(n, std::move(back), {DType::kFloat32});
}

}  // namespace qsa::importer::onnx_internal
