// Between real and quantized values (docs/ops-layout-host.md): QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear.
//
// Integer contract (model/golden/quant.h):
//   QuantizeLinear    q = saturate_T(round_half_to_even(x / s) + z), the division in float32;
//   DequantizeLinear  x = (float(q) − float(z)) · s in float32;
// with s, z per tensor or per index of one axis. The parameters come either from the graph (the
// quantized tensor's TensorInfo.quant: the "static" form, one input) or from the scale and zero
// point inputs, read when the node runs (the "dynamic" form, as ONNX writes them).
// DynamicQuantizeLinear derives uint8 parameters from the data's range, as ONNX's reference does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

std::string FloatText(double v) {
  std::ostringstream s;
  s.precision(std::numeric_limits<float>::max_digits10);
  s << v;
  return s.str();
}

std::string TypeName(DType dtype) { return std::string(DTypeName(dtype)); }

void CheckScale(const Node& node, const std::string& tensor, double scale) {
  if (!std::isfinite(scale) || scale <= 0.0) {
    throw Error(node.Label() + ": scale " + FloatText(scale) + " of '" + tensor +
                "' is not a positive finite number");
  }
}

void CheckZeroPoint(const Node& node, const std::string& tensor, std::int64_t zero_point,
                    DType dtype) {
  if (zero_point < DTypeMin(dtype) || zero_point > DTypeMax(dtype)) {
    throw Error(node.Label() + ": zero point " + std::to_string(zero_point) + " of '" + tensor +
                "' is outside " + TypeName(dtype));
  }
}

// Checks the graph-given parameters of `info` (the quantized side of a static Q or DQ).
void CheckStaticParams(const Node& node, const TensorInfo& info, DType dtype) {
  const QuantParams& q = info.quant;
  if (q.empty()) {
    throw Error(node.Label() + ": tensor '" + info.name +
                "' has no quantization parameters; give them in the graph or pass scale and "
                "zero point inputs");
  }
  std::size_t channels = 1;
  if (q.per_axis()) {
    if (static_cast<std::size_t>(q.axis) >= info.shape.size()) {
      throw Error(node.Label() + ": quantization axis " + std::to_string(q.axis) + " of '" +
                  info.name + "' is out of range for shape " + ShapeToString(info.shape));
    }
    channels = static_cast<std::size_t>(info.shape[static_cast<std::size_t>(q.axis)]);
  }
  // No zero points: all zero.
  if (q.scales.size() != channels || (!q.zero_points.empty() && q.zero_points.size() != channels)) {
    throw Error(node.Label() + ": tensor '" + info.name + "' has " +
                std::to_string(q.scales.size()) + " scales and " +
                std::to_string(q.zero_points.size()) + " zero points; expected " +
                std::to_string(channels) + " of each");
  }
  for (float s : q.scales) CheckScale(node, info.name, s);
  for (std::int32_t z : q.zero_points) CheckZeroPoint(node, info.name, z, dtype);
}

// The quantized dtype of QuantizeLinear's output: the zero point's dtype (dynamic form), else
// attribute output_dtype, else the declared output's, else uint8.
DType QuantizedOutputType(const Node& node, const Graph& graph) {
  std::optional<DType> from_attr;
  if (node.attrs.Has("output_dtype")) {
    const std::string& name = node.attrs.GetString("output_dtype");
    from_attr = ParseDType(name);
    if (!from_attr) throw Error(node.Label() + ": unknown output_dtype '" + name + "'");
  }
  DType dtype = DType::kUInt8;
  if (HasInput(node, 2)) {
    dtype = graph.Info(node.inputs[2]).dtype;
    if (from_attr && *from_attr != dtype) {
      throw Error(node.Label() + ": output_dtype " + TypeName(*from_attr) +
                  " disagrees with the zero point's type " + TypeName(dtype));
    }
  } else if (from_attr) {
    dtype = *from_attr;
  } else if (graph.HasTensor(node.outputs[0])) {
    dtype = graph.Info(node.outputs[0]).dtype;
  }
  if (!IsInteger(dtype)) {
    throw Error(node.Label() + ": cannot quantize to " + TypeName(dtype) +
                "; the output must be uint8, int8 or int32");
  }
  return dtype;
}

// Checks the scale (input 1) and zero point (input 2, optional) of a dynamic Q or DQ whose
// quantized side has type `qtype` and shape `shape`. Returns the per-axis axis, or -1.
int CheckDynamicParamInputs(const Node& node, const Graph& graph, DType qtype, const Shape& shape) {
  const TensorInfo scale = Named(graph, node.inputs[1]);
  if (scale.dtype != DType::kFloat32) {
    throw Error(node.Label() + ": scale '" + scale.name + "' is " + TypeName(scale.dtype) +
                ", expected float32");
  }
  if (scale.shape.size() > 1) {
    throw Error(node.Label() + ": scale '" + scale.name + "' has shape " +
                ShapeToString(scale.shape) + "; expected a scalar or a 1-D tensor");
  }
  int axis = -1;
  const std::int64_t count = NumElements(scale.shape);
  if (scale.shape.size() == 1 && count != 1) {
    const auto rank = static_cast<std::int64_t>(shape.size());
    const std::int64_t attr = node.attrs.GetInt("axis", 1);
    const std::int64_t a = attr < 0 ? attr + rank : attr;
    if (a < 0 || a >= rank) {
      throw Error(node.Label() + ": axis " + std::to_string(attr) + " is out of range for rank " +
                  std::to_string(rank));
    }
    if (shape[static_cast<std::size_t>(a)] != count) {
      throw Error(node.Label() + ": scale '" + scale.name + "' has " + std::to_string(count) +
                  " entries but axis " + std::to_string(a) + " of " + ShapeToString(shape) +
                  " has " + std::to_string(shape[static_cast<std::size_t>(a)]));
    }
    axis = static_cast<int>(a);
  }
  if (HasInput(node, 2)) {
    const TensorInfo zp = Named(graph, node.inputs[2]);
    if (zp.dtype != qtype) {
      throw Error(node.Label() + ": zero point '" + zp.name + "' is " + TypeName(zp.dtype) +
                  ", expected " + TypeName(qtype));
    }
    if (zp.shape.size() > 1 || NumElements(zp.shape) != count) {
      throw Error(node.Label() + ": zero point '" + zp.name + "' has shape " +
                  ShapeToString(zp.shape) + " but scale '" + scale.name + "' has shape " +
                  ShapeToString(scale.shape));
    }
  }
  return axis;
}

// QuantParams from scale and zero-point values (zero_point may be null: all zero). Checks them.
QuantParams ParamsFromValues(const Node& node, const Tensor& scale, const Tensor* zero_point,
                             DType qtype, int axis) {
  QuantParams q;
  q.axis = axis;
  const std::span<const float> s = scale.Data<float>();
  q.scales.assign(s.begin(), s.end());
  for (float v : q.scales) CheckScale(node, node.inputs[1], v);
  for (std::int64_t i = 0; i < scale.size(); ++i) {
    const std::int64_t z = zero_point == nullptr ? 0 : zero_point->GetInt(i);
    CheckZeroPoint(node, zero_point == nullptr ? node.inputs[1] : node.inputs[2], z, qtype);
    q.zero_points.push_back(static_cast<std::int32_t>(z));
  }
  return q;
}

// The dynamic form's parameters when scale and zero point are graph constants; nullopt otherwise.
std::optional<QuantParams> ConstantParams(const Node& node, const Graph& graph, DType qtype,
                                          int axis) {
  if (!graph.IsConstant(node.inputs[1])) return std::nullopt;
  if (HasInput(node, 2) && !graph.IsConstant(node.inputs[2])) return std::nullopt;
  return ParamsFromValues(node, graph.Constant(node.inputs[1]),
                          HasInput(node, 2) ? &graph.Constant(node.inputs[2]) : nullptr, qtype,
                          axis);
}

// The dynamic form's parameters from the values given to this run.
QuantParams RuntimeParams(const OpContext& ctx, DType qtype, int axis) {
  return ParamsFromValues(ctx.node, ctx.In(1), ctx.HasIn(2) ? &ctx.In(2) : nullptr, qtype, axis);
}

// Input 0, which must be float32.
TensorInfo FloatInput(const Node& node, const Graph& graph) {
  const TensorInfo x = Named(graph, node.inputs[0]);
  if (x.dtype != DType::kFloat32) {
    throw Error(node.Label() + ": input '" + x.name + "' is " + TypeName(x.dtype) +
                ", expected float32");
  }
  return x;
}

// ---- QuantizeLinear ----------------------------------------------------------------------------

void InferQuantizeLinear(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 3);
  ExpectOutputs(node, 1);
  const TensorInfo x = FloatInput(node, graph);
  const DType dtype = QuantizedOutputType(node, graph);
  if (!HasInput(node, 1)) {
    if (HasInput(node, 2)) {
      throw Error(node.Label() + ": a zero point input is given without a scale input");
    }
    if (!graph.HasTensor(node.outputs[0])) {
      throw Error(node.Label() + ": output '" + node.outputs[0] +
                  "' has no quantization parameters; declare them or pass scale and zero point "
                  "inputs");
    }
    SetOutput(graph, node, 0, dtype, x.shape);
    CheckStaticParams(node, Named(graph, node.outputs[0]), dtype);
    return;
  }
  const int axis = CheckDynamicParamInputs(node, graph, dtype, x.shape);
  const std::optional<QuantParams> known = ConstantParams(node, graph, dtype, axis);
  SetOutput(graph, node, 0, dtype, x.shape, known.value_or(QuantParams{}));
  const TensorInfo out = Named(graph, node.outputs[0]);
  if (known && out.quant != *known) {
    throw Error(node.Label() + ": output '" + out.name +
                "' is declared with quantization parameters other than the constant scale and "
                "zero point inputs give");
  }
}

std::vector<Tensor> RunQuantizeLinear(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const TensorInfo& out = ctx.OutInfo(0);
  if (!ctx.HasIn(1)) return {QuantizeTensor(x, out.quant, out.dtype)};
  const int axis = CheckDynamicParamInputs(ctx.node, ctx.graph, out.dtype, x.shape());
  return {QuantizeTensor(x, RuntimeParams(ctx, out.dtype, axis), out.dtype)};
}

// ---- DequantizeLinear --------------------------------------------------------------------------

void InferDequantizeLinear(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 3);
  ExpectOutputs(node, 1);
  const TensorInfo x = Named(graph, node.inputs[0]);
  if (!IsInteger(x.dtype)) {
    throw Error(node.Label() + ": input '" + x.name + "' is " + TypeName(x.dtype) +
                ", expected uint8, int8 or int32");
  }
  if (!HasInput(node, 1)) {
    if (HasInput(node, 2)) {
      throw Error(node.Label() + ": a zero point input is given without a scale input");
    }
    CheckStaticParams(node, x, x.dtype);
  } else {
    const int axis = CheckDynamicParamInputs(node, graph, x.dtype, x.shape);
    ConstantParams(node, graph, x.dtype, axis);  // checks constant values early
  }
  SetOutput(graph, node, 0, DType::kFloat32, x.shape);
}

std::vector<Tensor> RunDequantizeLinear(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  if (!ctx.HasIn(1)) return {DequantizeTensor(x, ctx.InInfo(0).quant)};
  const int axis = CheckDynamicParamInputs(ctx.node, ctx.graph, x.dtype(), x.shape());
  return {DequantizeTensor(x, RuntimeParams(ctx, x.dtype(), axis))};
}

// ---- DynamicQuantizeLinear ---------------------------------------------------------------------

void InferDynamicQuantizeLinear(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 3);
  const TensorInfo x = FloatInput(node, graph);
  if (NumElements(x.shape) == 0) {
    throw Error(node.Label() + ": input '" + x.name + "' " + ShapeToString(x.shape) +
                " has no elements to take a range from");
  }
  SetOutput(graph, node, 0, DType::kUInt8, x.shape);
  SetOutput(graph, node, 1, DType::kFloat32, {});
  SetOutput(graph, node, 2, DType::kUInt8, {});
}

// ONNX's reference, step by step in float32:
//   rmin = min(0, min(x)), rmax = max(0, max(x))
//   scale = (rmax − rmin) / 255, or 1 / 255 when rmax == rmin (all-zero input: no division by 0)
//   zp = round_half_to_even(clamp(0 − rmin / scale, 0, 255))
//   y = saturate_uint8(round_half_to_even(x / scale) + zp)
std::vector<Tensor> RunDynamicQuantizeLinear(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const std::span<const float> v = x.Data<float>();
  float rmin = 0.0f;
  float rmax = 0.0f;
  for (float f : v) {
    if (!std::isfinite(f)) {
      throw Error(ctx.node.Label() + ": input '" + ctx.node.inputs[0] +
                  "' holds a NaN or infinity; its range cannot be quantized");
    }
    rmin = std::min(rmin, f);
    rmax = std::max(rmax, f);
  }
  const float range = rmax == rmin ? 1.0f : rmax - rmin;
  const float scale = range / 255.0f;
  const float initial_zero_point = 0.0f - rmin / scale;
  const auto zero_point =
      static_cast<std::int32_t>(RoundHalfToEven(std::clamp(initial_zero_point, 0.0f, 255.0f)));
  QuantParams params;
  params.scales = {scale};
  params.zero_points = {zero_point};
  return {QuantizeTensor(x, params, DType::kUInt8), Tensor::FromVector<float>({}, {scale}),
          Tensor::FromVector<std::uint8_t>({}, {static_cast<std::uint8_t>(zero_point)})};
}

}  // namespace

constexpr std::string_view kDequantizeAttrs[] = {"axis"};
constexpr std::string_view kQuantizeAttrs[] = {"axis", "output_dtype", "saturate"};
const OpDef kDequantizeLinear{"DequantizeLinear", InferDequantizeLinear, RunDequantizeLinear,
                              kDequantizeAttrs};
const OpDef kDynamicQuantizeLinear{"DynamicQuantizeLinear", InferDynamicQuantizeLinear,
                                   RunDynamicQuantizeLinear};
const OpDef kQuantizeLinear{"QuantizeLinear", InferQuantizeLinear, RunQuantizeLinear,
                            kQuantizeAttrs};

}  // namespace qsa::golden::ops
