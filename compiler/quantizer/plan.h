// Which nodes of a float ONNX graph the quantizer quantizes and which tensors get a
// QuantizeLinear/DequantizeLinear pair: the QDQ patterns qsa's importer turns into integer ops
// (docs/onnx-import.md). Everything else stays float and runs on the host.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/onnx_model/graph.h"
#include "model/golden/graph.h"

namespace qsa::quantizer {

enum class LayerKind {
  kWeighted,  // Conv, Gemm, MatMul with a constant float weight: int8/int4 weights, int32 bias
  kCompute,   // Add, AveragePool, GlobalAveragePool, MatMul of two activations: requantizes
  kMove,      // MaxPool, Reshape, Flatten, Transpose, Identity: output keeps the input's params
  kConcat,    // Concat of quantized inputs
};

struct LayerPlan {
  int node = 0;
  std::string name;
  std::string op;
  LayerKind kind = LayerKind::kCompute;
  // Activation operands read through a DequantizeLinear, in input order. A constant float operand
  // (an Add's addend) is quantized like an activation, from its own values.
  std::vector<std::string> inputs;
  std::string weight;         // kWeighted: the float weight initializer
  int weight_axis = -1;       // kWeighted: the weight dimension of the output channels
  int weight_in_axis = -1;    // kWeighted: the weight dimension of the input channels
  std::string bias;           // kWeighted: the float bias initializer, "" when none
  std::int64_t channels = 0;  // kWeighted: output channels
  int activation = -1;        // a Relu / Clip fused after the node, −1 when none
  std::string output;         // the quantized output tensor (the activation's output when fused)
};

// A node that stays float, and why.
struct HostNode {
  std::string name;
  std::string op;
  std::string reason;
};

struct QuantPlan {
  std::vector<LayerPlan> layers;  // in graph order
  // Activation tensors computed at run time that get a QuantizeLinear/DequantizeLinear pair, in
  // graph order (graph inputs first).
  std::vector<std::string> tensors;
  std::set<std::string> constants;  // constant operands quantized like activations
  // A move op's output → the tensor whose parameters it takes (resolved to the first tensor of a
  // chain of move ops).
  std::map<std::string, std::string> same_as;
  std::vector<HostNode> host;

  const LayerPlan* Find(const std::string& name) const;
  // The layer that writes `tensor` as its quantized output, or nullptr.
  const LayerPlan* Writer(const std::string& tensor) const;
};

// Decides over the graph. `infos` gives every tensor's dtype and shape (the float graph as qsa
// imported it). `include`, when given, picks the Conv/Gemm/MatMul/Add/pool nodes to quantize by
// name (the others stay float and are not listed as host nodes); move ops and Concat are
// quantized when their inputs are.
QuantPlan PlanQuantization(const onnx_model::OnnxGraph& graph,
                           const std::map<std::string, golden::TensorInfo>& infos,
                           const std::function<bool(const std::string&)>& include = {});

}  // namespace qsa::quantizer
