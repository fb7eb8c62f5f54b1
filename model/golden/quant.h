// Quantization arithmetic: the golden model's integer contract (docs/arithmetic.md).
//
// Real value r and quantized value q of type T (uint8, int8, int32) are related by a scale s > 0
// and a zero point z of type T:   r = s · (q − z),   q = saturate_T(round_half_to_even(r / s) + z).
// Requantization maps an int32 accumulator at scale s_in·s_w to an output at scale s_out through
// the real multiplier M = s_in·s_w / s_out, represented in one of four modes (RequantMode).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "model/base/enum_names.h"
#include "model/golden/dtype.h"
#include "model/golden/tensor.h"

namespace qsa::golden {

// Scale(s) and zero point(s) of a quantized tensor. Per-tensor when axis < 0 (one scale, one zero
// point); per-axis when axis >= 0 (one entry per index of dimension `axis`). Empty scales: the
// tensor carries raw integers (an int32 accumulator, a ConvInteger output) or real values.
struct QuantParams {
  std::vector<float> scales;
  std::vector<std::int32_t> zero_points;
  int axis = -1;

  bool empty() const { return scales.empty(); }
  bool per_axis() const { return axis >= 0; }
  // Scale / zero point applying to index `channel` of the quantized axis (element 0, whatever
  // `channel`, when per-tensor). Per-axis, a channel outside the list throws qsa::Error. scale()
  // throws when there are no scales; zero_point() returns 0 when there are no zero points (a
  // tensor may carry zero points without scales, e.g. ConvInteger's x_zero_point).
  float scale(std::int64_t channel) const;
  std::int32_t zero_point(std::int64_t channel) const;
  bool operator==(const QuantParams& other) const = default;
};

// ---- Rounding and saturation -------------------------------------------------------------------

// Round to nearest, ties to even (IEEE roundTiesToEven), independent of the FP environment.
float RoundHalfToEven(float x);
double RoundHalfToEven(double x);

// Clamp v into [DTypeMin(dtype), DTypeMax(dtype)] (dtype integer; float32 throws qsa::Error).
std::int64_t Saturate(std::int64_t v, DType dtype);

// ---- Quantize / dequantize ---------------------------------------------------------------------

// q = saturate_dtype(round_half_to_even(r / scale) + zero_point), the division in float32 (as
// ONNX QuantizeLinear and ONNX Runtime compute it), the rounding on that float32 quotient, the sum
// with the zero point exact. NaN quantizes to saturate_dtype(zero_point); ±inf saturates.
std::int32_t QuantizeValue(float r, float scale, std::int32_t zero_point, DType dtype);
// r = (float(q) − float(zero_point)) · scale in float32.
float DequantizeValue(std::int32_t q, float scale, std::int32_t zero_point);

// Element-wise over a float32 tensor; per-axis params index dimension params.axis. dtype must be
// uint8, int8 or int32. Throws qsa::Error unless: there is one scale (per-tensor) or
// shape[axis] scales (per-axis, axis < rank); zero points are absent or as many as the scales
// and within dtype's range; every scale is positive and finite.
Tensor QuantizeTensor(const Tensor& real, const QuantParams& params, DType dtype);
// Element-wise over a uint8/int8/int32 tensor; result float32. The same count checks as
// QuantizeTensor (zero points within the input type's range; scale values are not checked).
Tensor DequantizeTensor(const Tensor& quantized, const QuantParams& params);

// ---- Fixed-point multipliers (TFLite / gemmlowp) -----------------------------------------------

// A real multiplier M ≈ multiplier · 2^(shift − 31), multiplier in [2^30, 2^31) (or 0 when M = 0).
// shift > 0 is a left shift, shift < 0 a right shift.
struct FixedPointMultiplier {
  std::int32_t multiplier = 0;
  int shift = 0;
  bool operator==(const FixedPointMultiplier& other) const = default;
};

// TFLite's QuantizeMultiplier: frexp(M) = q · 2^shift with q in [0.5, 1), multiplier =
// round(q · 2^31) (round half away from zero, as std::round); when that rounds to 2^31 the
// multiplier is halved and shift incremented; then shift < −31 (M < 2^-32 − 2^-64) flushes to
// {0, 0}. M = 0 (either sign) gives {0, 0}. The result's shift is in [−31, 30]. Requires M >= 0 and
// finite; throws qsa::Error otherwise or when shift would exceed 30 (M >= 2^30 − 2^-2).
FixedPointMultiplier QuantizeMultiplier(double real_multiplier);
// multiplier · 2^(shift − 31), exactly.
double FixedPointToDouble(FixedPointMultiplier m);

// gemmlowp (ARM VQRDMULH): a · b / 2^31 rounded to nearest, ties toward +∞ (so −0.5 → 0,
// +0.5 → 1); the one overflow case a = b = INT32_MIN saturates to INT32_MAX.
std::int32_t SaturatingRoundingDoublingHighMul(std::int32_t a, std::int32_t b);
// gemmlowp: x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31] (throws
// qsa::Error otherwise).
std::int32_t RoundingDivideByPOT(std::int32_t x, int exponent);

// "tflite-double": RoundingDivideByPOT(SRDHM(x · 2^max(shift,0), multiplier), max(−shift,0)).
// The left shift saturates to int32 (TFLite leaves that overflow undefined). Two roundings: ties
// toward +∞ in SRDHM, then ties away from zero in the right shift. Both fixed-point products
// require shift in [−31, 30] (throw qsa::Error otherwise) and accept any int32 multiplier.
std::int32_t MultiplyByQuantizedMultiplier(std::int32_t x, FixedPointMultiplier m);
// "single-rounding" (TFLite's TFLITE_SINGLE_ROUNDING): (x · multiplier + 2^(30 − shift)) >>
// (31 − shift) in 64 bits — one rounding, ties toward +∞ — saturated to int32.
std::int32_t MultiplyByQuantizedMultiplierSingleRounding(std::int32_t x, FixedPointMultiplier m);

// ---- Requantization ----------------------------------------------------------------------------

// How an int32 accumulator is rounded to the output: the one list of modes, named on the
// command line (--requant), in compiled.json ("rounding") and in messages.
enum class RequantMode {
  kTfliteDouble,    // fixed-point, gemmlowp's two roundings (default)
  kSingleRounding,  // fixed-point, one rounding
  kFloat32Rne,      // float(acc) · M32 in float32, ties to even (ONNX Runtime)
  kFloat64Rne,      // double(acc) · M64 in float64, ties to even (ONNX reference)
};
// The modes in the order they are listed to a user, the default first.
inline constexpr auto kRequantModes = base::MakeEnumNames<RequantMode>({
    {RequantMode::kTfliteDouble, "tflite-double"},
    {RequantMode::kSingleRounding, "single-rounding"},
    {RequantMode::kFloat32Rne, "float32-rne"},
    {RequantMode::kFloat64Rne, "float64-rne"},
});
constexpr std::string_view RequantModeName(RequantMode mode) { return kRequantModes.Name(mode); }
constexpr std::optional<RequantMode> ParseRequantMode(std::string_view name) {
  return kRequantModes.Parse(name);
}
// The fixed-point modes, tflite-double and single-rounding: the ones the accelerator computes.
constexpr bool IsFixedPointMode(RequantMode mode) {
  return mode == RequantMode::kTfliteDouble || mode == RequantMode::kSingleRounding;
}
// Whether a fixed-point mode rounds once (single-rounding) or twice (tflite-double): the
// accelerator's one-bit choice (the single_rounding field of post, vadd and pool).
constexpr bool IsSingleRounding(RequantMode mode) { return mode == RequantMode::kSingleRounding; }

// Maps one output channel's int32 accumulator to the output type:
//   tflite-double:   q = clamp(MultiplyByQuantizedMultiplier(acc, fixed) + zero_point, qmin, qmax)
//   single-rounding: q = clamp(MultiplyByQuantizedMultiplierSingleRounding(acc, fixed)
//                              + zero_point, qmin, qmax)
//   float32-rne:     q = clamp(rne(float(acc) ·f32 M32) + zero_point, qmin, qmax)
//                    rounded BEFORE the zero point is added, as ONNX Runtime's
//                    MlasRequantizeOutput does (its clamp to [qmin − zp, qmax − zp] in float is
//                    the same thing for integer bounds below 2^24);
//   float64-rne:     q = rne(clamp(double(acc) ·f64 M64 +f64 zero_point, qmin, qmax))
//                    zero point added and clamped in float64 BEFORE rounding, as the ONNX
//                    reference (numpy) does.
// The two float modes differ on ties with an odd zero point: acc · M = 0.5, zp = 1 gives 1 in
// float32-rne (0 + 1) and 2 in float64-rne (rne(1.5)). The sums with zero_point are exact in the
// fixed-point modes (int64).
struct Requantizer {
  RequantMode mode = RequantMode::kTfliteDouble;
  FixedPointMultiplier fixed;  // tflite-double, single-rounding
  float real32 = 0.0f;         // float32-rne
  double real64 = 0.0;         // float64-rne
  std::int32_t zero_point = 0;
  std::int32_t qmin = 0;
  std::int32_t qmax = 0;

  std::int32_t Apply(std::int32_t acc) const;
};

// From scales: fixed = QuantizeMultiplier(double(s_in)·double(s_w)/double(s_out)) (TFLite's
// effective scale, in double); M32 = (s_in·s_w)/s_out in float32, left to right (ONNX Runtime);
// M64 = double(M32) (the ONNX reference also forms the ratio of its float32 scales in float32 and
// only the product with acc in float64). Throws qsa::Error when qmin > qmax, when a scale is not
// finite, s_out <= 0 or s_in, s_w < 0, when the double ratio is >= 2^30 (QuantizeMultiplier), or
// when M32 overflows.
Requantizer MakeRequantizer(RequantMode mode, float s_in, float s_w, float s_out,
                            std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax);
// From an explicit fixed-point multiplier (a graph that gives multiplier + shift): M64 =
// FixedPointToDouble(m), M32 = float(M64). Throws qsa::Error when qmin > qmax, the multiplier is
// negative or the shift is outside [−31, 30].
Requantizer MakeRequantizer(RequantMode mode, FixedPointMultiplier m, std::int32_t zero_point,
                            std::int32_t qmin, std::int32_t qmax);

// Average pooling's fixed-point multiplier for a window sum over n taps (docs/ops-compute.md):
// QuantizeMultiplier(double(s_x) / (double(s_y) · n)), used with a pre-shift. The sum acc, with
// |acc| <= max_centered · n, is shifted left by pre_shift = L_n = min(largest L <= 30 with
// max_centered · n · 2^L <= INT32_MAX, 31 + shift) bits (0 when the multiplier is 0), and the
// returned shift is already lowered by L_n: the fixed-point modes compute
// MultiplyByQuantizedMultiplier[SingleRounding](acc · 2^L_n, fixed) — the same real multiplier,
// L_n more bits before gemmlowp's first rounding, no overflow by the choice of L_n. Throws
// qsa::Error as QuantizeMultiplier does.
struct PreShiftedMultiplier {
  FixedPointMultiplier fixed;  // shift lowered by pre_shift
  int pre_shift = 0;
  bool operator==(const PreShiftedMultiplier& other) const = default;
};
PreShiftedMultiplier AveragePoolMultiplier(float s_x, float s_y, std::int64_t n,
                                           std::int64_t max_centered);

}  // namespace qsa::golden
