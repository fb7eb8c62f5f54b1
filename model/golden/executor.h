// The golden engine: executes a validated Graph node by node with the reference operators.
#pragma once

#include <map>
#include <string>

#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::golden {

struct RunOptions {
  RequantMode mode = RequantMode::kTfliteDouble;
  // Return every tensor computed (for locating the first difference), not only graph outputs.
  bool keep_intermediates = false;
};

// Runs `graph` (already Validate()d) on `inputs`, one per graph input, each of the declared
// dtype and shape. Returns the graph outputs by name (all tensors with keep_intermediates).
// Throws qsa::Error naming the missing, unknown or mismatching input, or the failing node.
std::map<std::string, Tensor> RunGraph(const Graph& graph,
                                       const std::map<std::string, Tensor>& inputs,
                                       const RunOptions& options = {});

}  // namespace qsa::golden
