// Partition rules (partition.h).
#include "compiler/partition/partition.h"

#include <string>
#include <vector>

#include "compiler/lower/lower.h"
#include "compiler/passes/fold_zero_point.h"
#include "model/base/error.h"

namespace qsa::compiler {

namespace {

bool IsQuantized(golden::DType t) {
  return t == golden::DType::kUInt8 || t == golden::DType::kInt8;
}
bool IsStorable(golden::DType t) { return IsQuantized(t) || t == golden::DType::kInt32; }

std::string Name(golden::DType t) { return std::string(golden::DTypeName(t)); }

bool HasInput(const golden::Node& node, std::size_t i) {
  return i < node.inputs.size() && !node.inputs[i].empty();
}

// Why an integer Conv or MatMul cannot run on the array, or "".
std::string AccumulatingRefusal(const golden::Graph& graph, const golden::Node& node) {
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (!IsQuantized(x.dtype)) {
    return "the array takes uint8/int8 activations, not " + Name(x.dtype);
  }
  if (!graph.IsConstant(node.inputs[1])) {
    return "activation x activation products run on the host (the weights must be constant)";
  }
  if (!IsStorable(y.dtype)) return "output is " + Name(y.dtype);
  if (!CanFoldZeroPoint(graph, node) && node.attrs.GetInt("x_zero_point_folded", 0) != 1) {
    return "the weights must be int8 with zero point 0 (a single matrix for MatMul)";
  }
  if (HasInput(node, 2) && !graph.IsConstant(node.inputs[2])) return "the bias is not constant";
  if (node.attrs.GetInt("x_zero_point_folded", 0) != 1) {
    // The fold-zero-point pass leaves a node alone when its folded bias does not fit.
    try {
      AcceleratorBias(graph, node);
    } catch (const Error& e) {
      return e.what();
    }
  }
  return "";
}

}  // namespace

std::string AcceleratorRefusal(const golden::Graph& graph, const golden::Node& node,
                               const std::vector<Layout>& input_layouts,
                               const isa::ArchConfig& arch) {
  (void)arch;
  if (node.outputs.size() != 1) return "the accelerator lowers single-output nodes";
  const golden::TensorInfo& y = graph.Info(node.outputs[0]);
  if (IsAlias(node)) {
    if (!IsStorable(y.dtype)) return Name(y.dtype) + " tensors stay on the host";
    if (node.op == "Reshape" || node.op == "Flatten" || node.op == "Squeeze" ||
        node.op == "Unsqueeze") {
      if (!ReshapedLayout(input_layouts[0], y.shape)) {
        return "the input's DRAM order is not the output's (a transposing reshape)";
      }
    }
    return "";
  }
  if (node.op == "Conv") {
    const golden::TensorInfo& x = graph.Info(node.inputs[0]);
    if (x.shape.size() != 4) return "only 2-D convolutions";
    if (std::string r = AccumulatingRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], 1)) return "input is not stored NHWC";
    return "";
  }
  if (node.op == "MatMul") {
    const golden::TensorInfo& a = graph.Info(node.inputs[0]);
    if (a.shape.size() < 2) return "input A is a vector";
    if (std::string r = AccumulatingRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], static_cast<int>(a.shape.size()) - 1))
      return "input A is not stored row by row";
    return "";
  }
  if (node.op == "Add") {
    const golden::TensorInfo& a = graph.Info(node.inputs[0]);
    const golden::TensorInfo& b = graph.Info(node.inputs[1]);
    if (!IsQuantized(a.dtype) || !IsQuantized(b.dtype) || !IsQuantized(y.dtype)) {
      return "the vector unit adds uint8/int8 tensors";
    }
    if (a.shape != b.shape || a.shape != y.shape) return "broadcasting Add runs on the host";
    if (!SameBytes(input_layouts[0], input_layouts[1])) {
      return "the two inputs are stored in different orders";
    }
    return "";
  }
  if (node.op == "MaxPool" || node.op == "AveragePool" || node.op == "GlobalAveragePool") {
    if (std::string r = PoolRefusal(graph, node); !r.empty()) return r;
    if (!RowsOf(input_layouts[0], 1)) return "input is not stored NHWC";
    return "";
  }
  if (node.op == "Concat") {
    for (const std::string& in : node.inputs) {
      if (!IsQuantized(graph.Info(in).dtype)) return "the DMA engines copy uint8/int8 tensors";
    }
    return ConcatRefusal(graph, node, input_layouts);
  }
  return "no accelerator lowering for " + node.op;
}

Partition PartitionGraph(const golden::Graph& g, const isa::ArchConfig& arch) {
  Partition p;
  p.accel.assign(g.nodes.size(), false);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const golden::Node& node = g.nodes[i];
    std::vector<Layout> in_layouts;
    bool alias_of_host = false;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        in_layouts.push_back({});
        continue;
      }
      const auto it = p.layouts.find(in);
      if (it != p.layouts.end()) {
        in_layouts.push_back(it->second);
      } else {
        in_layouts.push_back(DefaultLayout(g.Info(in).shape));
        if (IsAlias(node)) alias_of_host = true;
      }
    }
    std::string reason;
    if (alias_of_host) {
      reason = "its input is computed on the host";
    } else {
      try {
        reason = AcceleratorRefusal(g, node, in_layouts, arch);
      } catch (const Error& e) {
        reason = e.what();
      }
    }
    // Inputs the accelerator reads must be storable in a program's DRAM.
    for (const std::string& in : node.inputs) {
      if (reason.empty() && !in.empty() && !g.IsConstant(in) && !IsStorable(g.Info(in).dtype)) {
        reason = "input '" + in + "' is " + std::string(golden::DTypeName(g.Info(in).dtype));
      }
    }
    if (reason.empty()) {
      p.accel[i] = true;
      p.layouts[node.outputs[0]] = OutputLayout(g, node, in_layouts);
    } else {
      p.fallbacks.push_back({node.name, node.op, reason});
    }
  }
  return p;
}

}  // namespace qsa::compiler
