#include "model/golden/ops/op_util.h"

#include <string>

#include "model/base/error.h"

namespace qsa::golden::ops {

bool HasInput(const Node& node, std::size_t i) {
  return i < node.inputs.size() && !node.inputs[i].empty();
}

TensorInfo Named(const Graph& graph, const std::string& name) {
  TensorInfo info = graph.Info(name);
  info.name = name;
  return info;
}

void ExpectInputs(const Node& node, std::size_t lo, std::size_t hi) {
  if (node.inputs.size() < lo || node.inputs.size() > hi) {
    throw Error(node.Label() + ": expects " +
                (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
                " inputs, has " + std::to_string(node.inputs.size()));
  }
  for (std::size_t i = 0; i < lo; ++i) {
    if (node.inputs[i].empty()) {
      throw Error(node.Label() + ": required input " + std::to_string(i) + " is absent");
    }
  }
}

void ExpectOutputs(const Node& node, std::size_t n) {
  if (node.outputs.size() != n) {
    throw Error(node.Label() + ": expects " + std::to_string(n) + " outputs, has " +
                std::to_string(node.outputs.size()));
  }
}

void SetOutput(Graph& graph, const Node& node, std::size_t i, DType dtype, const Shape& shape,
               const QuantParams& quant) {
  const std::string& name = node.outputs.at(i);
  auto it = graph.tensors.find(name);
  if (it == graph.tensors.end()) {
    graph.tensors[name] = TensorInfo{name, dtype, shape, quant};
    return;
  }
  TensorInfo& info = it->second;
  if (info.dtype != dtype) {
    throw Error(node.Label() + ": output '" + name + "' is declared " +
                std::string(DTypeName(info.dtype)) + " but the op produces " +
                std::string(DTypeName(dtype)));
  }
  if (!info.shape.empty() && info.shape != shape) {
    throw Error(node.Label() + ": output '" + name + "' is declared " + ShapeToString(info.shape) +
                " but the op produces " + ShapeToString(shape));
  }
  info.shape = shape;
  if (info.quant.empty() && info.quant.zero_points.empty()) info.quant = quant;
}

namespace {

std::int32_t ClampAttr(const Node& node, DType out, const char* attr, std::int64_t fallback) {
  const std::int64_t v = node.attrs.GetInt(attr, fallback);
  if (v < DTypeMin(out) || v > DTypeMax(out)) {
    throw Error(node.Label() + ": " + attr + " " + std::to_string(v) + " is outside " +
                std::string(DTypeName(out)));
  }
  return static_cast<std::int32_t>(v);
}

}  // namespace

std::int32_t ClampMin(const Node& node, DType out) {
  return ClampAttr(node, out, "clamp_min", DTypeMin(out));
}

std::int32_t ClampMax(const Node& node, DType out) {
  return ClampAttr(node, out, "clamp_max", DTypeMax(out));
}

std::vector<Requantizer> ChannelRequantizers(const Node& node, RequantMode mode, float s_in,
                                             const QuantParams& weight, const TensorInfo& out,
                                             std::int64_t channels) {
  const std::int32_t qmin = ClampMin(node, out.dtype);
  const std::int32_t qmax = ClampMax(node, out.dtype);
  if (qmin > qmax) {
    throw Error(node.Label() + ": clamp_min " + std::to_string(qmin) + " exceeds clamp_max " +
                std::to_string(qmax));
  }
  if (out.quant.per_axis()) {
    throw Error(node.Label() + ": output '" + out.name + "' must be quantized per tensor");
  }
  // A zero point may be given without a scale (explicit multipliers).
  const std::int32_t zp = out.quant.zero_points.empty() ? 0 : out.quant.zero_points[0];
  std::vector<Requantizer> result;
  if (!node.requant.empty()) {
    const auto n = static_cast<std::int64_t>(node.requant.size());
    if (n != 1 && n != channels) {
      throw Error(node.Label() + ": " + std::to_string(n) + " requant entries for " +
                  std::to_string(channels) + " output channels");
    }
    for (std::int64_t c = 0; c < channels; ++c) {
      result.push_back(MakeRequantizer(mode, node.requant[static_cast<std::size_t>(n == 1 ? 0 : c)],
                                       zp, qmin, qmax));
    }
    return result;
  }
  if (out.quant.empty()) {
    throw Error(node.Label() + ": output '" + out.name +
                "' has no scale and the node gives no explicit requant multipliers");
  }
  if (weight.empty()) {
    throw Error(node.Label() + ": the weight has no scale");
  }
  for (std::int64_t c = 0; c < channels; ++c) {
    result.push_back(
        MakeRequantizer(mode, s_in, weight.scale(c), out.quant.scale(0), zp, qmin, qmax));
  }
  return result;
}

Shape BroadcastShapes(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw Error("shapes " + ShapeToString(a) + " and " + ShapeToString(b) + " do not broadcast");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<std::int64_t> BroadcastIndex(const Shape& in_shape, const Shape& out_shape) {
  const std::size_t rank = out_shape.size();
  const std::size_t offset = rank - in_shape.size();
  const std::vector<std::int64_t> in_strides = Strides(in_shape);
  // Stride 0 along broadcast dimensions.
  std::vector<std::int64_t> strides(rank, 0);
  for (std::size_t i = 0; i < in_shape.size(); ++i) {
    strides[i + offset] = in_shape[i] == 1 ? 0 : in_strides[i];
  }
  const std::int64_t n = NumElements(out_shape);
  std::vector<std::int64_t> index(static_cast<std::size_t>(n));
  std::vector<std::int64_t> pos(rank, 0);
  std::int64_t flat = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    index[static_cast<std::size_t>(k)] = flat;
    for (std::size_t d = rank; d-- > 0;) {
      ++pos[d];
      flat += strides[d];
      if (pos[d] < out_shape[d]) break;
      flat -= strides[d] * pos[d];
      pos[d] = 0;
    }
  }
  return index;
}

std::int64_t NormalizeAxis(std::int64_t axis, std::int64_t rank) {
  const std::int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw Error("axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank));
  }
  return a;
}

}  // namespace qsa::golden::ops
