// fold-constants: a node whose inputs are all constants (at least one present) is evaluated
// once by the golden engine and its outputs become constants, keeping their quantization
// parameters; the node goes. The value must not depend on the requantization mode: the node is
// run in every RequantMode and folded only when all of them give the same bits (a quantized
// Conv of constants, for example, may round differently per mode and stays).
#include <array>
#include <map>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "model/base/error.h"
#include "model/golden/executor.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "fold-constants";

constexpr auto kModes = golden::kRequantModes.Values();

bool AllInputsConstant(const golden::Graph& graph, const golden::Node& node) {
  bool any = false;
  for (const std::string& in : node.inputs) {
    if (in.empty()) continue;
    if (!graph.IsConstant(in)) return false;
    any = true;
  }
  return any;
}

// The node alone: its constant inputs, its outputs (with their TensorInfo) as graph outputs.
golden::Graph OneNodeGraph(const golden::Graph& graph, const golden::Node& node) {
  golden::Graph g;
  g.name = node.name;
  for (const std::string& in : node.inputs) {
    if (in.empty()) continue;
    g.tensors[in] = graph.Info(in);
    g.constants[in] = graph.Constant(in);
  }
  for (const std::string& out : node.outputs) {
    g.tensors[out] = graph.Info(out);
    g.outputs.push_back(out);
  }
  g.nodes.push_back(node);
  g.Validate();
  return g;
}

// The node's outputs, or an empty map when the modes disagree.
std::map<std::string, golden::Tensor> Evaluate(const golden::Graph& g) {
  std::map<std::string, golden::Tensor> first;
  for (golden::RequantMode mode : kModes) {
    golden::RunOptions options;
    options.mode = mode;
    std::map<std::string, golden::Tensor> values = golden::RunGraph(g, {}, options);
    if (mode == kModes[0]) {
      first = std::move(values);
    } else if (values != first) {
      return {};
    }
  }
  return first;
}

}  // namespace

bool FoldConstants(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  std::vector<golden::Node> kept;
  kept.reserve(graph.nodes.size());
  for (golden::Node& node : graph.nodes) {
    if (!AllInputsConstant(graph, node)) {
      kept.push_back(std::move(node));
      continue;
    }
    std::map<std::string, golden::Tensor> values;
    try {
      values = Evaluate(OneNodeGraph(graph, node));
    } catch (const Error& e) {
      ctx.Note(kName, node.Label() + " left alone: " + e.what());
      kept.push_back(std::move(node));
      continue;
    }
    if (values.empty()) {
      ctx.Note(kName, node.Label() + " left alone: its value depends on the requantization mode");
      kept.push_back(std::move(node));
      continue;
    }
    for (const std::string& out : node.outputs) {
      golden::QuantParams quant = graph.Info(out).quant;
      graph.AddConstant(out, std::move(values.at(out)), std::move(quant));
    }
    ctx.Note(kName, node.Label() + " evaluated; its outputs are constants");
    changed = true;
  }
  graph.nodes = std::move(kept);
  return changed;
}

}  // namespace qsa::compiler
