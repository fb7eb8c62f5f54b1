// QOperator form: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv,
// QLinearMatMul, ConvInteger, MatMulInteger, and the com.microsoft QLinearAdd, QLinearAveragePool,
// QLinearGlobalAveragePool and QLinearConcat (docs/onnx-import.md).
//
// Scale and zero-point inputs do not become IR inputs: pass 2 of the import (CollectQuant) turns
// them into the QuantParams of the tensors they describe, and the IR ops read those.
#include <string>
#include <utility>
#include <vector>

#include "compiler/importer/convert.h"
#include "compiler/importer/onnx_internal.h"
#include "model/base/error.h"

namespace qsa::importer::onnx_internal {

using golden::DType;

namespace {

QuantSpec Spec(bool output, std::size_t tensor, std::size_t scale, std::size_t zero_point,
               AxisRule rule, std::string role) {
  return QuantSpec{output, tensor, scale, zero_point, rule, std::move(role)};
}

void ConvertQuantizeLinear(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axis"});
  const std::string x = im.Operand(n, 0, "x");
  const DType dtype = im.ZeroPointType(n, 2);
  const bool static_form =
      n.Has(1) && im.IsConstant(n.In(1)) && (!n.Has(2) || im.IsConstant(n.In(2)));
  if (static_form) {
    // Parameters on the output tensor (pass 2).
    im.Emit(n, im.MakeNode(n, "QuantizeLinear", {x}, {n.Out(0)}), {dtype});
    return;
  }
  std::vector<std::string> inputs = {x, im.Operand(n, 1, "y_scale")};
  if (n.Has(2)) inputs.push_back(im.Operand(n, 2, "y_zero_point"));
  golden::Node node = im.MakeNode(n, "QuantizeLinear", std::move(inputs), {n.Out(0)});
  node.attrs.Set("axis", im.AttrInt(n, "axis", 1));
  im.Emit(n, std::move(node), {dtype});
}

void ConvertDequantizeLinear(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axis"});
  const std::string x = im.Operand(n, 0, "x");
  const bool static_form =
      n.Has(1) && im.IsConstant(n.In(1)) && (!n.Has(2) || im.IsConstant(n.In(2)));
  if (static_form) {
    // Parameters on the input tensor (pass 2).
    im.Emit(n, im.MakeNode(n, "DequantizeLinear", {x}, {n.Out(0)}), {DType::kFloat32});
    return;
  }
  std::vector<std::string> inputs = {x, im.Operand(n, 1, "x_scale")};
  if (n.Has(2)) inputs.push_back(im.Operand(n, 2, "x_zero_point"));
  golden::Node node = im.MakeNode(n, "DequantizeLinear", std::move(inputs), {n.Out(0)});
  node.attrs.Set("axis", im.AttrInt(n, "axis", 1));
  im.Emit(n, std::move(node), {DType::kFloat32});
}

void ConvertDynamicQuantizeLinear(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  const std::string x = im.Operand(n, 0, "x");
  if (n.output_count() != 3) im.Fail(n, "expects 3 outputs");
  im.Emit(n, im.MakeNode(n, "DynamicQuantizeLinear", {x}, {n.Out(0), n.Out(1), n.Out(2)}),
          {DType::kUInt8, DType::kFloat32, DType::kUInt8});
}

}  // namespace

namespace {

// com.microsoft QGemm: Y = alpha · A · op(B) + C with int32 C at scale a_scale · b_scale, one
// IR MatMul (transpose_b for transB = 1). Only alpha = 1, transA = 0 and a quantized output.
void ConvertQGemm(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"alpha", "transA", "transB"});
  const float alpha = im.AttrFloat(n, "alpha", 1.0f);
  if (alpha != 1.0f) {
    im.Fail(n, "alpha = " + std::to_string(alpha) + " is not supported; only alpha = 1");
  }
  if (im.AttrInt(n, "transA", 0) != 0) im.Fail(n, "transA = 1 is not supported");
  if (!n.Has(7)) {
    im.Fail(n,
            "a float output (no y_scale) is not supported; the IR's MatMul gives a quantized "
            "or an int32 output");
  }
  const bool trans_b = im.AttrInt(n, "transB", 0) != 0;
  const std::string a = im.Operand(n, 0, "A");
  const std::string b = im.Operand(n, 3, "B");
  std::vector<std::string> inputs = {a, b};
  const golden::Shape& b_shape = im.Info(b).shape;
  if (b_shape.size() != 2) {
    im.Fail(n,
            "B '" + b + "' has shape " + golden::ShapeToString(b_shape) + "; QGemm needs a matrix");
  }
  if (n.Has(6)) {
    const std::int64_t cols = b_shape[trans_b ? 0 : 1];
    const golden::Tensor c = im.ConstantTensor(n, 6, "C");
    if (c.dtype() != DType::kInt32)
      im.Fail(n, "C '" + n.In(6) + "' is " + c.Describe() + "; expected int32");
    if (c.shape() == golden::Shape{cols}) {
      inputs.push_back(im.Operand(n, 6, "C"));
    } else if (c.size() == cols || c.size() == 1) {
      // [1, N] or a single value: as the IR's bias [N].
      std::vector<std::int32_t> values(static_cast<std::size_t>(cols));
      for (std::int64_t j = 0; j < cols; ++j) {
        values[static_cast<std::size_t>(j)] =
            static_cast<std::int32_t>(c.GetInt(c.size() == 1 ? 0 : j));
      }
      inputs.push_back(im.AddConstant(n.In(6) + "_row",
                                      golden::Tensor::FromVector<std::int32_t>({cols}, values)));
    } else {
      im.Fail(n, "C '" + n.In(6) + "' has shape " + golden::ShapeToString(c.shape()) +
                     "; only a bias of one value per output column is supported");
    }
  }
  golden::Node node = im.MakeNode(n, "MatMul", std::move(inputs), {n.Out(0)});
  if (trans_b) node.attrs.Set("transpose_b", std::int64_t{1});
  im.Emit(n, std::move(node), {im.ZeroPointType(n, 8)});
}

void CheckChannelsLast(Importer& im, const OnnxNode& n) {
  const std::int64_t channels_last = im.AttrInt(n, "channels_last", 0);
  if (channels_last != 0) {
    im.Fail(n, "channels_last = " + std::to_string(channels_last) +
                   " is not supported; only NCHW (channels_last = 0)");
  }
}

void ConvertQLinearAveragePool(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"auto_pad", "ceil_mode", "channels_last", "count_include_pad",
                         "kernel_shape", "pads", "strides"});
  CheckChannelsLast(im, n);
  const std::string x = im.Operand(n, 0, "X");
  const std::vector<std::int64_t> kernel = PoolKernel(im, n);
  golden::Node node = im.MakeNode(n, "AveragePool", {x}, {n.Out(0)});
  node.attrs.Set("kernel_shape", kernel);
  node.attrs.Set("count_include_pad", im.AttrInt(n, "count_include_pad", 0));
  im.SetWindowAttributes(n, node, im.Info(x).shape, kernel, false, true);
  im.Emit(n, std::move(node), {im.ZeroPointType(n, 4)});
}

void ConvertQLinearGlobalAveragePool(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"channels_last"});
  CheckChannelsLast(im, n);
  const std::string x = im.Operand(n, 0, "X");
  im.Emit(n, im.MakeNode(n, "GlobalAveragePool", {x}, {n.Out(0)}), {im.ZeroPointType(n, 4)});
}

void ConvertQLinearConcat(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axis"});
  if (!im.HasAttr(n, "axis")) im.Fail(n, "missing attribute 'axis'");
  if (n.input_count() < 5 || (n.input_count() - 2) % 3 != 0) {
    im.Fail(n, "expects Y_scale, Y_zero_point and then (X, X_scale, X_zero_point) triples");
  }
  std::vector<std::string> inputs;
  for (std::size_t i = 2; i < n.input_count(); i += 3) {
    inputs.push_back(im.Operand(n, i, "input " + std::to_string((i - 2) / 3)));
  }
  golden::Node node = im.MakeNode(n, "Concat", std::move(inputs), {n.Out(0)});
  node.attrs.Set("axis", im.AttrInt(n, "axis", 0));
  im.Emit(n, std::move(node), {im.ZeroPointType(n, 1)});
}

}  // namespace

bool IsDefaultDomain(const OnnxNode& n) {
  return n.proto->domain().empty() || n.proto->domain() == "ai.onnx";
}

namespace {
bool IsMicrosoft(const OnnxNode& n) { return n.proto->domain() == kMicrosoftDomain; }
}  // namespace

bool IsQuantizeNode(const OnnxNode& n) {
  return n.op() == "QuantizeLinear" && (IsDefaultDomain(n) || IsMicrosoft(n));
}

bool IsDequantizeNode(const OnnxNode& n) {
  return n.op() == "DequantizeLinear" && (IsDefaultDomain(n) || IsMicrosoft(n));
}

std::vector<QuantSpec> QuantSpecsOf(const OnnxNode& n) {
  const std::string& op = n.op();
  if (IsQuantizeNode(n)) return {Spec(true, 0, 1, 2, AxisRule::kAttr, "y")};
  if (IsDequantizeNode(n)) return {Spec(false, 0, 1, 2, AxisRule::kAttr, "x")};
  if (IsDefaultDomain(n)) {
    if (op == "QLinearConv") {
      return {Spec(false, 0, 1, 2, AxisRule::kPerTensor, "x"),
              Spec(false, 3, 4, 5, AxisRule::kFirst, "w"),
              Spec(true, 0, 6, 7, AxisRule::kPerTensor, "y")};
    }
    if (op == "QLinearMatMul") {
      return {Spec(false, 0, 1, 2, AxisRule::kPerTensor, "a"),
              Spec(false, 3, 4, 5, AxisRule::kLast, "b"),
              Spec(true, 0, 6, 7, AxisRule::kPerTensor, "y")};
    }
    if (op == "ConvInteger") {
      return {Spec(false, 0, kNone, 2, AxisRule::kPerTensor, "x"),
              Spec(false, 1, kNone, 3, AxisRule::kFirst, "w")};
    }
    if (op == "MatMulInteger") {
      return {Spec(false, 0, kNone, 2, AxisRule::kPerTensor, "a"),
              Spec(false, 1, kNone, 3, AxisRule::kLast, "b")};
    }
  }
  if (IsMicrosoft(n)) {
    if (op == "QLinearAdd") {
      return {Spec(false, 0, 1, 2, AxisRule::kPerTensor, "A"),
              Spec(false, 3, 4, 5, AxisRule::kPerTensor, "B"),
              Spec(true, 0, 6, 7, AxisRule::kPerTensor, "C")};
    }
    if (op == "QLinearAveragePool" || op == "QLinearGlobalAveragePool") {
      return {Spec(false, 0, 1, 2, AxisRule::kPerTensor, "x"),
              Spec(true, 0, 3, 4, AxisRule::kPerTensor, "y")};
    }
    if (op == "QGemm") {
      std::vector<QuantSpec> specs = {Spec(false, 0, 1, 2, AxisRule::kPerTensor, "a"),
                                      Spec(false, 3, 4, 5, AxisRule::kGemmB, "b")};
      if (n.Has(7)) specs.push_back(Spec(true, 0, 7, 8, AxisRule::kPerTensor, "y"));
      return specs;
    }
    if (op == "QLinearConcat") {
      std::vector<QuantSpec> specs = {Spec(true, 0, 0, 1, AxisRule::kPerTensor, "Y")};
      for (std::size_t i = 2; i + 2 < n.input_count(); i += 3) {
        specs.push_back(
            Spec(false, i, i + 1, i + 2, AxisRule::kPerTensor, "X" + std::to_string((i - 2) / 3)));
      }
      return specs;
    }
  }
  return {};
}

std::vector<std::pair<std::size_t, std::string>> ParameterInputsOf(const OnnxNode& n,
                                                                   std::int64_t opset) {
  std::vector<std::pair<std::size_t, std::string>> params;
  for (const QuantSpec& spec : QuantSpecsOf(n)) {
    if (spec.scale != kNone) params.emplace_back(spec.scale, spec.role + "_scale");
    params.emplace_back(spec.zero_point, spec.role + "_zero_point");
  }
  const std::string& op = n.op();
  if (IsMicrosoft(n) && op == "QGemm") {
    params.emplace_back(3, "B");
    params.emplace_back(6, "C");
  }
  if (IsDefaultDomain(n)) {
    if (op == "QLinearConv") {
      params.emplace_back(3, "w");
      params.emplace_back(8, "B");
    } else if (op == "ConvInteger") {
      params.emplace_back(1, "w");
    } else if (op == "QLinearMatMul") {
      params.emplace_back(3, "b");
    } else if (op == "MatMulInteger") {
      params.emplace_back(1, "B");
    } else if (op == "Reshape" && opset >= 5) {
      params.emplace_back(1, "shape");
    } else if (op == "Clip" && opset >= 11) {
      params.emplace_back(1, "min");
      params.emplace_back(2, "max");
    }
  }
  return params;
}

bool ConvertQOperator(Importer& im, const OnnxNode& n) {
  const std::string& op = n.op();
  if (IsQuantizeNode(n)) {
    ConvertQuantizeLinear(im, n);
  } else if (IsDequantizeNode(n)) {
    ConvertDequantizeLinear(im, n);
  } else if (IsDefaultDomain(n) && op == "DynamicQuantizeLinear") {
    ConvertDynamicQuantizeLinear(im, n);
  } else if (IsDefaultDomain(n) && op == "QLinearConv") {
    ConvertConv(im, n, 3, 8, im.ZeroPointType(n, 7));
  } else if (IsDefaultDomain(n) && op == "ConvInteger") {
    ConvertConv(im, n, 1, std::nullopt, DType::kInt32);
  } else if (IsDefaultDomain(n) && op == "QLinearMatMul") {
    ConvertMatMul(im, n, 3, im.ZeroPointType(n, 7));
  } else if (IsDefaultDomain(n) && op == "MatMulInteger") {
    ConvertMatMul(im, n, 1, DType::kInt32);
  } else if (IsMicrosoft(n) && op == "QLinearAdd") {
    im.CheckAttributes(n, {});
    const std::string a = im.Operand(n, 0, "A");
    const std::string b = im.Operand(n, 3, "B");
    im.Emit(n, im.MakeNode(n, "Add", {a, b}, {n.Out(0)}), {im.ZeroPointType(n, 7)});
  } else if (IsMicrosoft(n) && op == "QLinearAveragePool") {
    ConvertQLinearAveragePool(im, n);
  } else if (IsMicrosoft(n) && op == "QLinearGlobalAveragePool") {
    ConvertQLinearGlobalAveragePool(im, n);
  } else if (IsMicrosoft(n) && op == "QGemm") {
    ConvertQGemm(im, n);
  } else if (IsMicrosoft(n) && op == "QLinearConcat") {
    ConvertQLinearConcat(im, n);
  } else {
    return false;
  }
  return true;
}

}  // namespace qsa::importer::onnx_internal
