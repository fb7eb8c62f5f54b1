// center-weights: the constant weight of an integer Conv (W, per tensor or per axis 0) or MatMul
// (B, per tensor or per its N axis) that is uint8, or int8 with a nonzero zero point, becomes
// the int8 constant w − zw with zero point 0 (same scales, same axis), when every w − zw fits
// int8. The ops compute with w − zw anyway (model/golden/ops/conv.cc, matmul.cc), so the
// accumulator, its bound and the requantization are unchanged: bit-exact. The accelerator
// multiplies int8 weights without a zero point. The old constant stays for the dead-code pass
// (another node may read it).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "model/golden/tensor.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "center-weights";

// The zero point of every element of `w` (0, 1 or one zero point per index of the quantized
// axis).
std::vector<std::int64_t> ElementZeroPoints(const golden::Tensor& w, const golden::QuantParams& q) {
  std::vector<std::int64_t> zps(static_cast<std::size_t>(w.size()), 0);
  if (q.zero_points.empty()) return zps;
  const bool per_axis = q.per_axis() && q.zero_points.size() > 1;
  const std::int64_t stride =
      per_axis ? golden::Strides(w.shape())[static_cast<std::size_t>(q.axis)] : 1;
  const std::int64_t dim = per_axis ? w.shape()[static_cast<std::size_t>(q.axis)] : 1;
  for (std::int64_t i = 0; i < w.size(); ++i) {
    const std::int64_t channel = per_axis ? (i / stride) % dim : 0;
    zps[static_cast<std::size_t>(i)] = q.zero_points[static_cast<std::size_t>(channel)];
  }
  return zps;
}

bool NeedsCentering(const golden::TensorInfo& w) {
  if (w.dtype == golden::DType::kUInt8) return true;
  if (w.dtype != golden::DType::kInt8) return false;
  for (std::int32_t zp : w.quant.zero_points) {
    if (zp != 0) return true;
  }
  return false;
}

}  // namespace

bool CenterWeights(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  std::map<std::string, std::string> centered_names;  // weight → its centered copy
  for (golden::Node& node : graph.nodes) {
    if ((node.op != "Conv" && node.op != "MatMul") || node.inputs.size() < 2) continue;
    if (!golden::IsQuantizedType(graph.Info(node.inputs[0]).dtype)) continue;
    const golden::TensorInfo& info = graph.Info(node.inputs[1]);
    if (!NeedsCentering(info)) continue;
    if (!graph.IsConstant(node.inputs[1])) {
      ctx.Note(kName, node.Label() + " left alone: its weight '" + node.inputs[1] +
                          "' has a zero point but is not constant");
      continue;
    }
    if (auto done = centered_names.find(node.inputs[1]); done != centered_names.end()) {
      ctx.Note(kName, node.Label() + ": weight '" + node.inputs[1] + "' centered into int8 '" +
                          done->second + "'");
      node.inputs[1] = done->second;
      changed = true;
      continue;
    }
    const golden::Tensor& w = graph.Constant(node.inputs[1]);
    const std::vector<std::int64_t> zps = ElementZeroPoints(w, info.quant);
    std::vector<std::int8_t> centered(static_cast<std::size_t>(w.size()));
    std::string why;
    for (std::int64_t i = 0; i < w.size() && why.empty(); ++i) {
      const std::int64_t zp = zps[static_cast<std::size_t>(i)];
      const std::int64_t v = w.GetInt(i) - zp;
      if (v < -128 || v > 127) {
        why = "weight value " + std::to_string(w.GetInt(i)) + " minus its zero point " +
              std::to_string(zp) + " is " + std::to_string(v) + ", outside int8";
      }
      centered[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(v);
    }
    if (!why.empty()) {
      ctx.Note(kName, node.Label() + " left alone: " + why);
      continue;
    }
    golden::QuantParams quant = info.quant;
    quant.zero_points.assign(quant.zero_points.size(), 0);
    const std::string name = FreshName(graph, node.inputs[1] + "_centered");
    graph.AddConstant(name, golden::Tensor::FromVector(w.shape(), std::move(centered)),
                      std::move(quant));
    ctx.Note(kName,
             node.Label() + ": weight '" + node.inputs[1] + "' centered into int8 '" + name + "'");
    centered_names[node.inputs[1]] = name;
    node.inputs[1] = name;
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler
