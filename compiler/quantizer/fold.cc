// Graph preparation for quantization (fold.h); the BatchNormalization fold's arithmetic is
// golden::FoldBatchNorm (model/golden/batchnorm_fold.h).
#include "compiler/quantizer/fold.h"

#include <optional>
#include <set>

#include "compiler/onnx_model/graph.h"
#include "model/base/error.h"
#include "model/golden/batchnorm_fold.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

namespace {

bool IsDefaultDomain(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

// The parameters of a BatchNormalization that can be folded (constant float32, one per channel),
// or nullopt. The tensors back the spans of `params`.
struct BnValues {
  golden::Tensor gamma, beta, mean, var;
  golden::BatchNormParams params;
};

std::optional<BnValues> ReadBatchNorm(const onnx_model::OnnxGraph& g, const onnx::NodeProto& bn) {
  if (bn.input_size() != 5 || bn.output_size() != 1) return std::nullopt;
  if (onnx_model::IntAttr(bn, "training_mode").value_or(0) != 0) return std::nullopt;
  for (int i = 1; i < 5; ++i) {
    if (!g.IsFloatInitializer(bn.input(i))) return std::nullopt;
  }
  BnValues v{
      g.Value(bn.input(1)), g.Value(bn.input(2)), g.Value(bn.input(3)), g.Value(bn.input(4)), {}};
  for (const golden::Tensor* t : {&v.beta, &v.mean, &v.var}) {
    if (t->size() != v.gamma.size()) return std::nullopt;
  }
  v.params.epsilon = onnx_model::FloatAttr(bn, "epsilon").value_or(1e-5f);
  return v;
}

// Where the output channels of a Conv / Gemm lie in its weight: the weight's dimension `axis`.
std::optional<int> ChannelAxis(const onnx::NodeProto& n) {
  if (n.op_type() == "Conv") return 0;
  if (n.op_type() != "Gemm") return std::nullopt;
  if (onnx_model::FloatAttr(n, "alpha").value_or(1.0f) != 1.0f ||
      onnx_model::FloatAttr(n, "beta").value_or(1.0f) != 1.0f ||
      onnx_model::IntAttr(n, "transA").value_or(0) != 0) {
    return std::nullopt;
  }
  return onnx_model::IntAttr(n, "transB").value_or(0) != 0 ? 0 : 1;
}

bool Fold(onnx_model::OnnxGraph& g, int bn_index) {
  const onnx::NodeProto& bn = g.node(bn_index);
  const int p = g.Producer(bn.input(0));
  if (p < 0) return false;
  const onnx::NodeProto& node = g.node(p);
  if (!IsDefaultDomain(node) || node.output_size() != 1 || node.input_size() < 2) return false;
  const std::optional<int> axis = ChannelAxis(node);
  if (!axis || !g.IsFloatInitializer(node.input(1))) return false;
  if (g.Readers(node.output(0)).size() != 1 || g.IsGraphOutput(node.output(0))) return false;
  const bool has_bias = node.input_size() > 2 && !node.input(2).empty();
  if (has_bias && !g.IsFloatInitializer(node.input(2))) return false;
  std::optional<BnValues> bn_values = ReadBatchNorm(g, bn);
  if (!bn_values) return false;
  golden::BatchNormParams& params = bn_values->params;
  params.scale = bn_values->gamma.Data<float>();
  params.offset = bn_values->beta.Data<float>();
  params.mean = bn_values->mean.Data<float>();
  params.var = bn_values->var.Data<float>();

  const golden::Tensor w = g.Value(node.input(1));
  const auto channels = static_cast<std::int64_t>(params.scale.size());
  if (w.rank() <= *axis || w.shape()[static_cast<std::size_t>(*axis)] != channels) return false;
  std::vector<float> bias;
  if (has_bias) {
    const golden::Tensor b = g.Value(node.input(2));
    if (b.size() != channels && b.size() != 1) return false;
    for (std::int64_t c = 0; c < channels; ++c) {
      bias.push_back(b.Data<float>()[static_cast<std::size_t>(b.size() == 1 ? 0 : c)]);
    }
  }
  const golden::FoldedBatchNorm folded = golden::FoldBatchNorm(w, *axis, bias, params);

  const std::string w_name = g.OwnName(node.input(1), p, "_folded");
  const std::string b_name =
      has_bias ? g.OwnName(node.input(2), p, "_folded") : g.NewName(g.NodeName(p) + "_bias");
  g.SetInitializer(w_name, folded.weight);
  g.SetInitializer(b_name, golden::Tensor::FromVector<float>({channels}, folded.bias));
  const std::string old_w = node.input(1);
  const std::string old_b = has_bias ? node.input(2) : "";
  onnx::NodeProto& mutable_node = *g.proto().mutable_node(p);
  mutable_node.set_input(1, w_name);
  if (has_bias) {
    mutable_node.set_input(2, b_name);
  } else {
    while (mutable_node.input_size() < 2) mutable_node.add_input("");
    mutable_node.add_input(b_name);
  }
  mutable_node.set_output(0, bn.output(0));
  const std::vector<std::string> bn_params(bn.input().begin() + 1, bn.input().end());
  g.proto().mutable_node()->erase(g.proto().mutable_node()->begin() + bn_index);
  g.Reindex();
  for (const std::string& t : bn_params) g.RemoveIfUnused(t);
  if (old_w != w_name) g.RemoveIfUnused(old_w);
  if (!old_b.empty() && old_b != b_name) g.RemoveIfUnused(old_b);
  return true;
}

}  // namespace

void NameNodes(onnx::GraphProto& graph) {
  std::set<std::string> names;
  for (const onnx::NodeProto& n : graph.node()) names.insert(n.name());
  for (onnx::NodeProto& n : *graph.mutable_node()) {
    if (!n.name().empty()) continue;
    const std::string base =
        n.output_size() > 0 && !n.output(0).empty() ? n.output(0) : n.op_type();
    std::string name = base;
    for (int k = 1; names.count(name) != 0; ++k) name = base + "_" + std::to_string(k);
    names.insert(name);
    n.set_name(name);
  }
}

void ConstantsToInitializers(onnx::GraphProto& graph) {
  auto* nodes = graph.mutable_node();
  for (auto it = nodes->begin(); it != nodes->end();) {
    const bool constant = IsDefaultDomain(*it) && it->op_type() == "Constant" &&
                          it->output_size() == 1 && it->attribute_size() == 1 &&
                          it->attribute(0).name() == "value" && it->attribute(0).has_t();
    if (!constant) {
      ++it;
      continue;
    }
    onnx::TensorProto* init = graph.add_initializer();
    *init = it->attribute(0).t();
    init->set_name(it->output(0));
    it = nodes->erase(it);
  }
}

std::vector<FoldedBatchNorm> FoldBatchNorms(onnx::ModelProto& model) {
  onnx_model::OnnxGraph g(*model.mutable_graph());
  std::vector<FoldedBatchNorm> folded;
  for (int i = 0; i < g.node_count();) {
    const onnx::NodeProto& n = g.node(i);
    if (IsDefaultDomain(n) && n.op_type() == "BatchNormalization") {
      const std::string bn_name = g.NodeName(i);
      const int producer = g.Producer(n.input(0));
      const std::string into = producer >= 0 ? g.NodeName(producer) : "";
      if (Fold(g, i)) {
        folded.push_back({bn_name, into});
        continue;  // node i is now the one after the removed BN
      }
    }
    ++i;
  }
  return folded;
}

}  // namespace qsa::quantizer
