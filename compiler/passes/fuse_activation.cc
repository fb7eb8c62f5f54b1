// fuse-activation: an integer Clip (ReLU, ReLU6 or any clamp in the quantized domain) after an
// op that requantizes — Conv, MatMul, Add, AveragePool, GlobalAveragePool with a uint8/int8
// output — moves into that op's output clamp:
//   clamp_min' = max(clamp_min, min),  clamp_max' = min(clamp_max, max)
// and the op writes the Clip's output. Every requantization mode clamps a value that is then
// rounded by a monotonic function (or clamps after rounding) to integer bounds, so clamping to
// [a, b] and then to [c, d] equals clamping once to [max(a, c), min(b, d)] when that interval is
// not empty: bit-exact. Applies when the Clip keeps the quantization parameters of its input
// (as an integer Clip must), the op's output feeds the Clip alone and is not a graph output.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "compiler/passes/pass.h"
#include "model/golden/ops/op_util.h"

namespace qsa::compiler {

namespace {

constexpr std::string_view kName = "fuse-activation";

bool CanClamp(const std::string& op) {
  return op == "Conv" || op == "MatMul" || op == "Add" || op == "AveragePool" ||
         op == "GlobalAveragePool";
}

// The Clip's bounds in the quantized domain (the type's range where absent).
std::int64_t ClipBound(const golden::Node& clip, const char* name, std::int64_t fallback) {
  return clip.attrs.Has(name) ? static_cast<std::int64_t>(std::llround(clip.attrs.GetFloat(name)))
                              : fallback;
}

// Why `clip` cannot be fused into `producer` (nullptr: none), "" when it can.
std::string Refusal(const golden::Graph& graph, const golden::Node& clip,
                    const golden::Node* producer) {
  const std::string& x = clip.inputs[0];
  if (producer == nullptr || !CanClamp(producer->op) || producer->outputs.size() != 1) {
    return "its input is not produced by a Conv, MatMul, Add or average pool";
  }
  if (IsGraphOutput(graph, x)) return "its input '" + x + "' is a graph output";
  if (Consumers(graph, x).size() != 1) return "its input '" + x + "' has other consumers";
  if (!(graph.Info(clip.outputs[0]).quant == graph.Info(x).quant)) {
    return "its output's quantization differs from its input's";
  }
  return "";
}

}  // namespace

bool FuseActivation(golden::Graph& graph, PassContext& ctx) {
  bool changed = false;
  for (std::size_t i = 0; i < graph.nodes.size();) {
    const golden::Node& clip = graph.nodes[i];
    if (clip.op != "Clip" || clip.inputs.size() != 1 || clip.outputs.size() != 1 ||
        !golden::IsQuantizedType(graph.Info(clip.inputs[0]).dtype)) {
      ++i;
      continue;
    }
    const int index = ProducerIndex(graph, clip.inputs[0]);
    golden::Node* producer = index < 0 ? nullptr : &graph.nodes[static_cast<std::size_t>(index)];
    std::string why = Refusal(graph, clip, producer);
    std::int64_t lo = 0, hi = 0;
    if (why.empty()) {
      const golden::DType type = graph.Info(clip.inputs[0]).dtype;
      lo = std::max<std::int64_t>(golden::ops::ClampMin(*producer, type),
                                  ClipBound(clip, "min", golden::DTypeMin(type)));
      hi = std::min<std::int64_t>(golden::ops::ClampMax(*producer, type),
                                  ClipBound(clip, "max", golden::DTypeMax(type)));
      if (lo > hi) {
        why = "its range and the clamp of " + producer->Label() + " do not overlap (" +
              std::to_string(lo) + " > " + std::to_string(hi) + ")";
      }
    }
    if (!why.empty()) {
      ctx.Note(kName, clip.Label() + " left alone: " + why);
      ++i;
      continue;
    }
    producer->attrs.Set("clamp_min", lo);
    producer->attrs.Set("clamp_max", hi);
    graph.tensors.erase(producer->outputs[0]);
    producer->outputs[0] = clip.outputs[0];
    ctx.Note(kName, clip.Label() + " fused into " + producer->Label() + " (clamp [" +
                        std::to_string(lo) + ", " + std::to_string(hi) + "])");
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
    changed = true;
  }
  return changed;
}

}  // namespace qsa::compiler
