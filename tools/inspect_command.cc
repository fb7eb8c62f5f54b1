// qsa inspect: prints a model's graph — inputs, outputs, nodes with attributes and explicit
// requantization, every tensor's dtype, shape and quantization, and MACs per Conv/MatMul.
#include <cmath>
#include <iostream>
#include <optional>

#include "model/base/error.h"
#include "tools/commands.h"
#include "tools/tool_util.h"

namespace qsa::tools {
namespace {

using golden::Graph;
using golden::Node;

std::string AttrText(const golden::AttrValue& value) {
  struct Visitor {
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return FormatFloat(v); }
    std::string operator()(const std::string& v) const { return "\"" + v + "\""; }
    std::string operator()(const std::vector<std::int64_t>& v) const {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
      return s + "]";
    }
    std::string operator()(const std::vector<double>& v) const {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + FormatFloat(v[i]);
      return s + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

std::string RequantText(const std::vector<golden::FixedPointMultiplier>& requant) {
  auto real = [](const golden::FixedPointMultiplier& m) {
    return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
  };
  std::string s =
      std::to_string(requant.size()) + " explicit multiplier" + (requant.size() == 1 ? "" : "s");
  if (requant.size() <= 4) {
    s += ":";
    for (const auto& m : requant) {
      s += " " + std::to_string(m.multiplier) + "*2^(" + std::to_string(m.shift) +
           "-31) = " + FormatFloat(real(m)) + ";";
    }
    s.pop_back();
    return s;
  }
  double lo = real(requant[0]);
  double hi = lo;
  int shift_lo = requant[0].shift;
  int shift_hi = shift_lo;
  for (const auto& m : requant) {
    lo = std::min(lo, real(m));
    hi = std::max(hi, real(m));
    shift_lo = std::min(shift_lo, m.shift);
    shift_hi = std::max(shift_hi, m.shift);
  }
  return s + ", shift " + std::to_string(shift_lo) +
         (shift_lo == shift_hi ? "" : ".." + std::to_string(shift_hi)) + ", real multiplier " +
         FormatFloat(lo) + ".." + FormatFloat(hi);
}

void PrintTensorLine(const Graph& graph, const std::string& name, std::size_t width) {
  const golden::TensorInfo& info = graph.Info(name);
  std::string line = "  " + name;
  line.append(width + 4 > line.size() ? width + 4 - line.size() : 1, ' ');
  line += std::string(golden::DTypeName(info.dtype)) + golden::ShapeToString(info.shape);
  const std::string quant = FormatQuant(info.quant);
  if (!quant.empty()) line += "  " + quant;
  if (graph.IsConstant(name)) {
    const golden::Tensor& value = graph.Constant(name);
    line += "  [constant, " + FormatCount(value.size()) + " values, " +
            FormatCount(static_cast<std::int64_t>(value.Bytes().size())) + " bytes]";
  }
  std::cout << line << "\n";
}

}  // namespace

CLI::App* AddInspectCommand(CLI::App& app, InspectArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Print a model's graph: tensors, quantization, nodes, requantization, MACs");
  AddRequired(cmd, "MODEL", args.model, "A quantized .onnx/.tflite model or .json graph", "FILE");
  AddInputOption(cmd, args.inputs, "Value for an ONNX model's parameter input", "NAME=FILE.npy");
  cmd->footer("Example: qsa inspect examples/cnn3/cnn3.json");
  return cmd;
}

void InspectCommand(const InspectArgs& args) {
  const PreparedModel prepared =
      PrepareModel(args.model, ParseInputSpecs(args.inputs), /*require_all=*/false);
  const Graph& graph = prepared.loaded.graph;

  std::size_t width = 0;
  for (const auto& [name, info] : graph.tensors) width = std::max(width, name.size());

  std::cout << "model " << args.model << ": graph '" << graph.name << "', " << graph.nodes.size()
            << " nodes, " << graph.tensors.size() << " tensors (" << graph.constants.size()
            << " constant)\n";
  if (!prepared.loaded.bound.empty()) {
    std::cout << "bound parameter inputs:";
    for (const std::string& name : prepared.loaded.bound) std::cout << " " << name;
    std::cout << "\n";
  }
  std::cout << "inputs:\n";
  for (const std::string& name : graph.inputs) PrintTensorLine(graph, name, width);
  std::cout << "outputs:\n";
  for (const std::string& name : graph.outputs) PrintTensorLine(graph, name, width);

  std::cout << "nodes:\n";
  std::int64_t total_macs = 0;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::string io;
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      io += (k ? ", " : "") + (node.inputs[k].empty() ? std::string("(none)") : node.inputs[k]);
    }
    io += " -> ";
    for (std::size_t k = 0; k < node.outputs.size(); ++k) io += (k ? ", " : "") + node.outputs[k];
    std::cout << "  [" << i << "] " << node.op << " '" << node.name << "': " << io << "\n";
    if (!node.attrs.values().empty()) {
      std::cout << "      attrs:";
      for (const auto& [key, value] : node.attrs.values()) {
        std::cout << " " << key << "=" << AttrText(value);
      }
      std::cout << "\n";
    }
    if (!node.requant.empty()) std::cout << "      requant: " << RequantText(node.requant) << "\n";
    if (const auto macs = NodeMacs(graph, node)) {
      std::cout << "      MACs: " << FormatCount(*macs) << "\n";
      total_macs += *macs;
    }
  }

  std::cout << "tensors:\n";
  for (const auto& [name, info] : graph.tensors) PrintTensorLine(graph, name, width);
  std::cout << "total MACs (Conv, MatMul): " << FormatCount(total_macs) << "\n";
}

}  // namespace qsa::tools
