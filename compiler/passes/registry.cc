#include <algorithm>
#include <string>

#include "compiler/passes/pass.h"

namespace qsa::compiler {

const std::vector<Pass>& Passes() {
  // The order they run in: the verifier first; folding and fusion before the layout and
  // zero-point passes that prepare nodes for the accelerator; dead code last.
  static const std::vector<Pass> kPasses = {
      {"verify", "check that the graph is complete, typed and in topological order", VerifyGraph},
      {"fold-constants", "evaluate nodes whose inputs are all constant", FoldConstants},
      {"fold-batchnorm", "fold BatchNormalization into the float Conv before it", FoldBatchNorm},
      {"fuse-activation", "fuse an integer Clip/ReLU/ReLU6 into the requantization clamp",
       FuseActivation},
      {"center-weights", "turn weights with a zero point into int8 with zero point 0",
       CenterWeights},
      {"nhwc-flatten", "flatten images in NHWC order before a weight matmul", NhwcFlatten},
      {"fold-zero-point", "fold the input zero point into the bias", FoldZeroPoint},
      {"dead-code", "remove nodes and constants nothing uses", RemoveDeadCode},
  };
  return kPasses;
}

const Pass* FindPass(std::string_view name) {
  const auto& passes = Passes();
  const auto it =
      std::find_if(passes.begin(), passes.end(), [&](const Pass& p) { return p.name == name; });
  return it == passes.end() ? nullptr : &*it;
}

void PassContext::Note(std::string_view pass, const std::string& message) {
  log.push_back(std::string(pass) + ": " + message);
}

void RunPasses(golden::Graph& graph, PassContext& ctx) {
  // Each pass keeps the graph valid (a pass infers what it changes); one full validation at the
  // end checks that, without re-checking every layer's weights after every pass.
  bool changed = false;
  for (const Pass& pass : Passes()) changed = pass.run(graph, ctx) || changed;
  if (changed) graph.Validate();
}

std::vector<const golden::Node*> Consumers(const golden::Graph& graph, const std::string& tensor) {
  std::vector<const golden::Node*> out;
  for (const golden::Node& n : graph.nodes) {
    if (std::find(n.inputs.begin(), n.inputs.end(), tensor) != n.inputs.end()) out.push_back(&n);
  }
  return out;
}

bool IsGraphOutput(const golden::Graph& graph, const std::string& tensor) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), tensor) != graph.outputs.end();
}

int ProducerIndex(const golden::Graph& graph, const std::string& tensor) {
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& outs = graph.nodes[i].outputs;
    if (std::find(outs.begin(), outs.end(), tensor) != outs.end()) return static_cast<int>(i);
  }
  return -1;
}

std::string FreshName(const golden::Graph& graph, const std::string& base) {
  const auto taken = [&](const std::string& name) {
    if (graph.HasTensor(name) || graph.IsConstant(name)) return true;
    return std::any_of(graph.nodes.begin(), graph.nodes.end(),
                       [&](const golden::Node& n) { return n.name == name; });
  };
  std::string name = base;
  for (int i = 1; taken(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

}  // namespace qsa::compiler
