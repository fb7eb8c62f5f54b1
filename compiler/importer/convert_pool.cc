// MaxPool, AveragePool and GlobalAveragePool (convert.h).
#include "compiler/importer/convert.h"

#include <optional>
#include <string>
#include <vector>

namespace qsa::importer::onnx_internal {

using golden::DType;

std::vector<std::int64_t> PoolKernel(const Importer& im, const OnnxNode& n) {
  const std::optional<std::vector<std::int64_t>> kernel = im.AttrInts(n, "kernel_shape");
  if (!kernel) im.Fail(n, "missing attribute 'kernel_shape'");
  if (kernel->size() != 2) {
    im.Fail(n, "kernel_shape " + golden::ShapeToString(*kernel) + " has " +
                   std::to_string(kernel->size()) +
                   " dimensions; only 2-D pooling over NCHW tensors is supported");
  }
  return *kernel;
}

golden::Node PoolNode(Importer& im, const OnnxNode& n, const std::string& x,
                      const std::string& out) {
  const bool max = n.op() == "MaxPool";
  if (max) {
    im.CheckAttributes(n, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                           "storage_order", "strides"});
    if (n.output_count() != 1 || n.Out(0).empty()) {
      im.Fail(n, "the Indices output is not supported");
    }
  } else {
    im.CheckAttributes(
        n, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"});
  }
  const std::vector<std::int64_t> kernel = PoolKernel(im, n);
  golden::Node node = im.MakeNode(n, n.op(), {x}, {out});
  node.attrs.Set("kernel_shape", kernel);
  if (!max) node.attrs.Set("count_include_pad", im.AttrInt(n, "count_include_pad", 0));
  im.SetWindowAttributes(n, node, im.Info(x).shape, kernel, max, true);
  return node;
}

void ConvertPool(Importer& im, const OnnxNode& n) {
  const std::string x = im.Operand(n, 0, "X");
  if (n.op() == "AveragePool" && !IsFloat(im, x)) {
    im.Fail(n, "input '" + x + "' is " + TypeText(im.Info(x).dtype) +
                   "; ONNX AveragePool takes real numbers (use QLinearAveragePool or Q/DQ)");
  }
  im.Emit(n, PoolNode(im, n, x, n.Out(0)), {im.Info(x).dtype});
}

void ConvertGlobalAveragePool(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {});
  const std::string x = im.Operand(n, 0, "X");
  if (!IsFloat(im, x)) {
    im.Fail(n, "input '" + x + "' is " + TypeText(im.Info(x).dtype) +
                   "; ONNX GlobalAveragePool takes real numbers (use QLinearGlobalAveragePool or "
                   "Q/DQ)");
  }
  im.Emit(n, im.MakeNode(n, "GlobalAveragePool", {x}, {n.Out(0)}), {DType::kFloat32});
}

}  // namespace qsa::importer::onnx_internal
