// Quantization arithmetic of the golden model. The contract of every function is stated in
// model/golden/quant.h and explained, with worked examples, in docs/arithmetic.md.
#include "model/golden/quant.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "model/base/error.h"

namespace qsa::golden {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
// Shift range of a FixedPointMultiplier that the two fixed-point products accept: a left shift
// of up to 30 (so 2^shift fits an int32) and a right shift of up to 31 (gemmlowp's
// RoundingDivideByPOT limit; QuantizeMultiplier flushes anything smaller to zero).
constexpr int kMinShift = -31;
constexpr int kMaxShift = 30;

std::int32_t ClampToInt32(std::int64_t v) {
  return static_cast<std::int32_t>(v < kInt32Min ? kInt32Min : (v > kInt32Max ? kInt32Max : v));
}

// Shortest faithful decimal form for messages ("1e-300", "0.1"), unlike std::to_string.
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void CheckShift(int shift) {
  if (shift < kMinShift || shift > kMaxShift) {
    throw Error("fixed-point multiplier shift " + std::to_string(shift) + " is outside [" +
                std::to_string(kMinShift) + ", " + std::to_string(kMaxShift) + "]");
  }
}

// x rounded to nearest, ties to even, given its truncation toward zero `t` and the exact
// remainder `frac` = x − t in (−1, 1).
template <typename F>
F RoundFromTruncation(F x, std::int64_t t, F frac) {
  std::int64_t r = t;
  if (frac > F(0.5) || (frac == F(0.5) && (t & 1) != 0)) {
    r = t + 1;
  } else if (frac < F(-0.5) || (frac == F(-0.5) && (t & 1) != 0)) {
    r = t - 1;
  }
  // A zero result keeps the sign of x, as IEEE roundToIntegralTiesToEven does.
  return r == 0 ? std::copysign(F(0), x) : static_cast<F>(r);
}

// Value at index `channel` of a per-tensor / per-axis parameter list (`what` names it in errors).
template <typename T>
T ParamAt(const std::vector<T>& values, int axis, std::int64_t channel, const char* what) {
  if (axis < 0) return values[0];
  if (channel < 0 || channel >= static_cast<std::int64_t>(values.size())) {
    throw Error(std::string("quantization ") + what + " index " + std::to_string(channel) +
                " is out of range for " + std::to_string(values.size()) +
                " per-axis values (axis " + std::to_string(axis) + ")");
  }
  return values[static_cast<std::size_t>(channel)];
}

// Layout of the quantized axis for element-wise (de)quantization of a tensor of `shape`:
// element i belongs to channel (i / inner) % channels. Validates the parameter counts.
struct AxisLayout {
  std::int64_t inner = 1;
  std::int64_t channels = 1;
};

AxisLayout CheckParams(const Shape& shape, const QuantParams& params, DType dtype,
                       const char* what) {
  const std::string prefix = std::string(what) + " of a " + std::string(DTypeName(dtype)) +
                             " tensor of shape " + ShapeToString(shape) + ": ";
  if (params.scales.empty()) throw Error(prefix + "no scale given");
  AxisLayout layout;
  if (params.per_axis()) {
    if (params.axis >= static_cast<int>(shape.size())) {
      throw Error(prefix + "quantization axis " + std::to_string(params.axis) +
                  " is out of range for rank " + std::to_string(shape.size()));
    }
    const auto axis = static_cast<std::size_t>(params.axis);
    layout.channels = shape[axis];
    for (std::size_t d = axis + 1; d < shape.size(); ++d) layout.inner *= shape[d];
  }
  const auto count = static_cast<std::size_t>(layout.channels);
  const std::string expected =
      params.per_axis() ? std::to_string(count) + " (dimension " + std::to_string(params.axis) + ")"
                        : std::string("1 (per-tensor)");
  if (params.scales.size() != count) {
    throw Error(prefix + std::to_string(params.scales.size()) + " scales given, expected " +
                expected);
  }
  if (!params.zero_points.empty() && params.zero_points.size() != count) {
    throw Error(prefix + std::to_string(params.zero_points.size()) +
                " zero points given, expected " + expected);
  }
  if (IsInteger(dtype)) {
    for (std::int32_t zp : params.zero_points) {
      if (zp < DTypeMin(dtype) || zp > DTypeMax(dtype)) {
        throw Error(prefix + "zero point " + std::to_string(zp) + " is outside the " +
                    std::string(DTypeName(dtype)) + " range");
      }
    }
  }
  return layout;
}

std::int64_t ChannelOf(std::int64_t i, const AxisLayout& layout) {
  return (i / layout.inner) % layout.channels;
}

template <typename T>
void QuantizeInto(std::span<const float> in, std::span<T> out, const QuantParams& params,
                  const AxisLayout& layout, DType dtype) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::int64_t c = params.per_axis() ? ChannelOf(static_cast<std::int64_t>(i), layout) : 0;
    out[i] = static_cast<T>(QuantizeValue(in[i], params.scale(c), params.zero_point(c), dtype));
  }
}

template <typename T>
void DequantizeFrom(std::span<const T> in, std::span<float> out, const QuantParams& params,
                    const AxisLayout& layout) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::int64_t c = params.per_axis() ? ChannelOf(static_cast<std::int64_t>(i), layout) : 0;
    out[i] =
        DequantizeValue(static_cast<std::int32_t>(in[i]), params.scale(c), params.zero_point(c));
  }
}

}  // namespace

// ---- QuantParams -------------------------------------------------------------------------------

float QuantParams::scale(std::int64_t channel) const {
  if (scales.empty()) throw Error("quantization parameters carry no scale");
  return ParamAt(scales, axis, channel, "scale");
}

std::int32_t QuantParams::zero_point(std::int64_t channel) const {
  if (zero_points.empty()) return 0;
  return ParamAt(zero_points, axis, channel, "zero point");
}

// ---- Rounding and saturation -------------------------------------------------------------------

float RoundHalfToEven(float x) {
  // From 2^23 on every float is an integer (and NaN / inf pass through unchanged). Below it the
  // truncation fits an int32 (float-to-integer conversion always truncates, whatever the
  // rounding mode) and x - t is exact, so no step depends on the FP environment.
  if (!(std::fabs(x) < 8388608.0f)) return x;
  const auto t = static_cast<std::int32_t>(x);
  return RoundFromTruncation(x, t, x - static_cast<float>(t));
}

double RoundHalfToEven(double x) {
  if (!(std::fabs(x) < 4503599627370496.0)) return x;  // 2^52
  const auto t = static_cast<std::int64_t>(x);
  return RoundFromTruncation(x, t, x - static_cast<double>(t));
}

std::int64_t Saturate(std::int64_t v, DType dtype) {
  const std::int64_t lo = DTypeMin(dtype);
  const std::int64_t hi = DTypeMax(dtype);
  return v < lo ? lo : (v > hi ? hi : v);
}

// ---- Quantize / dequantize ---------------------------------------------------------------------

std::int32_t QuantizeValue(float r, float scale, std::int32_t zero_point, DType dtype) {
  const float scaled = r / scale;  // float32 division, as ONNX QuantizeLinear
  if (std::isnan(scaled)) return static_cast<std::int32_t>(Saturate(zero_point, dtype));
  // The rounded value is an integer-valued float (or ±inf); the sum with the zero point is exact
  // in double wherever it can land inside the int32 range, and the clamp happens before the
  // conversion so no conversion overflows.
  const double sum = static_cast<double>(RoundHalfToEven(scaled)) + static_cast<double>(zero_point);
  const auto lo = static_cast<double>(DTypeMin(dtype));
  const auto hi = static_cast<double>(DTypeMax(dtype));
  return static_cast<std::int32_t>(sum < lo ? lo : (sum > hi ? hi : sum));
}

float DequantizeValue(std::int32_t q, float scale, std::int32_t zero_point) {
  return (static_cast<float>(q) - static_cast<float>(zero_point)) * scale;
}

Tensor QuantizeTensor(const Tensor& real, const QuantParams& params, DType dtype) {
  if (real.dtype() != DType::kFloat32) {
    throw Error("cannot quantize " + real.Describe() + ": the input must be float32");
  }
  if (!IsInteger(dtype)) {
    throw Error("cannot quantize " + real.Describe() + " to float32: the output must be uint8, " +
                "int8 or int32");
  }
  const AxisLayout layout = CheckParams(real.shape(), params, dtype, "quantization");
  for (float s : params.scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      throw Error("cannot quantize " + real.Describe() + ": scale " + Num(s) +
                  " is not a positive finite number");
    }
  }
  Tensor out(dtype, real.shape());
  const std::span<const float> in = real.Data<float>();
  switch (dtype) {
    case DType::kUInt8:
      QuantizeInto(in, out.Data<std::uint8_t>(), params, layout, dtype);
      break;
    case DType::kInt8:
      QuantizeInto(in, out.Data<std::int8_t>(), params, layout, dtype);
      break;
    case DType::kInt32:
      QuantizeInto(in, out.Data<std::int32_t>(), params, layout, dtype);
      break;
    case DType::kFloat32:
      break;  // rejected above
  }
  return out;
}

Tensor DequantizeTensor(const Tensor& quantized, const QuantParams& params) {
  if (!IsInteger(quantized.dtype())) {
    throw Error("cannot dequantize " + quantized.Describe() +
                ": the input must be uint8, int8 or int32");
  }
  const AxisLayout layout =
      CheckParams(quantized.shape(), params, quantized.dtype(), "dequantization");
  Tensor out(DType::kFloat32, quantized.shape());
  const std::span<float> dst = out.Data<float>();
  switch (quantized.dtype()) {
    case DType::kUInt8:
      DequantizeFrom(quantized.Data<std::uint8_t>(), dst, params, layout);
      break;
    case DType::kInt8:
      DequantizeFrom(quantized.Data<std::int8_t>(), dst, params, layout);
      break;
    case DType::kInt32:
      DequantizeFrom(quantized.Data<std::int32_t>(), dst, params, layout);
      break;
    case DType::kFloat32:
      break;  // rejected above
  }
  return out;
}

// ---- Fixed-point multipliers -------------------------------------------------------------------

FixedPointMultiplier QuantizeMultiplier(double real_multiplier) {
  if (!std::isfinite(real_multiplier) || real_multiplier < 0.0) {
    throw Error("requantization multiplier " + Num(real_multiplier) +
                " is not a finite non-negative number");
  }
  if (real_multiplier == 0.0) return {};
  int shift = 0;
  const double fraction = std::frexp(real_multiplier, &shift);  // in [0.5, 1)
  // fraction · 2^31 is exact (a power-of-two scaling) and lies in [2^30, 2^31]; std::round
  // rounds half away from zero whatever the rounding mode.
  auto fixed = static_cast<std::int64_t>(std::round(std::ldexp(fraction, 31)));
  if (fixed == (std::int64_t{1} << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < kMinShift) return {};  // below 2^-32: every int32 product rounds to zero anyway
  if (shift > kMaxShift) {
    throw Error("requantization multiplier " + Num(real_multiplier) +
                " is too large for a fixed-point multiplier (it must be below 2^30)");
  }
  return {static_cast<std::int32_t>(fixed), shift};
}

double FixedPointToDouble(FixedPointMultiplier m) {
  return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31);
}

std::int32_t SaturatingRoundingDoublingHighMul(std::int32_t a, std::int32_t b) {
  // The one product whose doubled high half does not fit: (-2^31)·(-2^31)·2 / 2^32 = 2^31.
  if (a == b && a == kInt32Min) return static_cast<std::int32_t>(kInt32Max);
  // |a·b| <= 2^62, so the product and the added 2^30 fit in int64. Arithmetic right shift is
  // floor division (C++20), hence floor((a·b + 2^30) / 2^31): nearest, ties toward +∞.
  const std::int64_t product = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);
  return static_cast<std::int32_t>((product + (std::int64_t{1} << 30)) >> 31);
}

std::int32_t RoundingDivideByPOT(std::int32_t x, int exponent) {
  if (exponent < 0 || exponent > 31) {
    throw Error("RoundingDivideByPOT exponent " + std::to_string(exponent) + " is outside [0, 31]");
  }
  if (exponent == 0) return x;
  // Work on |x| in 64 bits (|INT32_MIN| does not fit an int32): round half up, restore the sign.
  const std::int64_t wide = x;
  const std::int64_t magnitude = wide < 0 ? -wide : wide;
  const std::int64_t rounded = (magnitude + (std::int64_t{1} << (exponent - 1))) >> exponent;
  return static_cast<std::int32_t>(wide < 0 ? -rounded : rounded);
}

std::int32_t MultiplyByQuantizedMultiplier(std::int32_t x, FixedPointMultiplier m) {
  CheckShift(m.shift);
  const int left = m.shift > 0 ? m.shift : 0;
  const int right = m.shift > 0 ? 0 : -m.shift;
  // |x| · 2^30 < 2^62: the left shift is a multiplication in int64, then saturated.
  const std::int32_t shifted =
      ClampToInt32(static_cast<std::int64_t>(x) * (std::int64_t{1} << left));
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, m.multiplier), right);
}

std::int32_t MultiplyByQuantizedMultiplierSingleRounding(std::int32_t x, FixedPointMultiplier m) {
  CheckShift(m.shift);
  // |x · multiplier| <= 2^62 and the rounding term is at most 2^61, so the sum fits in int64.
  const int total_shift = 31 - m.shift;  // in [1, 62]
  const std::int64_t product =
      static_cast<std::int64_t>(x) * static_cast<std::int64_t>(m.multiplier);
  const std::int64_t rounded = (product + (std::int64_t{1} << (total_shift - 1))) >> total_shift;
  return ClampToInt32(rounded);
}

// ---- Requantization ----------------------------------------------------------------------------

std::int32_t Requantizer::Apply(std::int32_t acc) const {
  const auto clamp = [this](std::int64_t v) {
    return static_cast<std::int32_t>(v < qmin ? qmin : (v > qmax ? qmax : v));
  };
  switch (mode) {
    case RequantMode::kTfliteDouble:
      return clamp(std::int64_t{MultiplyByQuantizedMultiplier(acc, fixed)} + zero_point);
    case RequantMode::kSingleRounding:
      return clamp(std::int64_t{MultiplyByQuantizedMultiplierSingleRounding(acc, fixed)} +
                   zero_point);
    case RequantMode::kFloat32Rne: {
      // ONNX Runtime (MlasRequantizeOutput): product in float32, rounded to nearest even, then
      // the zero point added in integer arithmetic. |product| < 2^62, so the conversion of the
      // rounded value to int64 cannot overflow.
      const float product = static_cast<float>(acc) * real32;
      const auto rounded = static_cast<std::int64_t>(RoundHalfToEven(product));
      return clamp(rounded + zero_point);
    }
    case RequantMode::kFloat64Rne: {
      // ONNX reference: product and zero-point sum in float64 (kept as separate statements so
      // no compiler fuses them into one FMA), clamp in float64, then round to nearest even.
      const double product = static_cast<double>(acc) * real64;
      double v = product + static_cast<double>(zero_point);
      const auto lo = static_cast<double>(qmin);
      const auto hi = static_cast<double>(qmax);
      v = v < lo ? lo : (v > hi ? hi : v);
      return static_cast<std::int32_t>(RoundHalfToEven(v));
    }
  }
  throw Error("unknown requantization mode");
}

namespace {

void CheckRange(std::int32_t qmin, std::int32_t qmax) {
  if (qmin > qmax) {
    throw Error("requantization range [" + std::to_string(qmin) + ", " + std::to_string(qmax) +
                "] is empty");
  }
}

}  // namespace

Requantizer MakeRequantizer(RequantMode mode, float s_in, float s_w, float s_out,
                            std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  CheckRange(qmin, qmax);
  if (!(s_in >= 0.0f && s_w >= 0.0f && s_out > 0.0f) || !std::isfinite(s_in) ||
      !std::isfinite(s_w) || !std::isfinite(s_out)) {
    throw Error("requantization scales s_in " + Num(s_in) + ", s_w " + Num(s_w) + ", s_out " +
                Num(s_out) + " must be finite, with s_out positive and the others non-negative");
  }
  Requantizer r;
  r.mode = mode;
  // TFLite's effective scale, in double from the float32 scales.
  const double m64 =
      static_cast<double>(s_in) * static_cast<double>(s_w) / static_cast<double>(s_out);
  r.fixed = QuantizeMultiplier(m64);  // throws on a negative, NaN, infinite or huge ratio
  // ONNX Runtime and the ONNX reference both form the ratio in float32, left to right; the
  // reference then multiplies in float64.
  const float product = s_in * s_w;
  r.real32 = product / s_out;
  if (!std::isfinite(r.real32)) {
    throw Error("requantization multiplier s_in·s_w/s_out overflows float32");
  }
  r.real64 = static_cast<double>(r.real32);
  r.zero_point = zero_point;
  r.qmin = qmin;
  r.qmax = qmax;
  return r;
}

Requantizer MakeRequantizer(RequantMode mode, FixedPointMultiplier m, std::int32_t zero_point,
                            std::int32_t qmin, std::int32_t qmax) {
  CheckRange(qmin, qmax);
  if (m.multiplier < 0) {
    throw Error("fixed-point multiplier " + std::to_string(m.multiplier) + " is negative");
  }
  CheckShift(m.shift);
  Requantizer r;
  r.mode = mode;
  r.fixed = m;
  r.real64 = FixedPointToDouble(m);
  r.real32 = static_cast<float>(r.real64);
  r.zero_point = zero_point;
  r.qmin = qmin;
  r.qmax = qmax;
  return r;
}

PreShiftedMultiplier AveragePoolMultiplier(float s_x, float s_y, std::int64_t n,
                                           std::int64_t max_centered) {
  PreShiftedMultiplier p;
  p.fixed = QuantizeMultiplier(static_cast<double>(s_x) /
                               (static_cast<double>(s_y) * static_cast<double>(n)));
  if (p.fixed.multiplier == 0) return p;
  const std::int64_t bound = std::max<std::int64_t>(max_centered * n, 1);
  int shift = 0;
  while (shift < 30 && (bound << (shift + 1)) <= kInt32Max) ++shift;
  p.pre_shift = std::min(shift, 31 + p.fixed.shift);
  p.fixed.shift -= p.pre_shift;
  return p;
}

}  // namespace qsa::golden
