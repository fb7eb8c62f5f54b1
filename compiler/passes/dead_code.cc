// dead-code: removes the nodes whose outputs nothing reads (no later node, no graph output),
// then the constants and tensor infos nothing refers to. One backward sweep over the nodes
// (they are in topological order) finds every live node: a node is live when one of its outputs
// is a graph output or an input of a live node. Graph inputs stay, used or not: they are the
// graph's interface.
#include <set>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "dead-code";

}  // namespace

bool RemoveDeadCode(golden::Graph& graph, PassContext& ctx) {
  std::set<std::string> live(graph.outputs.begin(), graph.outputs.end());
  std::vector<bool> keep(graph.nodes.size(), false);
  for (std::size_t i = graph.nodes.size(); i-- > 0;) {
    const golden::Node& node = graph.nodes[i];
    for (const std::string& out : node.outputs) keep[i] = keep[i] || live.count(out) != 0;
    if (!keep[i]) continue;
    for (const std::string& in : node.inputs) {
      if (!in.empty()) live.insert(in);
    }
  }
  bool changed = false;
  std::vector<golden::Node> nodes;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (keep[i]) {
      nodes.push_back(std::move(graph.nodes[i]));
    } else {
      ctx.Note(kName, graph.nodes[i].Label() + " removed: nothing reads its outputs");
      changed = true;
    }
  }
  graph.nodes = std::move(nodes);

  // Every tensor still referred to: graph inputs and outputs, node inputs and outputs.
  std::set<std::string> used(graph.inputs.begin(), graph.inputs.end());
  used.insert(graph.outputs.begin(), graph.outputs.end());
  for (const golden::Node& node : graph.nodes) {
    used.insert(node.inputs.begin(), node.inputs.end());
    used.insert(node.outputs.begin(), node.outputs.end());
  }
  for (auto it = graph.constants.begin(); it != graph.constants.end();) {
    if (used.count(it->first) != 0) {
      ++it;
      continue;
    }
    ctx.Note(kName, "constant '" + it->first + "' removed: nothing reads it");
    it = graph.constants.erase(it);
    changed = true;
  }
  for (auto it = graph.tensors.begin(); it != graph.tensors.end();) {
    if (used.count(it->first) != 0) {
      ++it;
      continue;
    }
    it = graph.tensors.erase(it);
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler
