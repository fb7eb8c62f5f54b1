// fold-batchnorm: a float32 Conv followed by an inference BatchNormalization becomes one Conv,
// with the weights and bias of golden::FoldBatchNorm (model/golden/batchnorm_fold.h: computed in
// double, eps as the float32 the op uses, rounded to float32 once per value). The result is not
// bit-exact: BatchNormalization rounds after every step, the folded Conv rounds W' and b' once;
// the difference is a few float32 ulps of each output.
// Applies when W, b and the four BatchNormalization parameters are constants and the Conv's
// output is read by the BatchNormalization alone (and is not a graph output).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "model/golden/batchnorm_fold.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "fold-batchnorm";

bool IsFloat(const golden::Graph& graph, const std::string& tensor) {
  return !tensor.empty() && graph.Info(tensor).dtype == golden::DType::kFloat32;
}

bool IsFloatConstant(const golden::Graph& graph, const std::string& tensor) {
  return IsFloat(graph, tensor) && graph.IsConstant(tensor);
}

// Why the Conv before `bn` cannot absorb it, "" when it can. `conv` is that Conv (or nullptr).
std::string Refusal(const golden::Graph& graph, const golden::Node& bn, const golden::Node* conv) {
  if (conv == nullptr || conv->op != "Conv") return "its input is not produced by a Conv";
  if (!IsFloat(graph, conv->inputs[0]) || !IsFloat(graph, conv->inputs[1])) {
    return conv->Label() + " is not a float32 Conv";
  }
  if (!graph.IsConstant(conv->inputs[1])) {
    return conv->Label() + " has a weight that is not constant";
  }
  const bool has_bias = conv->inputs.size() > 2 && !conv->inputs[2].empty();
  if (has_bias && !IsFloatConstant(graph, conv->inputs[2])) {
    return conv->Label() + " has a bias that is not a float32 constant";
  }
  const std::string& x = bn.inputs[0];
  if (IsGraphOutput(graph, x)) return "its input '" + x + "' is a graph output";
  if (Consumers(graph, x).size() != 1) return "its input '" + x + "' has other consumers";
  for (std::size_t i = 1; i < bn.inputs.size(); ++i) {
    if (bn.inputs[i] == x) return "its input '" + x + "' is also one of its parameters";
    if (!IsFloatConstant(graph, bn.inputs[i])) {
      return "parameter '" + bn.inputs[i] + "' is not a float32 constant";
    }
  }
  return "";
}

void Fold(golden::Graph& graph, const golden::Node& bn, golden::Node& conv) {
  const golden::Tensor& w = graph.Constant(conv.inputs[1]);
  const std::int64_t channels = w.shape()[0];
  const bool has_bias = conv.inputs.size() > 2 && !conv.inputs[2].empty();
  golden::BatchNormParams params;
  params.scale = graph.Constant(bn.inputs[1]).Data<float>();
  params.offset = graph.Constant(bn.inputs[2]).Data<float>();
  params.mean = graph.Constant(bn.inputs[3]).Data<float>();
  params.var = graph.Constant(bn.inputs[4]).Data<float>();
  params.epsilon = static_cast<double>(static_cast<float>(bn.attrs.GetFloat("epsilon", 1e-5)));
  const std::span<const float> bias =
      has_bias ? graph.Constant(conv.inputs[2]).Data<float>() : std::span<const float>{};
  golden::FoldedBatchNorm folded = golden::FoldBatchNorm(w, 0, bias, params);
  const std::string weight_name = FreshName(graph, conv.name + "_bn_folded_weight");
  graph.AddConstant(weight_name, std::move(folded.weight));
  const std::string bias_name = FreshName(graph, conv.name + "_bn_folded_bias");
  graph.AddConstant(bias_name,
                    golden::Tensor::FromVector<float>({channels}, std::move(folded.bias)));

  graph.tensors.erase(conv.outputs[0]);
  conv.inputs.resize(3);
  conv.inputs[1] = weight_name;
  conv.inputs[2] = bias_name;
  conv.outputs[0] = bn.outputs[0];
}

}  // namespace

bool FoldBatchNorm(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  for (std::size_t i = 0; i < graph.nodes.size();) {
    const golden::Node& bn = graph.nodes[i];
    if (bn.op != "BatchNormalization" || bn.inputs.size() != 5 || bn.outputs.size() != 1) {
      ++i;
      continue;
    }
    const int producer = ProducerIndex(graph, bn.inputs[0]);
    golden::Node* conv = producer < 0 ? nullptr : &graph.nodes[static_cast<std::size_t>(producer)];
    const std::string why = Refusal(graph, bn, conv);
    if (!why.empty()) {
      ctx.Note(kName, bn.Label() + " left alone: " + why);
      ++i;
      continue;
    }
    Fold(graph, bn, *conv);
    ctx.Note(kName, bn.Label() + " folded into " + conv->Label());
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler
