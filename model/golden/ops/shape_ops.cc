// Layout operators (docs/ops-layout-host.md): Identity, Reshape, Flatten, Transpose, Concat.
//
// They move elements without changing them, for every dtype, and quantization parameters travel
// with the data: the output's parameters are the input's (a per-axis axis follows the dimension it
// belongs to), and an output declared with other parameters is refused. The one exception is
// Concat, which requantizes a uint8/int8 input whose per-tensor parameters differ from the
// output's:   q_out = clamp(scaled(q − z_in) + z_out, type range),   M = s_in / s_out,
// scaled() being the run's RequantMode (the same Requantizer an integer op uses, with s_w = 1).
// q − z_in fits int32 because q and z_in are 8-bit values.
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

std::int64_t Axis(const Node& node, std::int64_t axis, std::int64_t rank) {
  try {
    return NormalizeAxis(axis, rank);
  } catch (const Error& e) {
    throw Error(node.Label() + ": " + e.what());
  }
}

std::string QuantText(const QuantParams& q) {
  if (q.empty() && q.zero_points.empty()) return "no quantization parameters";
  if (q.empty()) {
    return "zero point " + std::to_string(q.zero_points[0]) + " without a scale";
  }
  std::ostringstream s;
  s.precision(std::numeric_limits<float>::max_digits10);
  if (q.per_axis()) {
    s << "per-axis parameters along axis " << q.axis << " (" << q.scales.size() << " channels)";
  } else {
    s << "scale " << q.scales[0] << ", zero point "
      << (q.zero_points.empty() ? 0 : q.zero_points[0]);
  }
  return s.str();
}

// Creates or checks the single output of a layout op: dtype and shape as computed, quantization
// parameters those of the input (already remapped by the caller).
void SetLayoutOutput(Graph& graph, const Node& node, DType dtype, const Shape& shape,
                     const QuantParams& quant) {
  SetOutput(graph, node, 0, dtype, shape, quant);
  const TensorInfo out = Named(graph, node.outputs[0]);
  if (out.quant != quant) {
    throw Error(node.Label() + ": output '" + out.name + "' is declared with " +
                QuantText(out.quant) + " but its input has " + QuantText(quant) + "; " + node.op +
                " does not change quantization parameters");
  }
}

// Per-axis parameters along input dimension `axis` survive a reshape when an output dimension has
// the same size and the same number of elements before it; that dimension becomes the axis.
QuantParams ReshapeQuant(const Node& node, const QuantParams& q, const Shape& in,
                         const Shape& out) {
  if (!q.per_axis()) return q;
  const auto axis = static_cast<std::size_t>(q.axis);
  if (axis >= in.size()) {
    throw Error(node.Label() + ": input quantization axis " + std::to_string(q.axis) +
                " is out of range for shape " + ShapeToString(in));
  }
  std::int64_t before = 1;
  for (std::size_t d = 0; d < axis; ++d) before *= in[d];
  std::int64_t prefix = 1;
  for (std::size_t j = 0; j < out.size(); ++j) {
    if (prefix == before && out[j] == in[axis]) {
      QuantParams r = q;
      r.axis = static_cast<int>(j);
      return r;
    }
    prefix *= out[j];
  }
  throw Error(node.Label() + ": the input is quantized per axis along dimension " +
              std::to_string(q.axis) + " of " + ShapeToString(in) +
              ", which does not survive as a dimension of " + ShapeToString(out));
}

// Copies `count` elements of `esize` bytes.
void CopyElements(std::span<const std::uint8_t> src, std::int64_t src_offset,
                  std::span<std::uint8_t> dst, std::int64_t dst_offset, std::int64_t count,
                  std::size_t esize) {
  if (count <= 0) return;
  std::memcpy(dst.data() + static_cast<std::size_t>(dst_offset) * esize,
              src.data() + static_cast<std::size_t>(src_offset) * esize,
              static_cast<std::size_t>(count) * esize);
}

// ---- Identity ----------------------------------------------------------------------------------

void InferIdentity(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo in = Named(graph, node.inputs[0]);
  SetLayoutOutput(graph, node, in.dtype, in.shape, in.quant);
}

std::vector<Tensor> RunIdentity(const OpContext& ctx) { return {ctx.In(0)}; }

// ---- Reshape -----------------------------------------------------------------------------------

// The output shape of Reshape: attribute "shape", 0 copying the input dimension (unless
// allowzero = 1), one -1 inferred from the element count.
Shape ReshapeTarget(const Node& node, const Shape& in) {
  if (!node.attrs.Has("shape")) throw Error(node.Label() + ": missing attribute 'shape'");
  const std::vector<std::int64_t> spec = node.attrs.GetInts("shape");
  const std::int64_t allow_zero = node.attrs.GetInt("allowzero", 0);
  if (allow_zero != 0 && allow_zero != 1) {
    throw Error(node.Label() + ": allowzero must be 0 or 1, got " + std::to_string(allow_zero));
  }
  const std::int64_t total = NumElements(in);
  Shape out(spec.size(), 0);
  std::size_t inferred = spec.size();
  bool has_zero = false;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const std::int64_t v = spec[i];
    if (v == -1) {
      if (inferred != spec.size()) {
        throw Error(node.Label() + ": shape " + ShapeToString(spec) + " has more than one -1");
      }
      inferred = i;
      continue;
    }
    if (v < -1) {
      throw Error(node.Label() + ": shape " + ShapeToString(spec) + " has invalid dimension " +
                  std::to_string(v));
    }
    if (v == 0) has_zero = true;
    if (v == 0 && allow_zero == 0) {
      if (i >= in.size()) {
        throw Error(node.Label() + ": shape " + ShapeToString(spec) + " copies dimension " +
                    std::to_string(i) + " (0) but the input " + ShapeToString(in) + " has rank " +
                    std::to_string(in.size()));
      }
      out[i] = in[i];
    } else {
      out[i] = v;
    }
    if (out[i] != 0 && known > std::numeric_limits<std::int64_t>::max() / out[i]) {
      throw Error(node.Label() + ": shape " + ShapeToString(spec) + " is too large");
    }
    known *= out[i];
  }
  if (inferred != spec.size()) {
    if (allow_zero == 1 && has_zero) {
      throw Error(node.Label() + ": shape " + ShapeToString(spec) +
                  " has both -1 and 0 with allowzero = 1");
    }
    if (known == 0 || total % known != 0) {
      throw Error(node.Label() + ": cannot infer the -1 of shape " + ShapeToString(spec) +
                  " for an input of " + std::to_string(total) + " elements " + ShapeToString(in));
    }
    out[inferred] = total / known;
  } else if (known != total) {
    throw Error(node.Label() + ": cannot reshape " + ShapeToString(in) + " (" +
                std::to_string(total) + " elements) to " + ShapeToString(out) + " (" +
                std::to_string(known) + " elements)");
  }
  return out;
}

// Reshape and Flatten: the same bytes under the shape `kTarget` gives.
template <Shape (*kTarget)(const Node&, const Shape&)>
void InferReshaped(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo in = Named(graph, node.inputs[0]);
  const Shape out = kTarget(node, in.shape);
  SetLayoutOutput(graph, node, in.dtype, out, ReshapeQuant(node, in.quant, in.shape, out));
}

template <Shape (*kTarget)(const Node&, const Shape&)>
std::vector<Tensor> RunReshaped(const OpContext& ctx) {
  return {ctx.In(0).Reshaped(kTarget(ctx.node, ctx.In(0).shape()))};
}

// ---- Flatten -----------------------------------------------------------------------------------

Shape FlattenShape(const Node& node, const Shape& in) {
  const auto rank = static_cast<std::int64_t>(in.size());
  const std::int64_t axis_attr = node.attrs.GetInt("axis", 1);
  const std::int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  if (axis < 0 || axis > rank) {
    throw Error(node.Label() + ": axis " + std::to_string(axis_attr) +
                " is out of range for rank " + std::to_string(rank) + " (allowed " +
                std::to_string(-rank) + " to " + std::to_string(rank) + ")");
  }
  Shape out = {1, 1};
  for (std::int64_t d = 0; d < rank; ++d) out[d < axis ? 0 : 1] *= in[static_cast<std::size_t>(d)];
  return out;
}

// ---- Transpose ---------------------------------------------------------------------------------

// Attribute "perm" (default: the dimensions reversed), checked to be a permutation of 0..rank-1.
std::vector<std::int64_t> Perm(const Node& node, std::size_t rank) {
  std::vector<std::int64_t> reversed(rank);
  for (std::size_t i = 0; i < rank; ++i) reversed[i] = static_cast<std::int64_t>(rank - 1 - i);
  std::vector<std::int64_t> perm = node.attrs.GetInts("perm", reversed);
  if (perm.size() != rank) {
    throw Error(node.Label() + ": perm " + ShapeToString(perm) + " has " +
                std::to_string(perm.size()) + " entries for an input of rank " +
                std::to_string(rank));
  }
  std::vector<bool> seen(rank, false);
  for (std::int64_t p : perm) {
    if (p < 0 || p >= static_cast<std::int64_t>(rank) || seen[static_cast<std::size_t>(p)]) {
      throw Error(node.Label() + ": perm " + ShapeToString(perm) + " is not a permutation of 0.." +
                  std::to_string(static_cast<std::int64_t>(rank) - 1));
    }
    seen[static_cast<std::size_t>(p)] = true;
  }
  return perm;
}

void InferTranspose(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo in = Named(graph, node.inputs[0]);
  const std::vector<std::int64_t> perm = Perm(node, in.shape.size());
  Shape out(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i)
    out[i] = in.shape[static_cast<std::size_t>(perm[i])];
  QuantParams quant = in.quant;
  if (quant.per_axis()) {
    if (static_cast<std::size_t>(quant.axis) >= perm.size()) {
      throw Error(node.Label() + ": input quantization axis " + std::to_string(quant.axis) +
                  " is out of range for shape " + ShapeToString(in.shape));
    }
    // Output dimension j holds input dimension perm[j].
    for (std::size_t j = 0; j < perm.size(); ++j) {
      if (perm[j] == in.quant.axis) quant.axis = static_cast<int>(j);
    }
  }
  SetLayoutOutput(graph, node, in.dtype, out, quant);
}

std::vector<Tensor> RunTranspose(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const std::size_t rank = x.shape().size();
  const std::vector<std::int64_t> perm = Perm(ctx.node, rank);
  Shape out_shape(rank);
  const std::vector<std::int64_t> in_strides = Strides(x.shape());
  // Walking the output in order, dimension j steps the input by the stride of dimension perm[j].
  std::vector<std::int64_t> step(rank);
  for (std::size_t j = 0; j < rank; ++j) {
    out_shape[j] = x.shape()[static_cast<std::size_t>(perm[j])];
    step[j] = in_strides[static_cast<std::size_t>(perm[j])];
  }
  Tensor y(x.dtype(), out_shape);
  const std::size_t esize = DTypeSize(x.dtype());
  const std::span<const std::uint8_t> src = x.Bytes();
  const std::span<std::uint8_t> dst = y.MutableBytes();
  const std::int64_t n = y.size();
  std::vector<std::int64_t> pos(rank, 0);
  std::int64_t from = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    CopyElements(src, from, dst, k, 1, esize);
    for (std::size_t d = rank; d-- > 0;) {
      from += step[d];
      if (++pos[d] < out_shape[d]) break;
      from -= step[d] * pos[d];
      pos[d] = 0;
    }
  }
  return {y};
}

// ---- Concat ------------------------------------------------------------------------------------

// The parameters of a concatenation of per-axis quantized inputs, which are never requantized:
// along the quantization axis the channels are concatenated, along another axis the inputs must
// agree.
QuantParams PerAxisConcatQuant(const Node& node, const Graph& graph, std::int64_t axis) {
  const TensorInfo first = Named(graph, node.inputs[0]);
  if (!first.quant.per_axis()) {
    throw Error(node.Label() + ": output '" + node.outputs[0] +
                "' is declared with per-axis parameters but input '" + first.name + "' has " +
                QuantText(first.quant) + "; per-axis quantized tensors are not requantized");
  }
  QuantParams result = first.quant;
  bool any_zero_points = !first.quant.zero_points.empty();
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorInfo in = Named(graph, node.inputs[i]);
    if (!in.quant.per_axis() || in.quant.axis != first.quant.axis) {
      throw Error(node.Label() + ": input '" + in.name + "' has " + QuantText(in.quant) +
                  " but input '" + first.name + "' has " + QuantText(first.quant) +
                  "; per-axis quantized inputs are not requantized");
    }
    if (first.quant.axis != axis) {
      if (in.quant != first.quant) {
        throw Error(node.Label() + ": inputs '" + first.name + "' and '" + in.name +
                    "' have different per-axis parameters along axis " +
                    std::to_string(first.quant.axis) + ", which is not the concatenation axis");
      }
      continue;
    }
    const std::int64_t channels = in.shape[static_cast<std::size_t>(axis)];
    if (static_cast<std::int64_t>(in.quant.scales.size()) != channels ||
        (!in.quant.zero_points.empty() && in.quant.zero_points.size() != in.quant.scales.size())) {
      throw Error(node.Label() + ": input '" + in.name + "' has " +
                  std::to_string(in.quant.scales.size()) + " scales and " +
                  std::to_string(in.quant.zero_points.size()) + " zero points for " +
                  std::to_string(channels) + " channels");
    }
    if (i == 0) continue;
    result.scales.insert(result.scales.end(), in.quant.scales.begin(), in.quant.scales.end());
    any_zero_points = any_zero_points || !in.quant.zero_points.empty();
  }
  if (first.quant.axis != axis || !any_zero_points) return result;
  // Some input has zero points: list them for every channel (none given: zero).
  result.zero_points.clear();
  for (const std::string& name : node.inputs) {
    const QuantParams& q = graph.Info(name).quant;
    if (q.zero_points.empty()) {
      result.zero_points.insert(result.zero_points.end(), q.scales.size(), 0);
    } else {
      result.zero_points.insert(result.zero_points.end(), q.zero_points.begin(),
                                q.zero_points.end());
    }
  }
  return result;
}

void InferConcat(const Node& node, Graph& graph) {
  if (node.inputs.empty()) throw Error(node.Label() + ": expects at least 1 input, has 0");
  ExpectOutputs(node, 1);
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty()) {
      throw Error(node.Label() + ": input " + std::to_string(i) + " is absent");
    }
  }
  if (!node.attrs.Has("axis")) throw Error(node.Label() + ": missing attribute 'axis'");
  const TensorInfo first = Named(graph, node.inputs[0]);
  const auto rank = static_cast<std::int64_t>(first.shape.size());
  if (rank == 0) throw Error(node.Label() + ": cannot concatenate scalars");
  const std::int64_t axis = Axis(node, node.attrs.GetInt("axis"), rank);
  const auto a = static_cast<std::size_t>(axis);
  Shape out = first.shape;
  out[a] = 0;
  bool any_per_axis = false;
  for (const std::string& name : node.inputs) {
    const TensorInfo in = Named(graph, name);
    if (in.dtype != first.dtype) {
      throw Error(node.Label() + ": input '" + name + "' is " + std::string(DTypeName(in.dtype)) +
                  " but input '" + first.name + "' is " + std::string(DTypeName(first.dtype)));
    }
    bool match = in.shape.size() == first.shape.size();
    for (std::size_t d = 0; match && d < in.shape.size(); ++d) {
      match = d == a || in.shape[d] == first.shape[d];
    }
    if (!match) {
      throw Error(node.Label() + ": input '" + name + "' " + ShapeToString(in.shape) +
                  " does not match input '" + first.name + "' " + ShapeToString(first.shape) +
                  " outside axis " + std::to_string(axis));
    }
    out[a] += in.shape[a];
    any_per_axis = any_per_axis || in.quant.per_axis();
  }

  const std::string& out_name = node.outputs[0];
  const bool out_declared_per_axis =
      graph.HasTensor(out_name) && graph.Info(out_name).quant.per_axis();
  if (any_per_axis || out_declared_per_axis) {
    const QuantParams quant = PerAxisConcatQuant(node, graph, axis);
    SetLayoutOutput(graph, node, first.dtype, out, quant);
    return;
  }
  SetOutput(graph, node, 0, first.dtype, out, first.quant);
  const QuantParams& out_quant = graph.Info(out_name).quant;
  for (const std::string& name : node.inputs) {
    const TensorInfo in = Named(graph, name);
    if (in.quant == out_quant) continue;
    if (!IsQuantizedType(in.dtype) || in.quant.empty() || out_quant.empty()) {
      throw Error(node.Label() + ": input '" + name + "' has " + QuantText(in.quant) +
                  " but output '" + out_name + "' has " + QuantText(out_quant) +
                  "; only uint8/int8 inputs with scales are requantized");
    }
  }
}

std::vector<Tensor> RunConcat(const OpContext& ctx) {
  const TensorInfo& out_info = ctx.OutInfo(0);
  const Shape& out_shape = out_info.shape;
  const auto a = static_cast<std::size_t>(
      Axis(ctx.node, ctx.node.attrs.GetInt("axis"), static_cast<std::int64_t>(out_shape.size())));
  std::int64_t outer = 1;
  for (std::size_t d = 0; d < a; ++d) outer *= out_shape[d];
  std::int64_t inner = 1;
  for (std::size_t d = a + 1; d < out_shape.size(); ++d) inner *= out_shape[d];
  const std::int64_t out_chunk = out_shape[a] * inner;

  Tensor y(out_info.dtype, out_shape);
  const std::size_t esize = DTypeSize(out_info.dtype);
  const QuantParams& out_quant = out_info.quant;
  std::int64_t offset = 0;  // position along the axis where this input starts
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor& x = ctx.In(i);
    const QuantParams& in_quant = ctx.InInfo(i).quant;
    const std::int64_t chunk = x.shape()[a] * inner;
    if (in_quant == out_quant || out_quant.per_axis()) {
      const std::span<const std::uint8_t> src = x.Bytes();
      const std::span<std::uint8_t> dst = y.MutableBytes();
      for (std::int64_t o = 0; o < outer; ++o) {
        CopyElements(src, o * chunk, dst, o * out_chunk + offset * inner, chunk, esize);
      }
    } else {
      const auto qmin = static_cast<std::int32_t>(DTypeMin(x.dtype()));
      const auto qmax = static_cast<std::int32_t>(DTypeMax(x.dtype()));
      const Requantizer requant =
          MakeRequantizer(ctx.mode, in_quant.scale(0), 1.0f, out_quant.scale(0),
                          out_quant.zero_point(0), qmin, qmax);
      const std::int64_t z_in = in_quant.zero_point(0);
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t k = 0; k < chunk; ++k) {
          const auto centered = static_cast<std::int32_t>(x.GetInt(o * chunk + k) - z_in);
          y.SetInt(o * out_chunk + offset * inner + k, requant.Apply(centered));
        }
      }
    }
    offset += x.shape()[a];
  }
  return {y};
}

}  // namespace

constexpr std::string_view kConcatAttrs[] = {"axis", "output_dtype"};
constexpr std::string_view kFlattenAttrs[] = {"axis"};
constexpr std::string_view kReshapeAttrs[] = {"shape", "allowzero"};
constexpr std::string_view kTransposeAttrs[] = {"perm"};
const OpDef kConcat{"Concat", InferConcat, RunConcat, kConcatAttrs};
const OpDef kFlatten{"Flatten", InferReshaped<FlattenShape>, RunReshaped<FlattenShape>,
                     kFlattenAttrs};
const OpDef kIdentity{"Identity", InferIdentity, RunIdentity};
const OpDef kReshape{"Reshape", InferReshaped<ReshapeTarget>, RunReshaped<ReshapeTarget>,
                     kReshapeAttrs};
const OpDef kTranspose{"Transpose", InferTranspose, RunTranspose, kTransposeAttrs};

}  // namespace qsa::golden::ops
