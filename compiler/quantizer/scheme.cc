// Scale and zero-point choice (quantize_scheme.h).
#include "compiler/quantizer/scheme.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/base/error.h"

namespace qsa::quantizer {

using golden::DType;
using golden::QuantParams;
using golden::Tensor;

std::int32_t TensorScheme::qmin() const {
  if (symmetric) return symmetric_zero_point() - ((std::int32_t{1} << (bits - 1)) - 1);
  return dtype == golden::DType::kUInt8 ? 0 : -(std::int32_t{1} << (bits - 1));
}

std::int32_t TensorScheme::qmax() const {
  if (symmetric) return symmetric_zero_point() + ((std::int32_t{1} << (bits - 1)) - 1);
  return dtype == golden::DType::kUInt8 ? (std::int32_t{1} << bits) - 1
                                        : (std::int32_t{1} << (bits - 1)) - 1;
}

std::int32_t TensorScheme::symmetric_zero_point() const {
  return dtype == golden::DType::kUInt8 ? std::int32_t{1} << (bits - 1) : 0;
}

std::string TensorScheme::Describe() const {
  const std::string type =
      bits == 8 ? std::string(golden::DTypeName(dtype))
                : (dtype == golden::DType::kUInt8 ? "uint" : "int") + std::to_string(bits);
  return type + (symmetric ? " symmetric" : " asymmetric");
}

TensorScheme WeightTensorScheme(const WeightScheme& scheme, int bits) {
  if (bits != 8 && bits != 4) {
    throw Error("weight bit width " + std::to_string(bits) + " is not supported (8 or 4)");
  }
  return TensorScheme{golden::DType::kInt8, bits, scheme.symmetric};
}

TensorScheme ActivationTensorScheme(const ActivationScheme& scheme) {
  if (!golden::IsQuantizedType(scheme.dtype)) {
    throw Error("activation type " + std::string(golden::DTypeName(scheme.dtype)) +
                " is not supported (uint8 or int8)");
  }
  return TensorScheme{scheme.dtype, 8, scheme.symmetric};
}

golden::QuantParams ChooseParams(RealRange range, const TensorScheme& scheme) {
  if (!std::isfinite(range.lo) || !std::isfinite(range.hi)) {
    throw Error("cannot quantize the range [" + std::to_string(range.lo) + ", " +
                std::to_string(range.hi) + "]: it is not finite");
  }
  const double lo = std::min(static_cast<double>(range.lo), 0.0);
  const double hi = std::max(static_cast<double>(range.hi), 0.0);
  golden::QuantParams params;
  if (scheme.symmetric) {
    const double bound = std::max(-lo, hi);
    const auto scale = static_cast<float>(bound / (scheme.qmax() - scheme.symmetric_zero_point()));
    params.scales = {scale >= std::numeric_limits<float>::min() ? scale : 1.0f};
    params.zero_points = {scheme.symmetric_zero_point()};
    return params;
  }
  const auto scale = static_cast<float>((hi - lo) / scheme.steps());
  if (!(scale >= std::numeric_limits<float>::min())) {
    params.scales = {1.0f};
    params.zero_points = {std::clamp(0, scheme.qmin(), scheme.qmax())};
    return params;
  }
  const double zero_point =
      golden::RoundHalfToEven(static_cast<double>(scheme.qmin()) - lo / static_cast<double>(scale));
  params.scales = {scale};
  params.zero_points = {static_cast<std::int32_t>(std::clamp(
      zero_point, static_cast<double>(scheme.qmin()), static_cast<double>(scheme.qmax())))};
  return params;
}

std::vector<std::vector<float>> WeightChannels(const golden::Tensor& weights, int axis) {
  const std::span<const float> w = weights.Data<float>();
  const std::int64_t channels = axis < 0 ? 1 : weights.shape().at(static_cast<std::size_t>(axis));
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis + 1); axis >= 0 && d < weights.shape().size();
       ++d) {
    inner *= weights.shape()[d];
  }
  std::vector<std::vector<float>> values(static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t c =
        axis < 0 ? 0 : static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % channels);
    values[c].push_back(w[i]);
  }
  return values;
}

golden::QuantParams WeightParams(const std::vector<RealRange>& ranges, int axis,
                                 const TensorScheme& scheme) {
  golden::QuantParams params;
  params.axis = axis;
  float largest = 0.0f;
  std::vector<bool> empty(ranges.size());
  for (std::size_t c = 0; c < ranges.size(); ++c) {
    const golden::QuantParams p = ChooseParams(ranges[c], scheme);
    empty[c] = ranges[c].lo == 0.0f && ranges[c].hi == 0.0f;
    params.scales.push_back(p.scales[0]);
    params.zero_points.push_back(p.zero_points[0]);
    if (!empty[c]) largest = std::max(largest, p.scales[0]);
  }
  for (std::size_t c = 0; c < ranges.size(); ++c) {
    if (empty[c] && largest > 0.0f) params.scales[c] = largest;
  }
  return params;
}

golden::QuantParams ChooseWeightParams(const golden::Tensor& weights, int axis,
                                       const TensorScheme& scheme) {
  std::vector<RealRange> ranges;
  for (const std::vector<float>& values : WeightChannels(weights, axis)) {
    RealRange r;
    for (float v : values) {
      r.lo = std::min(r.lo, v);
      r.hi = std::max(r.hi, v);
    }
    ranges.push_back(r);
  }
  return WeightParams(ranges, axis, scheme);
}

golden::Tensor QuantizeWeights(const golden::Tensor& weights, const golden::QuantParams& params,
                               const TensorScheme& scheme) {
  golden::Tensor q = golden::QuantizeTensor(weights, params, golden::DType::kInt8);
  for (std::int64_t i = 0; i < q.size(); ++i) {
    q.SetInt(i, std::clamp<std::int64_t>(q.GetInt(i), scheme.qmin(), scheme.qmax()));
  }
  return q;
}

golden::Tensor QuantizeBias(const golden::Tensor& bias, float input_scale,
                            const golden::QuantParams& weight_params, std::int64_t channels,
                            golden::QuantParams& bias_params) {
  const std::span<const float> b = bias.Data<float>();
  if (static_cast<std::int64_t>(b.size()) != channels && b.size() != 1) {
    throw Error("bias of shape " + golden::ShapeToString(bias.shape()) + " does not match " +
                std::to_string(channels) + " output channels");
  }
  bias_params = golden::QuantParams{};
  bias_params.axis = 0;
  std::vector<std::int32_t> values;
  for (std::int64_t c = 0; c < channels; ++c) {
    const float scale = input_scale * weight_params.scale(weight_params.per_axis() ? c : 0);
    bias_params.scales.push_back(scale);
    bias_params.zero_points.push_back(0);
    values.push_back(golden::QuantizeValue(b[b.size() == 1 ? 0 : static_cast<std::size_t>(c)],
                                           scale, 0, golden::DType::kInt32));
  }
  return golden::Tensor::FromVector<std::int32_t>({channels}, std::move(values));
}

}  // namespace qsa::quantizer
