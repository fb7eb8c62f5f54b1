#include "model/golden/ops/compute_util.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>

#include "model/base/error.h"
#include "model/golden/ops/op_util.h"

namespace qsa::golden::ops {

void Fail(const Node& node, const std::string& message) {
  throw Error(node.Label() + ": " + message);
}

std::string TensorLabel(const TensorInfo& info) { return "tensor '" + info.name + "'"; }

bool HasAnyQuant(const QuantParams& quant) {
  return !quant.scales.empty() || !quant.zero_points.empty();
}

std::int32_t ZeroPointAt(const QuantParams& quant, std::int64_t channel) {
  if (quant.zero_points.empty()) return 0;
  if (quant.zero_points.size() == 1) return quant.zero_points[0];
  return quant.zero_points[static_cast<std::size_t>(channel)];
}

namespace {

void CheckZeroPointsFit(const Node& node, const TensorInfo& info, const char* role) {
  for (std::int32_t zp : info.quant.zero_points) {
    if (zp < DTypeMin(info.dtype) || zp > DTypeMax(info.dtype)) {
      Fail(node, std::string(role) + " " + TensorLabel(info) + " has zero point " +
                     std::to_string(zp) + ", outside " + std::string(DTypeName(info.dtype)));
    }
  }
  for (float s : info.quant.scales) {
    if (!(s > 0.0f) || s == std::numeric_limits<float>::infinity()) {
      Fail(node, std::string(role) + " " + TensorLabel(info) + " has scale " + std::to_string(s) +
                     "; scales must be positive and finite");
    }
  }
}

}  // namespace

void CheckActivationQuant(const Node& node, const TensorInfo& info, const char* role) {
  if (info.quant.per_axis()) {
    Fail(node, std::string(role) + " " + TensorLabel(info) + " must be quantized per tensor");
  }
  if (info.quant.scales.size() > 1 || info.quant.zero_points.size() > 1) {
    Fail(node, std::string(role) + " " + TensorLabel(info) +
                   " is per tensor but has several scales or zero points");
  }
  CheckZeroPointsFit(node, info, role);
}

void CheckWeightQuant(const Node& node, const TensorInfo& info, const char* role, std::int64_t axis,
                      std::int64_t channels) {
  const QuantParams& q = info.quant;
  if (q.per_axis()) {
    if (q.axis != axis) {
      Fail(node, std::string(role) + " " + TensorLabel(info) + " is quantized along axis " +
                     std::to_string(q.axis) + "; only axis " + std::to_string(axis) +
                     " (output channels) is supported");
    }
    // Zero points without scales: a raw integer weight (ConvInteger / MatMulInteger operands).
    const bool zero_points_only = q.scales.empty() && !q.zero_points.empty();
    if (!zero_points_only && static_cast<std::int64_t>(q.scales.size()) != channels) {
      Fail(node, std::string(role) + " " + TensorLabel(info) + " has " +
                     std::to_string(q.scales.size()) + " scales for " + std::to_string(channels) +
                     " output channels");
    }
    const auto zps = static_cast<std::int64_t>(q.zero_points.size());
    if (zps != 0 && zps != 1 && zps != channels) {
      Fail(node, std::string(role) + " " + TensorLabel(info) + " has " + std::to_string(zps) +
                     " zero points for " + std::to_string(channels) + " output channels");
    }
  } else if (q.scales.size() > 1 || q.zero_points.size() > 1) {
    Fail(node, std::string(role) + " " + TensorLabel(info) +
                   " is per tensor but has several scales or zero points");
  }
  CheckZeroPointsFit(node, info, role);
}

std::int64_t MaxCentered(DType dtype, std::int32_t zero_point) {
  return std::max(DTypeMax(dtype) - zero_point, zero_point - DTypeMin(dtype));
}

std::int64_t SaturatingMul(std::int64_t a, std::int64_t b) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (a == 0 || b == 0) return 0;
  if (a > kMax / b) return kMax;
  return a * b;
}

void CheckAccumulatorBound(const Node& node, std::int64_t bound, const std::string& what) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (bound > kMax) {
    Fail(node, what + " can reach " + std::to_string(bound) + ", beyond int32 (" +
                   std::to_string(kMax) + ")");
  }
}

void CheckAccumulatorBounds(const Node& node, const Graph& graph, std::int64_t depth,
                            std::int64_t channels, const WeightSums& weight_sums,
                            const std::string& channel_noun) {
  const TensorInfo& x = graph.Info(node.inputs[0]);
  const TensorInfo& w = graph.Info(node.inputs[1]);
  const std::int64_t max_x = MaxCentered(x.dtype, ZeroPointAt(x.quant, 0));
  const bool w_const = graph.IsConstant(node.inputs[1]);
  const bool b_const = HasInput(node, 2) && graph.IsConstant(node.inputs[2]);
  std::vector<std::int64_t> sums;
  if (w_const) sums = weight_sums(graph.Constant(node.inputs[1]));
  for (std::int64_t c = 0; c < channels; ++c) {
    const std::int64_t wsum =
        w_const ? sums[static_cast<std::size_t>(c)]
                : SaturatingMul(depth, MaxCentered(w.dtype, ZeroPointAt(w.quant, c)));
    std::int64_t bound = SaturatingMul(max_x, wsum);
    if (b_const) {
      bound += std::abs(static_cast<std::int64_t>(graph.Constant(node.inputs[2]).GetInt(c)));
    }
    CheckAccumulatorBound(node, bound,
                          "the accumulator of " + channel_noun + " " + std::to_string(c));
  }
}

float ActivationScale(const QuantParams& quant) { return quant.empty() ? 0.0f : quant.scale(0); }

void InferAccumulatorOutput(const Node& node, Graph& graph, DType out_dtype, const Shape& shape,
                            const TensorInfo& input, const char* input_role,
                            const QuantParams& weight, std::int64_t channels) {
  SetOutput(graph, node, 0, out_dtype, shape);
  const TensorInfo& out = graph.Info(node.outputs[0]);
  if (out_dtype == DType::kInt32) {
    if (!node.requant.empty()) {
      Fail(node, "explicit requant multipliers given but the output is int32");
    }
    return;
  }
  CheckActivationQuant(node, out, "output");
  if (node.requant.empty() && input.quant.empty()) {
    Fail(node, std::string(input_role) + " " + TensorLabel(input) +
                   " has no scale; a requantized output needs one (or explicit requant)");
  }
  // Builds (and so checks) every channel's multiplier.
  ChannelRequantizers(node, RequantMode::kTfliteDouble, ActivationScale(input.quant), weight, out,
                      channels);
}

DType ResolveOutputDType(const Node& node, const Graph& graph, DType fallback) {
  std::optional<DType> attr;
  if (node.attrs.Has("output_dtype")) {
    const std::string& name = node.attrs.GetString("output_dtype");
    attr = ParseDType(name);
    if (!attr) Fail(node, "output_dtype '" + name + "' is not a dtype");
  }
  DType result = attr.value_or(fallback);
  auto it = graph.tensors.find(node.outputs.at(0));
  if (it != graph.tensors.end()) {
    if (attr && *attr != it->second.dtype) {
      Fail(node, "output_dtype " + std::string(DTypeName(*attr)) + " contradicts output '" +
                     it->first + "' declared " + std::string(DTypeName(it->second.dtype)));
    }
    result = it->second.dtype;
  }
  if (result != DType::kUInt8 && result != DType::kInt8 && result != DType::kInt32) {
    Fail(node, "output dtype " + std::string(DTypeName(result)) +
                   " is not supported; use uint8, int8 or int32");
  }
  return result;
}

void CheckBias(const Node& node, const Graph& graph, std::size_t index, std::int64_t channels) {
  if (!HasInput(node, index)) return;
  const TensorInfo& bias = graph.Info(node.inputs[index]);
  if (bias.dtype != DType::kInt32) {
    Fail(node, "bias " + TensorLabel(bias) + " is " + std::string(DTypeName(bias.dtype)) +
                   "; it must be int32");
  }
  if (bias.shape != Shape{channels}) {
    Fail(node, "bias " + TensorLabel(bias) + " has shape " + ShapeToString(bias.shape) +
                   ", expected [" + std::to_string(channels) + "]");
  }
  for (std::int32_t zp : bias.quant.zero_points) {
    if (zp != 0) {
      Fail(node, "bias " + TensorLabel(bias) + " has zero point " + std::to_string(zp) +
                     "; it must be 0");
    }
  }
}

namespace {

template <typename T>
void Center(std::span<const T> data, const QuantParams& quant, std::int64_t channels,
            std::int64_t inner, std::vector<std::int32_t>& out) {
  const auto n = static_cast<std::int64_t>(data.size());
  if (channels <= 1 || quant.zero_points.size() <= 1) {
    const std::int32_t zp = ZeroPointAt(quant, 0);
    for (std::int64_t i = 0; i < n; ++i) {
      out[static_cast<std::size_t>(i)] =
          static_cast<std::int32_t>(data[static_cast<std::size_t>(i)]) - zp;
    }
    return;
  }
  // Runs of `inner` values share a zero point (channel = run index mod channels).
  for (std::int64_t start = 0, run = 0; start < n; start += inner, ++run) {
    const std::int32_t zp = ZeroPointAt(quant, run % channels);
    const std::int64_t end = std::min(n, start + inner);
    for (std::int64_t i = start; i < end; ++i) {
      out[static_cast<std::size_t>(i)] =
          static_cast<std::int32_t>(data[static_cast<std::size_t>(i)]) - zp;
    }
  }
}

}  // namespace

std::vector<std::int32_t> CenteredValues(const Tensor& tensor, const QuantParams& quant,
                                         std::int64_t channels, std::int64_t inner) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(tensor.size()));
  switch (tensor.dtype()) {
    case DType::kUInt8:
      Center(tensor.Data<std::uint8_t>(), quant, channels, inner, out);
      break;
    case DType::kInt8:
      Center(tensor.Data<std::int8_t>(), quant, channels, inner, out);
      break;
    case DType::kInt32:
      Center(tensor.Data<std::int32_t>(), quant, channels, inner, out);
      break;
    case DType::kFloat32:
      throw Error("integer values requested from a float32 tensor");
  }
  return out;
}

namespace {

template <typename T>
Tensor Narrow(const Shape& shape, const std::vector<std::int32_t>& values) {
  std::vector<T> data(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) data[i] = static_cast<T>(values[i]);
  return Tensor::FromVector(shape, std::move(data));
}

}  // namespace

std::vector<std::int64_t> FoldedZeroPointTerms(const Node& node, const TensorInfo& x,
                                               const TensorInfo& w,
                                               const std::vector<std::int32_t>& weights,
                                               std::int64_t channels, std::int64_t depth) {
  std::vector<std::int64_t> terms(static_cast<std::size_t>(channels), 0);
  const std::int64_t folded = node.attrs.GetInt("x_zero_point_folded", 0);
  if (folded == 0) return terms;
  if (folded != 1) Fail(node, "x_zero_point_folded must be 0 or 1, is " + std::to_string(folded));
  for (std::int32_t zp : w.quant.zero_points) {
    if (zp != 0) Fail(node, "x_zero_point_folded needs weights with zero point 0");
  }
  const std::int64_t zx = ZeroPointAt(x.quant, 0);
  for (std::int64_t c = 0; c < channels; ++c) {
    std::int64_t sum = 0;
    for (std::int64_t k = 0; k < depth; ++k)
      sum += weights[static_cast<std::size_t>(c * depth + k)];
    terms[static_cast<std::size_t>(c)] = zx * sum;
  }
  return terms;
}

Tensor IntTensor(DType dtype, const Shape& shape, const std::vector<std::int32_t>& values) {
  switch (dtype) {
    case DType::kUInt8:
      return Narrow<std::uint8_t>(shape, values);
    case DType::kInt8:
      return Narrow<std::int8_t>(shape, values);
    case DType::kInt32:
      return Tensor::FromVector(shape, values);
    case DType::kFloat32:
      break;
  }
  throw Error("IntTensor: float32 is not an integer type");
}

void AccumulateRow(std::int32_t* dst, const std::int32_t* src, std::int64_t count,
                   std::int64_t stride, std::int32_t w) {
  std::int64_t i = 0;
  if (stride == 1) {
    for (; i + 4 <= count; i += 4) {
      dst[i] += w * src[i];
      dst[i + 1] += w * src[i + 1];
      dst[i + 2] += w * src[i + 2];
      dst[i + 3] += w * src[i + 3];
    }
    for (; i < count; ++i) dst[i] += w * src[i];
    return;
  }
  for (; i < count; ++i) dst[i] += w * src[i * stride];
}

namespace {
// Floor of n / d for d > 0, also for negative n.
std::int64_t FloorDiv(std::int64_t n, std::int64_t d) {
  return n / d - ((n % d != 0 && n < 0) ? 1 : 0);
}
}  // namespace

// The taps k in [0, kernel) with 0 <= s + k·d < in form one run k_lo .. k_hi: counted in constant
// time, since kernels, pads and dilations come from files and can be huge.
std::int64_t Window2d::TapsInside(int a, std::int64_t o) const {
  const std::int64_t s = Start(a, o);
  const std::int64_t d = dilation[a];
  const std::int64_t k_lo = std::max<std::int64_t>(0, -FloorDiv(s, d));  // ceil(-s / d)
  const std::int64_t k_hi = std::min<std::int64_t>(kernel[a] - 1, FloorDiv(in[a] - 1 - s, d));
  return std::max<std::int64_t>(0, k_hi - k_lo + 1);
}

bool Window2d::SomeWindowOnlyInPadding() const {
  for (int a = 0; a < 2; ++a) {
    for (std::int64_t o = 0; o < out[a]; ++o) {
      if (TapsInside(a, o) == 0) return true;
    }
  }
  return false;
}

Window2d ReadWindow(const Node& node, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel_h,
                    std::int64_t kernel_w, bool allow_ceil) {
  if (node.attrs.Has("auto_pad") && node.attrs.GetString("auto_pad") != "NOTSET") {
    Fail(node, "auto_pad '" + node.attrs.GetString("auto_pad") +
                   "' is not supported; give explicit pads");
  }
  const std::vector<std::int64_t> strides = node.attrs.GetInts("strides", {1, 1});
  const std::vector<std::int64_t> dilations = node.attrs.GetInts("dilations", {1, 1});
  const std::vector<std::int64_t> pads = node.attrs.GetInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2) {
    Fail(node, "strides must have 2 entries, has " + std::to_string(strides.size()));
  }
  if (dilations.size() != 2) {
    Fail(node, "dilations must have 2 entries, has " + std::to_string(dilations.size()));
  }
  if (pads.size() != 4) Fail(node, "pads must have 4 entries, has " + std::to_string(pads.size()));
  bool ceil_mode = false;
  if (allow_ceil) {
    const std::int64_t c = node.attrs.GetInt("ceil_mode", 0);
    if (c != 0 && c != 1) Fail(node, "ceil_mode must be 0 or 1, is " + std::to_string(c));
    ceil_mode = c == 1;
  }
  Window2d w;
  const std::int64_t in[2] = {in_h, in_w};
  const std::int64_t kernel[2] = {kernel_h, kernel_w};
  const char* axis_name[2] = {"height", "width"};
  for (int a = 0; a < 2; ++a) {
    const auto i = static_cast<std::size_t>(a);
    if (kernel[a] < 1) Fail(node, "kernel " + std::string(axis_name[a]) + " must be >= 1");
    if (strides[i] < 1) Fail(node, "strides must be >= 1, got " + std::to_string(strides[i]));
    if (dilations[i] < 1) {
      Fail(node, "dilations must be >= 1, got " + std::to_string(dilations[i]));
    }
    if (pads[i] < 0 || pads[i + 2] < 0) Fail(node, "pads must be non-negative");
    // Bounded so that the geometry below cannot overflow 64 bits.
    for (const auto& [name, value] : {std::pair<const char*, std::int64_t>{"strides", strides[i]},
                                      {"dilations", dilations[i]},
                                      {"pads", pads[i]},
                                      {"pads", pads[i + 2]}}) {
      if (value > kMaxTensorElements) {
        Fail(node, std::string(name) + " value " + std::to_string(value) +
                       " is out of range (at most " + std::to_string(kMaxTensorElements) + ")");
      }
    }
    if (kernel[a] > kMaxTensorElements || in[a] > kMaxTensorElements) {
      Fail(node, "the input or kernel " + std::string(axis_name[a]) + " is out of range");
    }
    w.in[a] = in[a];
    w.kernel[a] = kernel[a];
    w.stride[a] = strides[i];
    w.dilation[a] = dilations[i];
    w.pad_begin[a] = pads[i];
    w.pad_end[a] = pads[i + 2];
    const std::int64_t extent = w.dilation[a] * (w.kernel[a] - 1) + 1;
    const std::int64_t span = w.in[a] + w.pad_begin[a] + w.pad_end[a];
    if (span < extent) {
      Fail(node, "the " + std::string(axis_name[a]) + " of the (dilated) kernel, " +
                     std::to_string(extent) + ", exceeds that of the padded input, " +
                     std::to_string(span));
    }
    if (ceil_mode) {
      w.out[a] = (span - extent + w.stride[a] - 1) / w.stride[a] + 1;
      // A window may not start inside the end padding.
      if ((w.out[a] - 1) * w.stride[a] >= w.in[a] + w.pad_begin[a]) --w.out[a];
    } else {
      w.out[a] = (span - extent) / w.stride[a] + 1;
    }
    if (w.out[a] > kMaxTensorElements) {
      Fail(node, "pads [" + std::to_string(pads[i]) + ", " + std::to_string(pads[i + 2]) +
                     "] give an output " + axis_name[a] + " of " + std::to_string(w.out[a]) +
                     ", above the limit of " + std::to_string(kMaxTensorElements));
    }
  }
  return w;
}

}  // namespace qsa::golden::ops
