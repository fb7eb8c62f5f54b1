// The quantizer's ONNX graph view (quantize_graph.h).
#include "compiler/onnx_model/graph.h"

#include <algorithm>

#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"

namespace qsa::onnx_model {

OnnxGraph::OnnxGraph(onnx::GraphProto& graph) : graph_(graph) { Reindex(); }

void OnnxGraph::Reindex() {
  producer_.clear();
  readers_.clear();
  initializers_.clear();
  inputs_.clear();
  outputs_.clear();
  for (int i = 0; i < graph_.initializer_size(); ++i) {
    initializers_[graph_.initializer(i).name()] = i;
    names_.insert(graph_.initializer(i).name());
  }
  for (const onnx::ValueInfoProto& input : graph_.input()) {
    names_.insert(input.name());
    if (initializers_.count(input.name()) == 0) inputs_.insert(input.name());
  }
  for (const onnx::ValueInfoProto& output : graph_.output()) {
    names_.insert(output.name());
    outputs_.insert(output.name());
  }
  for (int i = 0; i < graph_.node_size(); ++i) {
    const onnx::NodeProto& n = graph_.node(i);
    names_.insert(n.name());
    for (const std::string& out : n.output()) {
      names_.insert(out);
      if (!out.empty()) producer_[out] = i;
    }
    for (const std::string& in : n.input()) {
      if (in.empty()) continue;
      std::vector<int>& readers = readers_[in];
      if (readers.empty() || readers.back() != i) readers.push_back(i);
    }
  }
}

int OnnxGraph::Producer(const std::string& tensor) const {
  auto it = producer_.find(tensor);
  return it == producer_.end() ? -1 : it->second;
}

std::vector<int> OnnxGraph::Readers(const std::string& tensor) const {
  auto it = readers_.find(tensor);
  return it == readers_.end() ? std::vector<int>{} : it->second;
}

const onnx::TensorProto* OnnxGraph::Initializer(const std::string& tensor) const {
  auto it = initializers_.find(tensor);
  return it == initializers_.end() ? nullptr : &graph_.initializer(it->second);
}

bool OnnxGraph::IsFloatInitializer(const std::string& tensor) const {
  const onnx::TensorProto* p = Initializer(tensor);
  return p != nullptr && p->data_type() == onnx::TensorProto::FLOAT;
}

golden::Tensor OnnxGraph::Value(const std::string& tensor) const {
  const onnx::TensorProto* p = Initializer(tensor);
  if (p == nullptr) throw Error("'" + tensor + "' is not an initializer");
  return TensorFromProto(*p);
}

void OnnxGraph::SetInitializer(const std::string& tensor, const golden::Tensor& value) {
  names_.insert(tensor);
  if (auto it = initializers_.find(tensor); it != initializers_.end()) {
    *graph_.mutable_initializer(it->second) = TensorToProto(tensor, value);
    return;
  }
  *graph_.add_initializer() = TensorToProto(tensor, value);
  initializers_[tensor] = graph_.initializer_size() - 1;
}

void OnnxGraph::RemoveIfUnused(const std::string& tensor) {
  for (const onnx::NodeProto& n : graph_.node()) {
    if (std::find(n.input().begin(), n.input().end(), tensor) != n.input().end()) return;
  }
  if (IsGraphOutput(tensor)) return;
  auto* inits = graph_.mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) { return t.name() == tensor; }),
               inits->end());
  auto* inputs = graph_.mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto& v) { return v.name() == tensor; }),
                inputs->end());
  Reindex();
}

std::string OnnxGraph::OwnName(const std::string& tensor, int reader, const std::string& suffix) {
  const std::vector<int> readers = Readers(tensor);
  const bool own = readers.size() == 1 && readers[0] == reader && !IsGraphOutput(tensor);
  return own ? tensor : NewName(tensor + suffix);
}

std::string OnnxGraph::NewName(const std::string& base) {
  std::string name = base;
  for (int k = 1; names_.count(name) != 0; ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

std::string OnnxGraph::NodeName(int i) const {
  const onnx::NodeProto& n = graph_.node(i);
  if (!n.name().empty()) return n.name();
  return n.output_size() > 0 ? n.output(0) : n.op_type();
}

void ScaleChannels(golden::Tensor& tensor, int axis, const std::vector<double>& factors) {
  const golden::Shape& shape = tensor.shape();
  const auto channels = static_cast<std::int64_t>(factors.size());
  if (axis < 0 || axis >= tensor.rank() || shape[static_cast<std::size_t>(axis)] != channels) {
    throw Error("cannot scale dimension " + std::to_string(axis) + " of " + tensor.Describe() +
                " by " + std::to_string(channels) + " factors");
  }
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  std::span<float> v = tensor.Data<float>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % channels);
    v[i] = static_cast<float>(static_cast<double>(v[i]) * factors[c]);
  }
}

std::optional<std::int64_t> IntAttr(const onnx::NodeProto& node, const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == name && a.type() == onnx::AttributeProto::INT) return a.i();
  }
  return std::nullopt;
}

std::optional<float> FloatAttr(const onnx::NodeProto& node, const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == name && a.type() == onnx::AttributeProto::FLOAT) return a.f();
  }
  return std::nullopt;
}

void SetIntAttr(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  for (onnx::AttributeProto& a : *node.mutable_attribute()) {
    if (a.name() == name) {
      a.set_type(onnx::AttributeProto::INT);
      a.set_i(value);
      return;
    }
  }
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

std::int64_t DefaultOpset(const onnx::ModelProto& model) {
  for (const onnx::OperatorSetIdProto& set : model.opset_import()) {
    if (set.domain().empty() || set.domain() == "ai.onnx") return set.version();
  }
  return 0;
}

std::string NodeLabel(const OnnxGraph& graph, int i) {
  return graph.node(i).op_type() + " '" + graph.NodeName(i) + "'";
}

}  // namespace qsa::onnx_model
