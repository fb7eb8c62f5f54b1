// Operator definitions: how each op of the graph IR is checked (Infer) and executed (Run) by the
// golden model. All ops are listed in one sorted table in model/golden/ops/registry.cc;
// docs/adding-an-op.md explains how to add one.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::golden {

struct OpContext {
  const Node& node;
  const Graph& graph;
  RequantMode mode;
  // One entry per node input; nullptr for an absent optional input.
  std::vector<const Tensor*> inputs;

  const Tensor& In(std::size_t i) const;  // throws when input i is absent
  bool HasIn(std::size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const TensorInfo& InInfo(std::size_t i) const { return graph.Info(node.inputs[i]); }
  const TensorInfo& OutInfo(std::size_t i) const { return graph.Info(node.outputs[i]); }
};

struct OpDef {
  std::string_view name;
  // Checks input count, dtypes, shapes and attributes; creates or checks the TensorInfo of every
  // output (graph.tensors[node.outputs[i]]), leaving quantization parameters already given in
  // place. Throws qsa::Error that starts with node.Label().
  void (*infer)(const Node& node, Graph& graph);
  // Computes the outputs from the inputs; shapes and dtypes are those Infer established.
  std::vector<Tensor> (*run)(const OpContext& ctx);
  // The attributes a node of this op may carry; the JSON IR reader refuses any other (the
  // ONNX and TFLite importers produce only these).
  std::span<const std::string_view> attributes = {};
};

// nullptr when no op has that name.
const OpDef* FindOp(std::string_view name);
// All ops, sorted by name.
const std::vector<const OpDef*>& AllOps();

}  // namespace qsa::golden
