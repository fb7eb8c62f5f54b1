// Convolution and matrix products: the IR Conv and MatMul of every form (QLinear, Integer, float),
// and the float Gemm and BatchNormalization (convert.h).
#include "compiler/importer/convert.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qsa::importer::onnx_internal {

using golden::DType;

std::vector<std::int64_t> ConvKernel(const Importer& im, const OnnxNode& n,
                                     const golden::Shape& w_shape) {
  if (w_shape.size() == 5) im.Fail(n, "3-D convolution is not supported (weight rank 5)");
  if (w_shape.size() != 4) {
    im.Fail(n, "weight shape " + golden::ShapeToString(w_shape) +
                   " is not [M, C/group, kH, kW]; only 2-D convolution is supported");
  }
  std::vector<std::int64_t> kernel = {w_shape[2], w_shape[3]};
  if (auto attr = im.AttrInts(n, "kernel_shape"); attr && *attr != kernel) {
    im.Fail(n, "kernel_shape " + golden::ShapeToString(*attr) +
                   " disagrees with the weight shape " + golden::ShapeToString(w_shape));
  }
  return kernel;
}

// QLinearConv (x 0, w 3, B 8), ConvInteger (x 0, w 1) and float Conv (X 0, W 1, B 2): one IR
// Conv.
void ConvertConv(Importer& im, const OnnxNode& n, std::size_t w_index,
                 std::optional<std::size_t> bias_index, DType out_dtype) {
  im.CheckAttributes(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const std::string x = im.Operand(n, 0, "x");
  const std::string w = im.Operand(n, w_index, "w");
  std::vector<std::string> inputs = {x, w};
  if (bias_index && n.Has(*bias_index)) inputs.push_back(im.Operand(n, *bias_index, "B"));
  const std::vector<std::int64_t> kernel = ConvKernel(im, n, im.Info(w).shape);
  golden::Node node = im.MakeNode(n, "Conv", std::move(inputs), {n.Out(0)});
  im.SetWindowAttributes(n, node, im.Info(x).shape, kernel, true, false);
  node.attrs.Set("group", im.AttrInt(n, "group", 1));
  im.Emit(n, std::move(node), {out_dtype});
}

// QLinearMatMul (a 0, b 3), MatMulInteger (A 0, B 1) and float MatMul (A 0, B 1): one IR MatMul.
void ConvertMatMul(Importer& im, const OnnxNode& n, std::size_t b_index, DType out_dtype) {
  im.CheckAttributes(n, {});
  const std::string a = im.Operand(n, 0, "a");
  const std::string b = im.Operand(n, b_index, "b");
  im.Emit(n, im.MakeNode(n, "MatMul", {a, b}, {n.Out(0)}), {out_dtype});
}

// Conv and MatMul on real numbers: the IR's float32 Conv and MatMul (host ops).
void ConvertFloatConvOrMatMul(Importer& im, const OnnxNode& n) {
  RequireFloatInputs(im, n);
  if (n.op() == "Conv") {
    ConvertConv(im, n, 1, 2, DType::kFloat32);
  } else {
    ConvertMatMul(im, n, 1, DType::kFloat32);
  }
}

void ConvertGemm(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"alpha", "beta", "transA", "transB"});
  RequireFloatInputs(im, n);
  std::vector<std::string> inputs = {im.Operand(n, 0, "A"), im.Operand(n, 1, "B")};
  if (n.Has(2)) inputs.push_back(im.Operand(n, 2, "C"));
  golden::Node node = im.MakeNode(n, "Gemm", std::move(inputs), {n.Out(0)});
  node.attrs.Set("alpha", static_cast<double>(im.AttrFloat(n, "alpha", 1.0f)));
  node.attrs.Set("beta", static_cast<double>(im.AttrFloat(n, "beta", 1.0f)));
  node.attrs.Set("transA", im.AttrInt(n, "transA", 0));
  node.attrs.Set("transB", im.AttrInt(n, "transB", 0));
  im.Emit(n, std::move(node), {DType::kFloat32});
}

// Inference form only: the running mean and variance are inputs, one output.
void ConvertBatchNormalization(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"epsilon", "momentum", "spatial", "training_mode"});
  if (im.AttrInt(n, "training_mode", 0) != 0) {
    im.Fail(n,
            "training_mode = 1 is not supported; only inference (with the running mean and "
            "variance as inputs)");
  }
  if (im.AttrInt(n, "spatial", 1) != 1) {
    im.Fail(n, "spatial = 0 (statistics per element, not per channel) is not supported");
  }
  for (std::size_t i = 1; i < n.output_count(); ++i) {
    if (!n.Out(i).empty()) {
      im.Fail(n, "output " + std::to_string(i) + " ('" + n.Out(i) +
                     "') is a training output; only the inference form (one output) is supported");
    }
  }
  if (n.input_count() != 5) {
    im.Fail(n, "expects 5 inputs (X, scale, B, input_mean, input_var), has " +
                   std::to_string(n.input_count()));
  }
  RequireFloatInputs(im, n);
  const char* roles[5] = {"X", "scale", "B", "input_mean", "input_var"};
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < 5; ++i) inputs.push_back(im.Operand(n, i, roles[i]));
  golden::Node node = im.MakeNode(n, "BatchNormalization", std::move(inputs), {n.Out(0)});
  node.attrs.Set("epsilon", static_cast<double>(im.AttrFloat(n, "epsilon", 1e-5f)));
  im.Emit(n, std::move(node), {DType::kFloat32});
}

}  // namespace qsa::importer::onnx_internal
