// The quantizer's view of an ONNX graph: producers, readers and initializers by tensor name,
// attribute access, and the edits the quantizer's passes make (BN folding, SmoothQuant, the QDQ
// writer). Private to compiler/quantize*.cc and their tests.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/golden/tensor.h"

namespace qsa::onnx_model {

class OnnxGraph {
 public:
  // Indexes `graph` (kept by reference). Call Reindex() after changing its nodes or
  // initializers.
  explicit OnnxGraph(onnx::GraphProto& graph);
  void Reindex();

  onnx::GraphProto& proto() { return graph_; }
  const onnx::GraphProto& proto() const { return graph_; }
  const onnx::NodeProto& node(int i) const { return graph_.node(i); }
  int node_count() const { return graph_.node_size(); }

  // Index of the node writing `tensor`, or −1 (graph input, initializer, unknown).
  int Producer(const std::string& tensor) const;
  // Indices of the nodes reading `tensor` (each node once), in graph order.
  std::vector<int> Readers(const std::string& tensor) const;
  bool IsGraphOutput(const std::string& tensor) const { return outputs_.count(tensor) != 0; }
  // A graph input that is not an initializer.
  bool IsGraphInput(const std::string& tensor) const { return inputs_.count(tensor) != 0; }

  // The initializer named `tensor`, or nullptr.
  const onnx::TensorProto* Initializer(const std::string& tensor) const;
  bool IsFloatInitializer(const std::string& tensor) const;
  // An initializer's value; throws qsa::Error naming it for element types qsa does not read.
  golden::Tensor Value(const std::string& tensor) const;
  // Adds an initializer, or replaces the one of that name.
  void SetInitializer(const std::string& tensor, const golden::Tensor& value);
  // Removes the initializer (and its graph-input entry, if listed) when no node reads it.
  void RemoveIfUnused(const std::string& tensor);

  // The name under which node `reader` may get a changed value of initializer `tensor`: the
  // tensor itself when only that node reads it, else a new name from tensor + `suffix` (the
  // caller adds the new initializer and points the node at it).
  std::string OwnName(const std::string& tensor, int reader, const std::string& suffix);
  // A tensor / node name used nowhere in the graph yet, from `base` ("w_quantized",
  // "w_quantized_1", ...); reserves it.
  std::string NewName(const std::string& base);
  // How the quantizer names node i: its ONNX name, else its first output's name.
  std::string NodeName(int i) const;

 private:
  onnx::GraphProto& graph_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> readers_;
  std::map<std::string, int> initializers_;
  std::set<std::string> inputs_;
  std::set<std::string> outputs_;
  std::set<std::string> names_;
};

// Multiplies the slices of `tensor` (float32) along dimension `axis` by factors[c], in double,
// rounding each product to float32.
void ScaleChannels(golden::Tensor& tensor, int axis, const std::vector<double>& factors);

// Node attributes (nullopt when absent).
std::optional<std::int64_t> IntAttr(const onnx::NodeProto& node, const std::string& name);
std::optional<float> FloatAttr(const onnx::NodeProto& node, const std::string& name);
void SetIntAttr(onnx::NodeProto& node, const std::string& name, std::int64_t value);

// The default-domain opset a model imports (0 when none).
std::int64_t DefaultOpset(const onnx::ModelProto& model);

// "Conv 'conv1'".
std::string NodeLabel(const OnnxGraph& graph, int i);

}  // namespace qsa::onnx_model
