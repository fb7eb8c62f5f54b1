// Quantization schemes of the post-training quantizer and the choice of scale and zero point from
// a real range (docs/quantization.md). The values themselves are quantized with
// model/golden/quant.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/base/enum_names.h"
#include "model/golden/dtype.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

// How a clipping range is chosen from observed values (quantize_observer.h).
enum class CalibrationMethod {
  kMinMax,      // the observed [min, max]
  kPercentile,  // each tail clipped at a percentile of the values
  kMse,         // the clipping range of least mean squared quantization error
  kKl,          // the threshold of least KL divergence (histogram-based, as TensorRT)
};
inline constexpr auto kCalibrationMethodNames = base::MakeEnumNames<CalibrationMethod>({
    {CalibrationMethod::kMinMax, "minmax"},
    {CalibrationMethod::kPercentile, "percentile"},
    {CalibrationMethod::kMse, "mse"},
    {CalibrationMethod::kKl, "kl"},
});
constexpr std::string_view CalibrationMethodName(CalibrationMethod method) {
  return kCalibrationMethodNames.Name(method);
}
constexpr std::optional<CalibrationMethod> ParseCalibrationMethod(std::string_view name) {
  return kCalibrationMethodNames.Parse(name);
}

// How the weights of Conv / Gemm / MatMul layers are quantized. Storage is always int8; 4-bit
// weights are int8 values in [−8, 7] until the hardware packs them.
struct WeightScheme {
  int bits = 8;  // 8 or 4
  bool per_channel = true;
  bool symmetric = true;
  // Each channel's range: its min and max, or the MSE-optimal clipping of its values (which
  // matters at 4 bits).
  CalibrationMethod clipping = CalibrationMethod::kMinMax;
};

// How activations are quantized (always 8 bits, one scale and zero point per tensor).
struct ActivationScheme {
  golden::DType dtype = golden::DType::kUInt8;  // uint8 or int8
  bool symmetric = false;
};

// One tensor's integer grid: storage type, the integers the real range maps onto, and whether
// the zero point is pinned to the middle of the storage range.
//   asymmetric, b bits:  [qmin, qmax] = the b-bit range of the storage type's signedness
//                        (uint8 [0, 255], int8 [−128, 127], 4-bit [−8, 7])
//   symmetric, b bits:   [−(2^(b−1) − 1), 2^(b−1) − 1] around zero point 0 (int8 / int4) or 128
//                        (uint8): a narrow range, so that −a and +a are both representable.
struct TensorScheme {
  golden::DType dtype = golden::DType::kUInt8;
  int bits = 8;
  bool symmetric = false;

  std::int32_t qmin() const;
  std::int32_t qmax() const;
  // The zero point of a symmetric scheme (0, or 128 for uint8).
  std::int32_t symmetric_zero_point() const;
  // Number of steps between qmin and qmax.
  std::int32_t steps() const { return qmax() - qmin(); }
  // "uint8 asymmetric", "int4 symmetric".
  std::string Describe() const;
};

TensorScheme WeightTensorScheme(const WeightScheme& scheme, int bits);
TensorScheme ActivationTensorScheme(const ActivationScheme& scheme);

// A real interval to be represented; a quantized grid always contains 0, so ChooseParams widens
// it to [min(lo, 0), max(hi, 0)].
struct RealRange {
  float lo = 0.0f;
  float hi = 0.0f;
};

// Scale and zero point for `range` on `scheme`'s grid, per tensor:
//   asymmetric: s = (hi − lo) / (qmax − qmin), z = clamp(rne(qmin − lo / s), qmin, qmax)
//               (so that real 0 is exactly the integer z);
//   symmetric:  s = max(|lo|, |hi|) / qmax, z = symmetric_zero_point().
// A range of width 0 (all values 0) gets s = 1. Throws qsa::Error when lo or hi is not finite.
golden::QuantParams ChooseParams(RealRange range, const TensorScheme& scheme);

// The values of each index of dimension `axis` of a float32 tensor, in order (one list of all
// values when axis < 0).
std::vector<std::vector<float>> WeightChannels(const golden::Tensor& weights, int axis);

// Per-tensor (axis < 0, one range) or per-axis weight parameters from one range per channel. A
// channel whose range is [0, 0] (all weights 0) takes the largest scale of the other channels (1
// when every channel is 0), so that the requantization multipliers stay in the range the others
// need.
golden::QuantParams WeightParams(const std::vector<RealRange>& ranges, int axis,
                                 const TensorScheme& scheme);

// WeightParams from each channel's own min and max.
golden::QuantParams ChooseWeightParams(const golden::Tensor& weights, int axis,
                                       const TensorScheme& scheme);

// golden::QuantizeTensor to int8 storage, then clamped to [qmin, qmax] of the scheme (a no-op for
// 8 bits; keeps asymmetric 4-bit values in [−8, 7]).
golden::Tensor QuantizeWeights(const golden::Tensor& weights, const golden::QuantParams& params,
                               const TensorScheme& scheme);

// A bias [channels] (one value broadcasts) as int32 at scale s_in ·f32 s_w[c], zero point 0:
// q[c] = QuantizeValue(b[c], s_in · s_w[c], 0, int32) — round half to even of the float32
// quotient, saturated to int32, as ONNX Runtime's quantizer and qsa's QDQ importer compute it.
// `bias_params` receives the per-channel scales (axis 0) and zero points 0.
golden::Tensor QuantizeBias(const golden::Tensor& bias, float input_scale,
                            const golden::QuantParams& weight_params, std::int64_t channels,
                            golden::QuantParams& bias_params);

}  // namespace qsa::quantizer
