#include "compiler/passes/fold_zero_point.h"

#include <limits>

#include "compiler/passes/pass.h"
#include "model/base/error.h"
#include "model/golden/op_registry.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "fold-zero-point";

// Σ_k W[c, k] per output channel c of a Conv [M, C/g, KH, KW] or MatMul B [K, N] ([N, K] with
// transpose_b).
std::vector<std::int64_t> WeightSums(const golden::Graph& graph, const golden::Node& node,
                                     std::int64_t& channels) {
  const golden::Tensor& w = graph.Constant(node.inputs[1]);
  const golden::Shape& s = w.shape();
  std::vector<std::int64_t> sums;
  const auto v = w.Data<std::int8_t>();  // CanFoldZeroPoint: int8 weights
  if (node.op == "Conv") {
    channels = s[0];
    const std::int64_t per = w.size() / channels;
    sums.assign(static_cast<std::size_t>(channels), 0);
    for (std::int64_t c = 0; c < channels; ++c) {
      std::int64_t sum = 0;
      for (std::int64_t i = c * per; i < (c + 1) * per; ++i) sum += v[static_cast<std::size_t>(i)];
      sums[static_cast<std::size_t>(c)] = sum;
    }
    return sums;
  }
  const bool tb = node.attrs.GetInt("transpose_b", 0) == 1;
  const std::int64_t rows = s[s.size() - 2], cols = s[s.size() - 1];
  channels = tb ? rows : cols;
  sums.assign(static_cast<std::size_t>(channels), 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      sums[static_cast<std::size_t>(tb ? r : c)] += v[static_cast<std::size_t>(r * cols + c)];
    }
  }
  return sums;
}

}  // namespace

bool CanFoldZeroPoint(const golden::Graph& graph, const golden::Node& node) {
  if (node.op != "Conv" && node.op != "MatMul") return false;
  if (node.inputs.size() < 2 || node.attrs.GetInt("x_zero_point_folded", 0) == 1) return false;
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  if (!golden::IsQuantizedType(x.dtype) || !graph.IsConstant(node.inputs[1])) return false;
  const golden::TensorInfo& w = graph.Info(node.inputs[1]);
  if (w.dtype != golden::DType::kInt8) return false;
  for (std::int32_t zp : w.quant.zero_points) {
    if (zp != 0) return false;
  }
  if (node.op == "MatMul") {
    if (w.shape.size() < 2) return false;
    for (std::size_t d = 0; d + 2 < w.shape.size(); ++d) {
      if (w.shape[d] != 1) return false;
    }
  }
  return true;
}

std::vector<std::int32_t> AcceleratorBias(const golden::Graph& graph, const golden::Node& node) {
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  const bool folded = node.attrs.GetInt("x_zero_point_folded", 0) == 1;
  if (folded) {
    const golden::Tensor& b = graph.Constant(node.inputs[2]);
    std::vector<std::int32_t> out(static_cast<std::size_t>(b.size()));
    for (std::int64_t c = 0; c < b.size(); ++c) {
      out[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(b.GetInt(c));
    }
    return out;
  }
  std::int64_t channels = 0;
  const std::vector<std::int64_t> sums = WeightSums(graph, node, channels);
  std::vector<std::int32_t> out(static_cast<std::size_t>(channels), 0);
  const golden::TensorInfo& x = graph.Info(node.inputs[0]);
  const std::int64_t zx = x.quant.zero_points.empty() ? 0 : x.quant.zero_points[0];
  for (std::int64_t c = 0; c < channels; ++c) {
    std::int64_t b = has_bias ? graph.Constant(node.inputs[2]).GetInt(c) : 0;
    b -= zx * sums[static_cast<std::size_t>(c)];
    if (b < std::numeric_limits<std::int32_t>::min() ||
        b > std::numeric_limits<std::int32_t>::max()) {
      throw Error(node.Label() + ": the bias of output channel " + std::to_string(c) +
                  " with the input zero point folded in (" + std::to_string(b) +
                  ") does not fit int32");
    }
    out[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(b);
  }
  return out;
}

bool FoldZeroPoint(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  for (golden::Node& node : graph.nodes) {
    if (node.op != "Conv" && node.op != "MatMul") continue;
    if (!CanFoldZeroPoint(graph, node)) {
      if (node.attrs.GetInt("x_zero_point_folded", 0) != 1 &&
          golden::IsQuantizedType(graph.Info(node.inputs[0]).dtype)) {
        ctx.Note(kName,
                 node.Label() + " left alone: it needs constant int8 weights with zero point 0");
      }
      continue;
    }
    std::vector<std::int32_t> bias;
    try {
      bias = AcceleratorBias(graph, node);
    } catch (const Error& e) {
      ctx.Note(kName, std::string(e.what()) + "; left alone");
      continue;
    }
    const std::string name = FreshName(graph, node.name + "_bias_zero_point_folded");
    graph.AddConstant(name, golden::Tensor::FromVector<std::int32_t>(
                                {static_cast<std::int64_t>(bias.size())}, bias));
    const golden::Node before = node;
    if (node.inputs.size() < 3) node.inputs.resize(3);
    node.inputs[2] = name;
    node.attrs.Set("x_zero_point_folded", std::int64_t{1});
    // The folded bias may widen the accumulator bound the op checks; keep the node as it was
    // when the graph no longer validates.
    try {
      golden::FindOp(node.op)->infer(node, graph);
    } catch (const Error& e) {
      node = before;
      graph.constants.erase(name);
      graph.tensors.erase(name);
      ctx.Note(kName, node.Label() + " left alone: " + e.what());
      continue;
    }
    ctx.Note(kName, node.Label() + ": input zero point folded into the bias");
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler
