// Clip: y = min(max(x, min), max), element-wise; covers ReLU and ReLU6 on quantized tensors.
//
// Integer X (uint8, int8, int32): attributes min and max are integers in the quantized domain
// (default: the dtype's range) and must lie in it; ReLU is min = zero point, ReLU6 additionally
// max = zero point + round(6 / scale). No arithmetic, so no rounding or overflow. Y has X's dtype
// and quantization parameters (a declared output quantization must equal X's).
// float32 X: min and max are real bounds (default −∞, +∞); NaN passes through.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

struct Bounds {
  double lo = 0.0;
  double hi = 0.0;
};

// A bound as a user wrote it: "6", "-1.5".
std::string FormatBound(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  std::ostringstream out;
  out << v;
  return out.str();
}

Bounds ReadBounds(const Node& node, DType dtype) {
  const bool integer = dtype != DType::kFloat32;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  Bounds b;
  b.lo = integer ? static_cast<double>(DTypeMin(dtype)) : -kInf;
  b.hi = integer ? static_cast<double>(DTypeMax(dtype)) : kInf;
  for (const char* name : {"min", "max"}) {
    if (!node.attrs.Has(name)) continue;
    const double v = node.attrs.GetFloat(name);
    if (std::isnan(v)) Fail(node, std::string(name) + " is NaN");
    if (integer && (v != std::floor(v) || v < static_cast<double>(DTypeMin(dtype)) ||
                    v > static_cast<double>(DTypeMax(dtype)))) {
      Fail(node, std::string(name) + " " + FormatBound(v) + " is not representable in " +
                     std::string(DTypeName(dtype)) +
                     "; the bounds of an integer Clip are quantized values");
    }
    (std::string(name) == "min" ? b.lo : b.hi) = v;
  }
  if (b.lo > b.hi) {
    Fail(node, "min " + FormatBound(b.lo) + " exceeds max " + FormatBound(b.hi));
  }
  return b;
}

void Infer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  ReadBounds(node, x.dtype);
  if (!node.requant.empty()) Fail(node, "explicit requant given but Clip does not requantize");
  auto it = graph.tensors.find(node.outputs[0]);
  if (it != graph.tensors.end() && HasAnyQuant(it->second.quant) &&
      !(it->second.quant == x.quant)) {
    Fail(node, "output '" + it->first + "' declares quantization different from input '" + x.name +
                   "'; Clip keeps its input's scale and zero point");
  }
  SetOutput(graph, node, 0, x.dtype, x.shape, x.quant);
}

template <typename T>
Tensor ClipTyped(const Tensor& x, const Bounds& b) {
  const auto data = x.Data<T>();
  const T lo = static_cast<T>(b.lo);
  const T hi = static_cast<T>(b.hi);
  std::vector<T> out(data.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const T v = data[i];
    out[i] = v < lo ? lo : (hi < v ? hi : v);
  }
  return Tensor::FromVector(x.shape(), std::move(out));
}

std::vector<Tensor> Run(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const Bounds b = ReadBounds(ctx.node, x.dtype());
  switch (x.dtype()) {
    case DType::kUInt8:
      return {ClipTyped<std::uint8_t>(x, b)};
    case DType::kInt8:
      return {ClipTyped<std::int8_t>(x, b)};
    case DType::kInt32:
      return {ClipTyped<std::int32_t>(x, b)};
    case DType::kFloat32:
      return {ClipTyped<float>(x, b)};
  }
  Fail(ctx.node, "unsupported dtype");
}

}  // namespace

constexpr std::string_view kClipAttrs[] = {"min", "max", "output_dtype", "clamp_min", "clamp_max"};
const OpDef kClip{"Clip", Infer, Run, kClipAttrs};

}  // namespace qsa::golden::ops
