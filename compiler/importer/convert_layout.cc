// Layout ops (Identity, Reshape, Flatten, Transpose) and Concat on stored values (convert.h).
#include "compiler/importer/convert.h"

#include <string>
#include <utility>
#include <vector>

namespace qsa::importer::onnx_internal {

using golden::DType;
using golden::QuantParams;

golden::Node LayoutNode(Importer& im, const OnnxNode& n, const std::string& x,
                        const std::string& out) {
  const std::string& op = n.op();
  golden::Node node = im.MakeNode(n, op, {x}, {out});
  if (op == "Identity") {
    im.CheckAttributes(n, {});
  } else if (op == "Reshape") {
    std::vector<std::int64_t> shape;
    if (im.opset() < 5) {
      im.CheckAttributes(n, {"shape"});
      const auto attr = im.AttrInts(n, "shape");
      if (!attr) im.Fail(n, "missing attribute 'shape'");
      shape = *attr;
    } else {
      im.CheckAttributes(n, {"allowzero"});
      shape = im.ConstantInts(n, 1, "shape");
    }
    node.attrs.Set("shape", shape);
    node.attrs.Set("allowzero", im.AttrInt(n, "allowzero", 0));
  } else if (op == "Flatten") {
    im.CheckAttributes(n, {"axis"});
    node.attrs.Set("axis", im.AttrInt(n, "axis", 1));
  } else if (op == "Transpose") {
    im.CheckAttributes(n, {"perm"});
    std::vector<std::int64_t> perm;
    if (auto attr = im.AttrInts(n, "perm")) {
      perm = *attr;
    } else {
      const auto rank = static_cast<std::int64_t>(im.Info(x).shape.size());
      for (std::int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    }
    node.attrs.Set("perm", perm);
  } else {
    im.Fail(n, "not a layout op");
  }
  return node;
}

void ConvertLayout(Importer& im, const OnnxNode& n) {
  const std::string x = im.Operand(n, 0, "data");
  im.Emit(n, LayoutNode(im, n, x, n.Out(0)), {im.Info(x).dtype});
}

void ConvertConcat(Importer& im, const OnnxNode& n) {
  im.CheckAttributes(n, {"axis"});
  if (!im.HasAttr(n, "axis")) im.Fail(n, "missing attribute 'axis'");
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < n.input_count(); ++i) {
    inputs.push_back(im.Operand(n, i, "input " + std::to_string(i)));
  }
  if (inputs.empty()) im.Fail(n, "has no inputs");
  const DType dtype = im.Info(inputs[0]).dtype;
  if (golden::IsInteger(dtype)) {
    // ONNX concatenates stored integers; the IR's Concat would requantize an input whose
    // parameters differ from the output's, which this Concat does not do.
    const QuantParams* out_q = im.Quant(n.Out(0));
    for (const std::string& in : inputs) {
      const QuantParams& q = im.Info(in).quant;
      const QuantParams& first = im.Info(inputs[0]).quant;
      if (q != first || (out_q != nullptr && !q.empty() && *out_q != q)) {
        im.Fail(n, "input '" + in + "' has " + DescribeQuant(q) +
                       ", unlike the other inputs or the output; ONNX Concat joins stored "
                       "integers (use QLinearConcat, or Q/DQ around a float Concat, to "
                       "requantize)");
      }
    }
  }
  golden::Node node = im.MakeNode(n, "Concat", inputs, {n.Out(0)});
  node.attrs.Set("axis", im.AttrInt(n, "axis", 0));
  im.Emit(n, std::move(node), {dtype});
}

}  // namespace qsa::importer::onnx_internal
