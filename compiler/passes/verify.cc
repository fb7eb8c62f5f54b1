// verify: the legality check that runs before every other pass. It changes nothing; it throws
// qsa::Error, naming the node or tensor at fault, on a graph the compiler cannot take:
//   - everything Graph::Validate checks: each tensor produced once (by a node, a graph input or
//     a constant) before it is read, so the nodes are in topological order; known ops; every
//     op's dtypes, shapes and attributes; every graph output produced;
//   - the graph has at least one output, and no graph output is listed twice.
#include <set>
#include <string>

#include "compiler/passes/pass.h"
#include "model/base/error.h"

namespace qsa::compiler {

bool VerifyGraph(golden::Graph& graph, PassContext& ctx) {
  // Validate completes tensor infos as it goes; it runs on a copy so that the graph is left
  // exactly as it came.
  golden::Graph copy = graph;
  copy.Validate();
  if (graph.outputs.empty()) throw Error("graph '" + graph.name + "' has no outputs");
  std::set<std::string> seen;
  for (const std::string& out : graph.outputs) {
    if (!seen.insert(out).second) throw Error("graph output '" + out + "' listed twice");
  }
  ctx.Note("verify", "graph '" + graph.name + "': " + std::to_string(graph.nodes.size()) +
                         " nodes, " + std::to_string(graph.tensors.size()) + " tensors");
  return false;
}

}  // namespace qsa::compiler
