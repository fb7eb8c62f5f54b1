#include "compiler/passes/pass.h"
namespace qsa::compiler {
bool VerifyGraph(model::Graph& graph, PassContext&) {
  graph.Validate();
  return false;
}
bool FoldConstants(model::Graph&, PassContext&) { return false; }
bool FoldBatchNorm(model::Graph&, PassContext&) { return false; }
bool FuseActivation(model::Graph&, PassContext&) { return false; }
bool CenterWeights(model::Graph&, PassContext&) { return false; }
bool NhwcFlatten(model::Graph&, PassContext&) { return false; }
bool RemoveDeadCode(model::Graph&, PassContext&) { return false; }
}  // namespace qsa::compiler
