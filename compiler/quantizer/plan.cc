// The quantization plan (quantize_plan.h).
#include "compiler/quantizer/plan.h"

#include <algorithm>
#include <optional>

#include "model/golden/dtype.h"

namespace qsa::quantizer {

namespace {

bool IsDefaultDomain(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

bool Present(const onnx::NodeProto& n, int i) { return i < n.input_size() && !n.input(i).empty(); }

struct Candidate {
  std::optional<LayerPlan> layer;  // set when the node can be quantized
  std::string reason;              // why not, otherwise
};

class Planner {
 public:
  Planner(const onnx_model::OnnxGraph& g, const std::map<std::string, golden::TensorInfo>& infos)
      : g_(g), infos_(infos) {}

  Candidate Examine(int i) const;
  int FusedActivation(const LayerPlan& layer) const;

 private:
  const golden::TensorInfo* Info(const std::string& t) const {
    auto it = infos_.find(t);
    return it == infos_.end() ? nullptr : &it->second;
  }
  // A float32 tensor computed at run time, of one of `ranks` (any when empty).
  bool FloatActivation(const std::string& t, std::initializer_list<std::size_t> ranks = {}) const {
    const golden::TensorInfo* info = Info(t);
    if (info == nullptr || info->dtype != golden::DType::kFloat32 || g_.Initializer(t) != nullptr) {
      return false;
    }
    return ranks.size() == 0 ||
           std::find(ranks.begin(), ranks.end(), info->shape.size()) != ranks.end();
  }
  std::size_t InitializerRank(const std::string& t) const {
    return static_cast<std::size_t>(g_.Initializer(t)->dims_size());
  }
  Candidate Weighted(int i) const;

  const onnx_model::OnnxGraph& g_;
  const std::map<std::string, golden::TensorInfo>& infos_;
};

Candidate Fail(const std::string& reason) { return Candidate{std::nullopt, reason}; }

Candidate Planner::Weighted(int i) const {
  const onnx::NodeProto& n = g_.node(i);
  const std::string& op = n.op_type();
  LayerPlan layer;
  layer.node = i;
  layer.name = g_.NodeName(i);
  layer.op = op;
  layer.kind = LayerKind::kWeighted;
  if (n.input_size() < 2) return Fail("has fewer than 2 inputs");
  const std::string& x = n.input(0);
  const std::string& w = n.input(1);
  if (op == "MatMul" && !g_.Initializer(w)) {
    // A product of two activations.
    if (!FloatActivation(x, {2, 3}) || !FloatActivation(w, {2, 3})) {
      return Fail("its operands are not 2-D or 3-D float activations");
    }
    layer.kind = LayerKind::kCompute;
    layer.inputs = {x, w};
    return Candidate{layer, ""};
  }
  if (!g_.IsFloatInitializer(w)) return Fail("its weight '" + w + "' is not a float constant");
  const std::size_t rank = InitializerRank(w);
  layer.weight = w;
  layer.inputs = {x};
  if (op == "Conv") {
    if (rank != 4) return Fail("only 2-D convolutions are quantized");
    if (!FloatActivation(x, {4})) return Fail("its input is not a 4-D float activation");
    layer.weight_axis = 0;
    layer.weight_in_axis = 1;
  } else if (op == "Gemm") {
    if (onnx_model::FloatAttr(n, "alpha").value_or(1.0f) != 1.0f ||
        onnx_model::FloatAttr(n, "beta").value_or(1.0f) != 1.0f) {
      return Fail("alpha and beta must be 1 to be quantized");
    }
    if (onnx_model::IntAttr(n, "transA").value_or(0) != 0)
      return Fail("transA = 1 is not quantized");
    if (rank != 2 || !FloatActivation(x, {2})) return Fail("its operands are not matrices");
    const bool trans_b = onnx_model::IntAttr(n, "transB").value_or(0) != 0;
    layer.weight_axis = trans_b ? 0 : 1;
    layer.weight_in_axis = trans_b ? 1 : 0;
  } else {  // MatMul
    if (rank != 2 || !FloatActivation(x, {2, 3})) {
      return Fail("only a 2-D or 3-D input times a constant matrix is quantized");
    }
    layer.weight_axis = 1;
    layer.weight_in_axis = 0;
  }
  layer.channels = g_.Initializer(w)->dims(layer.weight_axis);
  if (op != "MatMul" && Present(n, 2)) {
    const std::string& b = n.input(2);
    if (!g_.IsFloatInitializer(b)) return Fail("its bias '" + b + "' is not a float constant");
    std::int64_t count = 1;
    for (std::int64_t d : g_.Initializer(b)->dims()) count *= d;
    if (count != 1 && count != layer.channels) {
      return Fail("its bias does not have one value per output channel");
    }
    layer.bias = b;
  }
  return Candidate{layer, ""};
}

Candidate Planner::Examine(int i) const {
  const onnx::NodeProto& n = g_.node(i);
  const std::string& op = n.op_type();
  if (!IsDefaultDomain(n)) return Fail("is not a default-domain op the quantizer handles");
  if (n.output_size() < 1 || n.output(0).empty()) return Fail("has no output");
  if (op == "Conv" || op == "Gemm" || op == "MatMul") return Weighted(i);
  LayerPlan layer;
  layer.node = i;
  layer.name = g_.NodeName(i);
  layer.op = op;
  if (op == "Add") {
    if (n.input_size() != 2) return Fail("does not have 2 inputs");
    int constants = 0;
    for (const std::string& t : n.input()) {
      if (g_.IsFloatInitializer(t)) {
        ++constants;
      } else if (!FloatActivation(t)) {
        return Fail("an operand is not float");
      }
    }
    if (constants > 1) return Fail("both operands are constants");
    layer.inputs = {n.input(0), n.input(1)};
  } else if (op == "AveragePool" || op == "GlobalAveragePool") {
    if (!FloatActivation(n.input(0), {4})) return Fail("its input is not a 4-D float activation");
    layer.inputs = {n.input(0)};
  } else if (op == "MaxPool" || op == "Reshape" || op == "Flatten" || op == "Transpose" ||
             op == "Identity") {
    if (n.input_size() < 1 || !FloatActivation(n.input(0))) return Fail("its input is not float");
    if (op == "MaxPool" && n.output_size() > 1 && !n.output(1).empty()) {
      return Fail("MaxPool with an Indices output is not quantized");
    }
    if (op == "Reshape" && (n.input_size() < 2 || !g_.Initializer(n.input(1)))) {
      return Fail("its shape is not a constant");
    }
    layer.kind = LayerKind::kMove;
    layer.inputs = {n.input(0)};
  } else if (op == "Concat") {
    for (const std::string& t : n.input()) {
      if (!FloatActivation(t)) return Fail("an input is not a float activation");
    }
    layer.kind = LayerKind::kConcat;
    layer.inputs.assign(n.input().begin(), n.input().end());
  } else {
    return Fail("is not an op the quantizer handles");
  }
  layer.output = n.output(0);
  return Candidate{layer, ""};
}

// The Relu or Clip (constant bounds) that alone reads the layer's output, or −1.
int Planner::FusedActivation(const LayerPlan& layer) const {
  const std::string& out = g_.node(layer.node).output(0);
  const std::vector<int> readers = g_.Readers(out);
  if (readers.size() != 1 || g_.IsGraphOutput(out)) return -1;
  const onnx::NodeProto& a = g_.node(readers[0]);
  if (!IsDefaultDomain(a) || a.output_size() != 1 || a.input(0) != out) return -1;
  if (a.op_type() == "Relu") return a.input_size() == 1 ? readers[0] : -1;
  if (a.op_type() != "Clip") return -1;
  for (int k = 1; k < a.input_size(); ++k) {
    if (!a.input(k).empty() && !g_.IsFloatInitializer(a.input(k))) return -1;
  }
  return readers[0];
}

}  // namespace

const LayerPlan* QuantPlan::Find(const std::string& name) const {
  for (const LayerPlan& l : layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

const LayerPlan* QuantPlan::Writer(const std::string& tensor) const {
  for (const LayerPlan& l : layers) {
    if (l.output == tensor) return &l;
  }
  return nullptr;
}

QuantPlan PlanQuantization(const onnx_model::OnnxGraph& graph,
                           const std::map<std::string, golden::TensorInfo>& infos,
                           const std::function<bool(const std::string&)>& include) {
  Planner planner(graph, infos);
  QuantPlan plan;
  std::set<std::string> quantized;
  std::set<int> fused;
  std::map<int, LayerPlan> moves;  // move ops and Concats, decided in the second pass
  std::map<int, LayerPlan> layers;

  // Pass 1: the compute layers (and their fused activations) fix their inputs and outputs.
  for (int i = 0; i < graph.node_count(); ++i) {
    const onnx::NodeProto& n = graph.node(i);
    if (fused.count(i) != 0 || (IsDefaultDomain(n) && n.op_type() == "Constant")) continue;
    Candidate c = planner.Examine(i);
    if (!c.layer) {
      plan.host.push_back({graph.NodeName(i), n.op_type(), c.reason});
      continue;
    }
    LayerPlan& layer = *c.layer;
    if (layer.kind == LayerKind::kMove || layer.kind == LayerKind::kConcat) {
      moves.emplace(i, layer);
      continue;
    }
    if (include && !include(layer.name)) continue;
    layer.activation = planner.FusedActivation(layer);
    layer.output = graph.node(layer.activation >= 0 ? layer.activation : i).output(0);
    if (layer.activation >= 0) fused.insert(layer.activation);
    for (const std::string& t : layer.inputs) {
      (graph.Initializer(t) ? plan.constants : quantized).insert(t);
    }
    quantized.insert(layer.output);
    layers.emplace(i, std::move(layer));
  }

  // Pass 2, in graph order: a move op or Concat is quantized when its inputs are.
  for (auto& [i, layer] : moves) {
    const bool inputs_quantized =
        std::all_of(layer.inputs.begin(), layer.inputs.end(),
                    [&](const std::string& t) { return quantized.count(t) != 0; });
    if (!inputs_quantized) {
      plan.host.push_back({layer.name, layer.op, "its input is not quantized"});
      continue;
    }
    quantized.insert(layer.output);
    if (layer.kind == LayerKind::kMove) {
      auto root = plan.same_as.find(layer.inputs[0]);
      plan.same_as[layer.output] = root == plan.same_as.end() ? layer.inputs[0] : root->second;
    }
    layers.emplace(i, std::move(layer));
  }
  for (auto& [i, layer] : layers) plan.layers.push_back(std::move(layer));

  // Host nodes in graph order; a fused activation is part of its layer.
  std::map<std::string, int> order;
  for (int i = 0; i < graph.node_count(); ++i) order[graph.NodeName(i)] = i;
  plan.host.erase(std::remove_if(plan.host.begin(), plan.host.end(),
                                 [&](const HostNode& h) { return fused.count(order[h.name]); }),
                  plan.host.end());
  std::sort(plan.host.begin(), plan.host.end(),
            [&](const HostNode& a, const HostNode& b) { return order[a.name] < order[b.name]; });

  // The tensors in graph order: graph inputs, then node outputs.
  for (const onnx::ValueInfoProto& input : graph.proto().input()) {
    if (quantized.count(input.name()) != 0) plan.tensors.push_back(input.name());
  }
  for (int i = 0; i < graph.node_count(); ++i) {
    for (const std::string& out : graph.node(i).output()) {
      if (quantized.count(out) != 0) plan.tensors.push_back(out);
    }
  }
  return plan;
}

}  // namespace qsa::quantizer
