// float32 host operators (docs/ops-layout-host.md): Sub, Mul, Div, Min, Max, Relu, Round, Cast,
// ReduceMin, ReduceMax. The accelerator does not run them; the golden engine needs them for the
// float subgraphs ONNX models carry (DynamicQuantizeLinear's expansion, scale computations).
//
// Arithmetic is IEEE float32 as the host does it (no fused multiply-add: each result is rounded
// once); binary and variadic ops broadcast as NumPy does; Min, Max, Relu and the reductions
// propagate NaN as NumPy's minimum/maximum do. Cast float → integer truncates toward zero and
// saturates to the target range (NaN → 0); integer → narrower integer keeps the low bits (two's
// complement), as ONNX specifies.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

void ExpectFloat(const Node& node, const TensorInfo& info) {
  if (info.dtype != DType::kFloat32) {
    throw Error(node.Label() + ": input '" + info.name + "' is " +
                std::string(DTypeName(info.dtype)) + "; " + node.op + " runs on float32 only");
  }
}

// Every input present and float32; returns the broadcast shape of all of them.
Shape InferElementwise(const Node& node, const Graph& graph, std::size_t lo, std::size_t hi) {
  if (node.inputs.size() < lo || node.inputs.size() > hi) {
    throw Error(node.Label() + ": expects " +
                (lo == hi ? std::to_string(lo)
                 : hi == std::numeric_limits<std::size_t>::max()
                     ? "at least " + std::to_string(lo)
                     : std::to_string(lo) + " to " + std::to_string(hi)) +
                " inputs, has " + std::to_string(node.inputs.size()));
  }
  ExpectOutputs(node, 1);
  Shape shape;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty()) {
      throw Error(node.Label() + ": input " + std::to_string(i) + " is absent");
    }
    const TensorInfo info = Named(graph, node.inputs[i]);
    ExpectFloat(node, info);
    if (i == 0) {
      shape = info.shape;
      continue;
    }
    try {
      shape = BroadcastShapes(shape, info.shape);
    } catch (const Error& e) {
      throw Error(node.Label() + ": input '" + info.name + "': " + e.what());
    }
  }
  return shape;
}

void InferUnary(const Node& node, Graph& graph) {
  SetOutput(graph, node, 0, DType::kFloat32, InferElementwise(node, graph, 1, 1));
}

void InferBinary(const Node& node, Graph& graph) {
  SetOutput(graph, node, 0, DType::kFloat32, InferElementwise(node, graph, 2, 2));
}

void InferVariadic(const Node& node, Graph& graph) {
  SetOutput(graph, node, 0, DType::kFloat32,
            InferElementwise(node, graph, 1, std::numeric_limits<std::size_t>::max()));
}

// y = f(...f(f(x0, x1), x2)..., xn) element-wise over the broadcast shape.
template <typename F>
std::vector<Tensor> RunFold(const OpContext& ctx, F f) {
  const Shape& shape = ctx.OutInfo(0).shape;
  Tensor y(DType::kFloat32, shape);
  const std::span<float> out = y.Data<float>();
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor& x = ctx.In(i);
    const std::span<const float> in = x.Data<float>();
    const std::vector<std::int64_t> index = BroadcastIndex(x.shape(), shape);
    for (std::size_t k = 0; k < out.size(); ++k) {
      const float v = in[static_cast<std::size_t>(index[k])];
      out[k] = i == 0 ? v : f(out[k], v);
    }
  }
  return {y};
}

template <typename F>
std::vector<Tensor> RunMap(const OpContext& ctx, F f) {
  Tensor y = ctx.In(0);
  for (float& v : y.Data<float>()) v = f(v);
  return {y};
}

// NumPy's minimum / maximum: NaN wins.
float MinOf(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return b < a ? b : a;
}
float MaxOf(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return b > a ? b : a;
}

std::vector<Tensor> RunSub(const OpContext& ctx) {
  return RunFold(ctx, [](float a, float b) { return a - b; });
}
std::vector<Tensor> RunMul(const OpContext& ctx) {
  return RunFold(ctx, [](float a, float b) { return a * b; });
}
std::vector<Tensor> RunDiv(const OpContext& ctx) {
  return RunFold(ctx, [](float a, float b) { return a / b; });
}
std::vector<Tensor> RunMin(const OpContext& ctx) { return RunFold(ctx, MinOf); }
std::vector<Tensor> RunMax(const OpContext& ctx) { return RunFold(ctx, MaxOf); }
std::vector<Tensor> RunRelu(const OpContext& ctx) {
  // NaN stays NaN; −0 becomes +0.
  return RunMap(ctx, [](float v) { return v > 0.0f || std::isnan(v) ? v : 0.0f; });
}
std::vector<Tensor> RunRound(const OpContext& ctx) {
  return RunMap(ctx, [](float v) { return RoundHalfToEven(v); });
}

// ---- ReduceMin / ReduceMax ---------------------------------------------------------------------

// Which dimensions attribute "axes" reduces (default: all); duplicates and out-of-range refused.
std::vector<bool> ReducedAxes(const Node& node, std::size_t rank) {
  std::vector<bool> reduced(rank, !node.attrs.Has("axes"));
  if (!node.attrs.Has("axes")) return reduced;
  const std::vector<std::int64_t> axes = node.attrs.GetInts("axes");
  if (axes.empty()) return std::vector<bool>(rank, true);
  for (std::int64_t attr : axes) {
    const auto r = static_cast<std::int64_t>(rank);
    const std::int64_t a = attr < 0 ? attr + r : attr;
    if (a < 0 || a >= r) {
      throw Error(node.Label() + ": axis " + std::to_string(attr) + " is out of range for rank " +
                  std::to_string(rank));
    }
    if (reduced[static_cast<std::size_t>(a)]) {
      throw Error(node.Label() + ": axes " + ShapeToString(axes) + " name axis " +
                  std::to_string(a) + " twice");
    }
    reduced[static_cast<std::size_t>(a)] = true;
  }
  return reduced;
}

bool KeepDims(const Node& node) {
  const std::int64_t keep = node.attrs.GetInt("keepdims", 1);
  if (keep != 0 && keep != 1) {
    throw Error(node.Label() + ": keepdims must be 0 or 1, got " + std::to_string(keep));
  }
  return keep == 1;
}

// The reduced shape with every reduced dimension kept as 1.
Shape KeptShape(const Shape& in, const std::vector<bool>& reduced) {
  Shape kept = in;
  for (std::size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) kept[d] = 1;
  }
  return kept;
}

void InferReduce(const Node& node, Graph& graph) {
  const Shape in = InferElementwise(node, graph, 1, 1);
  const std::vector<bool> reduced = ReducedAxes(node, in.size());
  Shape out;
  if (KeepDims(node)) {
    out = KeptShape(in, reduced);
  } else {
    for (std::size_t d = 0; d < in.size(); ++d) {
      if (!reduced[d]) out.push_back(in[d]);
    }
  }
  SetOutput(graph, node, 0, DType::kFloat32, out);
}

// Over an empty set the result is the fold's identity (+inf for min, −inf for max), as ONNX says.
template <typename F>
std::vector<Tensor> RunReduce(const OpContext& ctx, float identity, F f) {
  const Tensor& x = ctx.In(0);
  const Shape kept = KeptShape(x.shape(), ReducedAxes(ctx.node, x.shape().size()));
  Tensor y(DType::kFloat32, kept);
  const std::span<float> out = y.Data<float>();
  for (float& v : out) v = identity;
  const std::span<const float> in = x.Data<float>();
  // For each input element, the flat index of the output element it folds into.
  const std::vector<std::int64_t> target = BroadcastIndex(kept, x.shape());
  for (std::size_t k = 0; k < in.size(); ++k) {
    float& acc = out[static_cast<std::size_t>(target[k])];
    acc = f(acc, in[k]);
  }
  return {y.Reshaped(ctx.OutInfo(0).shape)};
}

std::vector<Tensor> RunReduceMin(const OpContext& ctx) {
  return RunReduce(ctx, std::numeric_limits<float>::infinity(), MinOf);
}
std::vector<Tensor> RunReduceMax(const OpContext& ctx) {
  return RunReduce(ctx, -std::numeric_limits<float>::infinity(), MaxOf);
}

// ---- Cast --------------------------------------------------------------------------------------

DType CastTarget(const Node& node) {
  if (!node.attrs.Has("to")) throw Error(node.Label() + ": missing attribute 'to'");
  const std::string& name = node.attrs.GetString("to");
  const std::optional<DType> to = ParseDType(name);
  if (!to) {
    throw Error(node.Label() + ": cannot cast to '" + name +
                "'; the types are uint8, int8, int32 and float32");
  }
  return *to;
}

void InferCast(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const DType to = CastTarget(node);
  SetOutput(graph, node, 0, to, graph.Info(node.inputs[0]).shape);
}

// float → integer: truncate toward zero, saturate, NaN → 0.
std::int64_t FloatToInt(float v, DType to) {
  if (std::isnan(v)) return 0;
  const double t = std::trunc(static_cast<double>(v));
  if (t <= static_cast<double>(DTypeMin(to))) return DTypeMin(to);
  if (t >= static_cast<double>(DTypeMax(to))) return DTypeMax(to);
  return static_cast<std::int64_t>(t);
}

// integer → integer: the low bits, reinterpreted in two's complement.
std::int64_t WrapInt(std::int64_t v, DType to) {
  switch (to) {
    case DType::kUInt8:
      return static_cast<std::uint8_t>(v);
    case DType::kInt8:
      return static_cast<std::int8_t>(static_cast<std::uint8_t>(v));
    case DType::kInt32:
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    case DType::kFloat32:
      break;
  }
  return v;
}

std::vector<Tensor> RunCast(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const DType to = CastTarget(ctx.node);
  if (x.dtype() == to) return {x};
  Tensor y(to, x.shape());
  const std::int64_t n = x.size();
  if (to == DType::kFloat32) {
    const std::span<float> out = y.Data<float>();
    for (std::int64_t i = 0; i < n; ++i) {
      out[static_cast<std::size_t>(i)] = static_cast<float>(x.GetInt(i));
    }
  } else if (x.dtype() == DType::kFloat32) {
    const std::span<const float> in = x.Data<float>();
    for (std::int64_t i = 0; i < n; ++i)
      y.SetInt(i, FloatToInt(in[static_cast<std::size_t>(i)], to));
  } else {
    for (std::int64_t i = 0; i < n; ++i) y.SetInt(i, WrapInt(x.GetInt(i), to));
  }
  return {y};
}

}  // namespace

constexpr std::string_view kCastAttrs[] = {"to", "saturate"};
constexpr std::string_view kReduceAttrs[] = {"axes", "keepdims", "noop_with_empty_axes"};
const OpDef kCast{"Cast", InferCast, RunCast, kCastAttrs};
const OpDef kDiv{"Div", InferBinary, RunDiv};
const OpDef kMax{"Max", InferVariadic, RunMax};
const OpDef kMin{"Min", InferVariadic, RunMin};
const OpDef kMul{"Mul", InferBinary, RunMul};
const OpDef kReduceMax{"ReduceMax", InferReduce, RunReduceMax, kReduceAttrs};
const OpDef kReduceMin{"ReduceMin", InferReduce, RunReduceMin, kReduceAttrs};
const OpDef kRelu{"Relu", InferUnary, RunRelu};
const OpDef kRound{"Round", InferUnary, RunRound};
const OpDef kSub{"Sub", InferBinary, RunSub};

}  // namespace qsa::golden::ops
