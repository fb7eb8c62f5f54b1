// Graph passes: graph IR in, graph IR out, each in its own file and all listed, in the order they
// run, in registry.cc (docs/compiler.md, "Passes"). Every pass keeps the graph's meaning: the
// golden model gives the same outputs before and after (bit for bit, except that BatchNorm
// folding rounds float weights once instead of per operation); a pass that does not apply to a
// node leaves it alone and says why in the log.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/golden/graph.h"

namespace qsa::compiler {

struct PassContext {
  // One line per change or refusal: "fuse-activation: Clip 'relu1' fused into Conv 'conv1'".
  std::vector<std::string> log;
  void Note(std::string_view pass, const std::string& message);
};

struct Pass {
  std::string_view name;
  std::string_view summary;
  // Returns true when the graph changed. Throws qsa::Error naming the node on a graph the
  // compiler cannot take (the verifier).
  bool (*run)(golden::Graph& graph, PassContext& ctx);
};

// Every pass, in the order RunPasses applies them; the verifier first.
const std::vector<Pass>& Passes();
const Pass* FindPass(std::string_view name);
// Runs every pass in order, then Validate()s the graph when one changed it.
void RunPasses(golden::Graph& graph, PassContext& ctx);

// The passes (one file each).
bool VerifyGraph(golden::Graph& graph, PassContext& ctx);
bool FoldConstants(golden::Graph& graph, PassContext& ctx);
bool FoldBatchNorm(golden::Graph& graph, PassContext& ctx);
bool FuseActivation(golden::Graph& graph, PassContext& ctx);
bool CenterWeights(golden::Graph& graph, PassContext& ctx);
bool NhwcFlatten(golden::Graph& graph, PassContext& ctx);
bool FoldZeroPoint(golden::Graph& graph, PassContext& ctx);
bool RemoveDeadCode(golden::Graph& graph, PassContext& ctx);

// Helpers the passes share: the nodes reading each tensor, and whether a tensor is a graph output.
std::vector<const golden::Node*> Consumers(const golden::Graph& graph, const std::string& tensor);
bool IsGraphOutput(const golden::Graph& graph, const std::string& tensor);
// Index of the node producing `tensor`, -1 when none does.
int ProducerIndex(const golden::Graph& graph, const std::string& tensor);
// `base` when no tensor or node of the graph has that name yet, else `base` followed by "_1",
// "_2", ... — the first that is free.
std::string FreshName(const golden::Graph& graph, const std::string& base);

}  // namespace qsa::compiler
